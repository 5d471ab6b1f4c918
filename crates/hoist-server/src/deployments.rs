//! The gate between a job that targets an environment and the queue: its deployment is
//! recorded, the environment's protection rules are applied, and the job goes on only once
//! they pass.
//!
//! Guarantees:
//! - A job whose `environment:` has rules is not queued, and no runner sees its secrets,
//!   before the rules pass: the branch policy at once, then one approval by a reviewer (if
//!   any are required) and the wait timer (counted from when the job reached the
//!   environment, so a restart does not start it again).
//! - Every step is in the deployment's history; the job's end sets its final state (with
//!   the environment's URL), a rejection, an expiry or a cancellation ends it as `failure`
//!   with the reason, which the job's log also gets.
//! - Everything is in the store: a planner resuming after a restart finds the same
//!   deployment (one per job instance and attempt) with its reviews.

use std::time::Duration;

use hoist_engine::{Conclusion, JobRequest};
use hoist_store::{DeploymentRow, EnvironmentSettings, NewDeployment};
use tokio::sync::watch;

use crate::state::SharedState;

/// How long a deployment waits for a review before it fails, unless configured.
pub(crate) const DEFAULT_REVIEW_TIMEOUT: Duration = Duration::from_secs(30 * 24 * 3600);

/// What the gate decided.
pub(crate) enum Gate {
    /// The job targets no environment.
    Open,
    /// The rules passed: the job may be queued; its deployment is `in_progress`.
    Passed(i64),
    /// It must not run: the result and why.
    Closed(Conclusion, String),
}

/// Records the job's deployment and waits until the environment's rules pass.
pub(crate) async fn gate(
    state: &SharedState,
    repo: &str,
    run_id: i64,
    request: &JobRequest,
    mut cancel: watch::Receiver<bool>,
) -> Gate {
    let Some(name) = &request.environment else {
        return Gate::Open;
    };
    let opened = {
        let mut store = state.store();
        store.run(run_id).and_then(|run| {
            let env = store.ensure_environment(repo, name)?;
            let deployment = store.create_deployment(&NewDeployment {
                repo: repo.to_owned(),
                env_id: env.id,
                environment: env.name.clone(),
                run_id,
                attempt: run.attempt.max(1) as u32,
                job_key: request.key.id.clone(),
                git_ref: run.git_ref.clone(),
                sha: run.sha.clone(),
                creator: run.actor.clone(),
            })?;
            Ok((env, deployment))
        })
    };
    let (env, deployment) = match opened {
        Ok(found) => found,
        Err(e) => {
            return Gate::Closed(
                Conclusion::Failure,
                format!(
                    "cannot record the deployment to `{name}`: {}",
                    e.with_root_cause()
                ),
            );
        }
    };
    let rules = &env.settings;
    let close = |reason: String| {
        let _ = state
            .store()
            .set_deployment_state(deployment.id, "failure", &reason, None);
        Gate::Closed(Conclusion::Failure, reason)
    };
    if let Some(refused) = branch_policy(state, repo, &deployment.git_ref, &env.name, rules) {
        return close(refused);
    }
    let review_needed = !rules.reviewers.is_empty();
    if review_needed || rules.wait_timer > 0 {
        let mut waiting_for = Vec::new();
        if review_needed {
            waiting_for.push(format!("a review by {}", rules.reviewers.join(", ")));
        }
        if rules.wait_timer > 0 {
            waiting_for.push(format!("the wait timer of {} minute(s)", rules.wait_timer));
        }
        let _ = state.store().set_deployment_state(
            deployment.id,
            "waiting",
            &format!("waiting for {}", waiting_for.join(" and ")),
            None,
        );
    }
    let timer_ends = deployment.created_at + i64::from(rules.wait_timer) * 60_000;
    let expires = deployment.created_at
        + state
            .config
            .review_timeout
            .unwrap_or(DEFAULT_REVIEW_TIMEOUT)
            .as_millis() as i64;
    loop {
        let current = state.store().deployment(deployment.id).ok().flatten();
        let Some(current) = current else {
            return Gate::Closed(
                Conclusion::Failure,
                format!("the deployment to `{}` disappeared", env.name),
            );
        };
        if current.state == "failure" {
            // Rejected (the store ended it and says by whom).
            let why = current
                .statuses
                .last()
                .map(|s| s.description.clone())
                .unwrap_or_default();
            return Gate::Closed(
                Conclusion::Failure,
                format!("the deployment to `{}` was {why}", env.name),
            );
        }
        let now = state.now_ms();
        let approved = !review_needed || current.reviews.iter().any(|r| r.state == "approved");
        let timer_passed = rules.wait_timer == 0 || now >= timer_ends;
        if approved && timer_passed {
            let how = describe_pass(&current, review_needed, rules.wait_timer);
            let _ = state
                .store()
                .set_deployment_state(deployment.id, "in_progress", &how, None);
            return Gate::Passed(deployment.id);
        }
        if !approved && now >= expires {
            let reason = format!(
                "the deployment to `{}` was not reviewed in time ({} day(s)); run the job again to deploy",
                env.name,
                (expires - deployment.created_at) / 86_400_000
            );
            return close(reason);
        }
        if *cancel.borrow() {
            let reason = "the run was cancelled".to_owned();
            let _ = state
                .store()
                .set_deployment_state(deployment.id, "failure", &reason, None);
            return Gate::Closed(Conclusion::Cancelled, reason);
        }
        // Reviews wake this at once; the timer and other servers' reviews are looked for.
        let look = if approved {
            Duration::from_millis((timer_ends - now).clamp(50, 1000) as u64)
        } else {
            state.poll_every().min(Duration::from_secs(1))
        };
        let reviewed = state.deployments_changed.notified();
        tokio::select! {
            () = tokio::time::sleep(look) => {}
            () = reviewed => {}
            _ = cancel.changed() => {}
        }
    }
}

/// Sets the deployment's final state from how its job ended.
pub(crate) fn finish(state: &SharedState, deployment: i64, result: Conclusion, url: Option<&str>) {
    let (to, description) = match result {
        Conclusion::Success => ("success", "the job succeeded"),
        Conclusion::Cancelled => ("failure", "the job was cancelled"),
        Conclusion::Skipped => ("inactive", "the job was skipped"),
        Conclusion::Failure => ("failure", "the job failed"),
    };
    let _ = state
        .store()
        .set_deployment_state(deployment, to, description, url);
}

/// GitHub's refusal when `git_ref` may not deploy to the environment; `None` when it may.
fn branch_policy(
    state: &SharedState,
    repo: &str,
    git_ref: &str,
    env: &str,
    rules: &EnvironmentSettings,
) -> Option<String> {
    if rules.branches.is_empty() && rules.tags.is_empty() && !rules.protected_branches {
        return None;
    }
    let (kind, name) = if let Some(tag) = git_ref.strip_prefix("refs/tags/") {
        ("Tag", tag)
    } else {
        (
            "Branch",
            git_ref.strip_prefix("refs/heads/").unwrap_or(git_ref),
        )
    };
    let allowed = if kind == "Tag" {
        rules.tags.iter().any(|p| crate::statuses::glob(p, name))
    } else if rules.protected_branches {
        state
            .repo(repo)
            .is_some_and(|r| crate::statuses::is_protected(&r.protections, name))
    } else {
        rules
            .branches
            .iter()
            .any(|p| crate::statuses::glob(p, name))
    };
    (!allowed).then(|| {
        format!(
            "{kind} \"{name}\" is not allowed to deploy to {env} due to environment protection rules."
        )
    })
}

fn describe_pass(deployment: &DeploymentRow, review_needed: bool, wait_timer: u32) -> String {
    let mut parts = Vec::new();
    if review_needed && let Some(r) = deployment.reviews.iter().find(|r| r.state == "approved") {
        parts.push(format!("approved by {}", r.reviewer));
    }
    if wait_timer > 0 {
        parts.push(format!("waited {wait_timer} minute(s)"));
    }
    if parts.is_empty() {
        "the job may deploy".to_owned()
    } else {
        parts.join(", ")
    }
}
