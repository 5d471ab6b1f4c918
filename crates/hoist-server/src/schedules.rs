//! `on.schedule`: every minute (UTC, by the server's clock) the workflows of each
//! repository's default branch whose cron entries fire at that minute start a `schedule`
//! run.
//!
//! Guarantees: a minute of a cron entry fires once, however many servers share the database
//! and however often a server restarts (the minute is claimed in the store before its run
//! is started); minutes that pass while no server looks are skipped, not made up, and the
//! skip is written to the audit log.

use std::sync::Arc;
use std::time::Duration;

use hoist_workflow::cron::{Minute, Schedule};
use serde_json::json;

use crate::config::RepoConfig;
use crate::event_runs::{ServerEvent, start_runs};
use crate::state::SharedState;

/// Where the server's time comes from: the system's, or a test's.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// The system clock.
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    }
}

/// Starts the schedule loop.
pub(crate) fn spawn(state: &SharedState) {
    let state = state.clone();
    let clock: Arc<dyn Clock> = state
        .config
        .clock
        .clone()
        .unwrap_or_else(|| Arc::new(SystemClock));
    tokio::spawn(async move {
        let mut last: Option<i64> = None;
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tick.tick().await;
            let now = clock.now_ms().div_euclid(60_000);
            let from = match last {
                Some(l) if now <= l => continue,
                Some(l) => l,
                // At start: since the last minute any server looked at.
                None => state
                    .store()
                    .last_schedule_tick()
                    .ok()
                    .flatten()
                    .unwrap_or(now - 1),
            };
            last = Some(now);
            let state = state.clone();
            let _ = tokio::task::spawn_blocking(move || {
                if now - from > 1 {
                    let _ = state.store().audit(
                        "hoist-schedule",
                        "schedule.skipped",
                        None,
                        &json!({"from_minute": from + 1, "to_minute": now - 1, "minutes": now - from - 1,
                                "reason": "no server looked at these minutes"}),
                        None,
                    );
                }
                look(&state, now);
                let _ = state.store().mark_schedule_looked(now);
            })
            .await;
        }
    });
}

/// The fields of minute `minute` (minutes since the epoch), in UTC.
fn minute_of(minute: i64) -> Option<Minute> {
    let zoned = jiff::Timestamp::from_second(minute * 60)
        .ok()?
        .to_zoned(jiff::tz::TimeZone::UTC);
    Some(Minute {
        minute: zoned.minute() as u32,
        hour: zoned.hour() as u32,
        day: zoned.day() as u32,
        month: zoned.month() as u32,
        weekday: zoned.weekday().to_sunday_zero_offset() as u32,
    })
}

/// Fires what fires at `minute` in every repository.
fn look(state: &SharedState, minute: i64) {
    let Some(at) = minute_of(minute) else {
        return;
    };
    for repo in state.repos() {
        fire(state, &repo, minute, at);
    }
}

fn fire(state: &SharedState, repo: &RepoConfig, minute: i64, at: Minute) {
    if state.refresh(repo).is_err() {
        return;
    }
    let Some(git) = state.repository(repo) else {
        return;
    };
    let branch = repo
        .default_branch
        .clone()
        .or_else(|| git.current_branch())
        .unwrap_or_else(|| "main".to_owned());
    let Ok(sha) = git.resolve(&format!("refs/heads/{branch}")) else {
        return;
    };
    let prefix = crate::planner::subdir(repo, &git);
    let dir = crate::planner::in_repo(repo, &git, ".github/workflows");
    let Ok(files) = state.commit_files.files_at(&git, &sha, &dir) else {
        return;
    };
    for (name, bytes) in files.iter() {
        if !(name.ends_with(".yml") || name.ends_with(".yaml")) {
            continue;
        }
        let text = String::from_utf8_lossy(bytes);
        let parsed = hoist_workflow::parse_workflow(&text);
        let Some(trigger) = parsed.workflow.on.events.get("schedule") else {
            continue;
        };
        let path = name
            .strip_prefix(&format!("{prefix}/"))
            .unwrap_or(name)
            .to_owned();
        for cron in &trigger.crons {
            let Ok(schedule) = Schedule::parse(&cron.value) else {
                continue;
            };
            if !schedule.fires_at(at) {
                continue;
            }
            let claimed = state
                .store()
                .claim_schedule_tick(&repo.name, &path, &cron.value, minute);
            if !matches!(claimed, Ok(true)) {
                continue;
            }
            let actor = git
                .commit_info(&sha)
                .map(|c| c.author)
                .unwrap_or_else(|_| "hoist-schedule".to_owned());
            let event = ServerEvent {
                name: "schedule".to_owned(),
                git_ref: format!("refs/heads/{branch}"),
                sha: sha.clone(),
                branch: branch.clone(),
                payload: Some(json!({
                    "schedule": cron.value,
                    "repository": {"name": repo.name, "full_name": repo.forge_name.clone().unwrap_or_else(|| repo.name.clone()), "default_branch": branch},
                })),
                actor,
                only: Some(path.clone()),
                ..ServerEvent::default()
            };
            if let Ok(runs) = start_runs(state, repo, &git, &event) {
                for run in runs {
                    let _ = state.store().set_schedule_tick_run(
                        &repo.name,
                        &path,
                        &cron.value,
                        minute,
                        run,
                    );
                }
            }
        }
    }
}
