//! Push runs without webhooks: every `poll` interval the server reads the branch heads of
//! each polled repository and, for every branch that moved, starts the runs its workflows'
//! `push` triggers ask for (branch and path filters applied to the files the push changed).
//!
//! Guarantees: a branch seen for the first time is only remembered (starting the server does
//! not run the whole history); a head is remembered only after its runs were created, so a
//! crash in between runs them on the next look rather than never; a workflow that does not
//! check at the commit is skipped.

use std::time::Duration;

use hoist_git::Repository;
use hoist_workflow::trigger::{Decision, Event, decide};
use serde_json::json;

use crate::config::RepoConfig;
use crate::planner::{Planned, in_repo, start_planning, subdir};
use crate::state::SharedState;

/// Starts a poller for every repository that asks for one.
pub(crate) fn spawn(state: &SharedState) {
    for repo in state.config.repos.iter().filter(|r| r.poll.is_some()) {
        let (state, repo) = (state.clone(), repo.clone());
        tokio::spawn(async move {
            let every = repo.poll.unwrap_or(Duration::from_secs(60));
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let (state, repo) = (state.clone(), repo.clone());
                let _ = tokio::task::spawn_blocking(move || look(&state, &repo)).await;
            }
        });
    }
}

/// One look at the branches of `repo`.
fn look(state: &SharedState, repo: &RepoConfig) {
    if state.refresh(repo).is_err() {
        // Unreachable for now: the next poll tries again.
        return;
    }
    let Some(git) = state.repository(repo) else {
        return;
    };
    let Ok(heads) = git.branch_heads() else {
        return;
    };
    for (branch, sha) in heads {
        let known = state
            .store()
            .branch_head(&repo.name, &branch)
            .ok()
            .flatten();
        match known {
            Some(before) if before == sha => {}
            Some(before) => {
                if push(state, repo, &git, &branch, &before, &sha, "hoist-poll").is_some() {
                    let _ = state.store().set_branch_head(&repo.name, &branch, &sha);
                }
            }
            None => {
                let _ = state.store().set_branch_head(&repo.name, &branch, &sha);
            }
        }
    }
}

/// Starts the push runs of `branch` moving from `before` to `sha` (pushed by `actor`); the
/// ids of the runs, or `None` when one could not be created. A new branch (`before` all
/// zeros) is compared with where it leaves the default branch.
pub(crate) fn push(
    state: &SharedState,
    repo: &RepoConfig,
    git: &Repository,
    branch: &str,
    before: &str,
    sha: &str,
    actor: &str,
) -> Option<Vec<i64>> {
    if let Some(observer) = &state.config.observer {
        observer.pushed(&repo.name, branch, sha);
    }
    let prefix = subdir(repo, git);
    let base = if before.chars().all(|c| c == '0') {
        let default = repo
            .default_branch
            .clone()
            .or_else(|| git.current_branch())
            .unwrap_or_else(|| "main".to_owned());
        git.merge_base(&default, sha)
            .unwrap_or_else(|_| sha.to_owned())
    } else {
        before.to_owned()
    };
    let changed: Vec<String> = match git.changed_files(&base, Some(sha)) {
        Ok(files) => files
            .into_iter()
            .filter_map(|f| {
                if prefix.is_empty() {
                    Some(f)
                } else {
                    f.strip_prefix(&format!("{prefix}/")).map(str::to_owned)
                }
            })
            .collect(),
        Err(_) => return None,
    };
    let dir = in_repo(repo, git, ".github/workflows");
    let Ok(files) = git.files_at(sha, std::path::Path::new(&dir)) else {
        return None;
    };
    let mut runs = Vec::new();
    let event = Event {
        name: "push".to_owned(),
        git_ref: Some(format!("refs/heads/{branch}")),
        changed_paths: Some(changed.clone()),
        ..Event::default()
    };
    for (name, bytes) in files {
        if !(name.ends_with(".yml") || name.ends_with(".yaml")) {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let parsed = hoist_workflow::parse_workflow(&text);
        if parsed.has_errors() || !matches!(decide(&parsed.workflow, &event), Decision::Run) {
            continue;
        }
        let path = name
            .strip_prefix(&format!("{prefix}/"))
            .unwrap_or(&name)
            .to_owned();
        let planned = Planned {
            repo: repo.clone(),
            path: path.clone(),
            text,
            sha: sha.to_owned(),
            branch: branch.to_owned(),
            inputs: serde_json::Map::new(),
            actor: actor.to_owned(),
            event: "push".to_owned(),
            before: Some(before.to_owned()),
            attempt: 1,
            reuse: serde_json::Map::new(),
        };
        let name = parsed
            .workflow
            .name
            .as_ref()
            .map_or_else(|| path.clone(), |n| n.value.clone());
        let run = planned.new_run(state, name);
        let detail = json!({"workflow": path, "ref": branch, "sha": sha, "before": before, "changed": changed.len()});
        let created = state
            .store()
            .create_run_audited(&run, Some((actor, "push", &detail)));
        let Ok((run_id, number)) = created else {
            return None;
        };
        if start_planning(state, run_id, number, planned, git).is_err() {
            return None;
        }
        runs.push(run_id);
    }
    Some(runs)
}
