//! The engine's `JobPlacement` for the server: each job instance goes into the store's queue,
//! and the planner waits for a runner's outcome. Concurrency groups (a run's and a job's)
//! are kept here too, in the store, so that they hold across runners and server replicas: a
//! member waits for its turn before it is queued.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use hoist_engine::{
    Admission, Checkout, Conclusion, ConcurrencyClaim, JobOutcome, JobPlacement, JobRequest,
};
use hoist_store::{GroupState, QueueState};
use tokio::sync::watch;

use crate::deployments::Gate;
use crate::state::SharedState;

pub(crate) struct QueuePlacement {
    pub(crate) state: SharedState,
    /// The repository's name: concurrency groups are per repository.
    pub(crate) repo: String,
    pub(crate) run_id: i64,
    pub(crate) checkout: Checkout,
}

impl JobPlacement for QueuePlacement {
    fn run(
        &self,
        mut request: JobRequest,
        mut cancel: watch::Receiver<bool>,
    ) -> Pin<Box<dyn Future<Output = JobOutcome> + Send + 'static>> {
        request.checkout = Some(self.checkout.clone());
        let (state, run_id, repo) = (self.state.clone(), self.run_id, self.repo.clone());
        Box::pin(async move {
            if let Some(known) = &state.config.labels {
                let mut all = crate::config::RunnerConfig::default_labels();
                all.extend(known.iter().cloned());
                if let Some(missing) = request
                    .runs_on
                    .iter()
                    .find(|l| !hoist_store::labels_match(std::slice::from_ref(*l), &all))
                {
                    let reason = format!(
                        "no runner of this server has the label `{missing}` (`runs-on: {}`); the labels that exist are {}. Add it to `[server] labels` if runners with it will connect",
                        request.runs_on.join(", "),
                        all.iter()
                            .map(|l| format!("`{l}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                    report_unrun(&state, run_id, &request.key, Conclusion::Failure, &reason);
                    return failed(reason);
                }
            }
            let grouped = request.concurrency.is_some();
            if let Some(claim) = request.concurrency.clone() {
                let job_key = request.key.id.clone();
                let turn = wait_turn(&state, &repo, run_id, &job_key, claim, cancel.clone());
                if let Admission::Cancelled { reason } = turn.await {
                    report_unrun(&state, run_id, &request.key, Conclusion::Cancelled, &reason);
                    return JobOutcome {
                        result: Conclusion::Cancelled,
                        outputs: Vec::new(),
                        reason: Some(reason),
                        environment_url: None,
                    };
                }
            }
            let deployment =
                match crate::deployments::gate(&state, &repo, run_id, &request, cancel.clone())
                    .await
                {
                    Gate::Open => None,
                    Gate::Passed(id) => Some(id),
                    Gate::Closed(result, reason) => {
                        if grouped {
                            let _ = state.store().leave_group(run_id, &request.key.id);
                        }
                        report_unrun(&state, run_id, &request.key, result, &reason);
                        return JobOutcome {
                            result,
                            outputs: Vec::new(),
                            reason: Some(reason),
                            environment_url: None,
                        };
                    }
                };
            // The queue holds the job's secrets sealed, the request none of them.
            let sealed = match state.vault.seal_job(run_id, &mut request) {
                Ok(sealed) => sealed,
                Err(e) => return failed(format!("cannot seal the job's secrets: {e}")),
            };
            let queued = state
                .store()
                .enqueue_sealed_job(run_id, &request, sealed.as_deref());
            let id = match queued {
                Ok(id) => id,
                Err(e) => return failed(format!("cannot queue the job: {}", e.with_root_cause())),
            };
            // A newer member of the group that asked this one to cancel before it was queued.
            // (Read first: the store's guard must not live into the cancel.)
            let asked = if grouped {
                state
                    .store()
                    .group_cancel_requested(run_id, &request.key.id)
                    .ok()
                    .flatten()
            } else {
                None
            };
            if let Some(reason) = asked {
                let _ = state.store().cancel_job(id, &reason);
                state.jobs_asked_to_stop();
            }
            state.queue_changed.notify_waiters();
            let mut cancel_sent = false;
            let signal = state.job_signal(id);
            let outcome = loop {
                if *cancel.borrow() && !cancel_sent {
                    cancel_sent = true;
                    // Queued: ends at once; held by a runner: its waiting renewal hears it now.
                    let _ = state.store().cancel_job(id, "the run was cancelled");
                    state.jobs_asked_to_stop();
                }
                // A finish between the look and the wait leaves its permit: no wake-up is lost.
                let looked = state.store().queued_job(id);
                match looked {
                    Ok(Some((QueueState::Done, Some(outcome)))) => {
                        if let Some(reason) = &outcome.reason {
                            // No runner reported the end: the history hears it from here.
                            report_unrun(&state, run_id, &request.key, outcome.result, reason);
                        }
                        break outcome;
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => break failed("the queued job disappeared".to_owned()),
                    Err(e) => {
                        break failed(format!("cannot read the queue: {}", e.with_root_cause()));
                    }
                }
                tokio::select! {
                    _ = tokio::time::timeout(state.poll_every(), signal.notified()) => {}
                    _ = cancel.changed(), if !cancel_sent => {}
                }
            };
            state.forget_job(id);
            if grouped {
                let _ = state.store().leave_group(run_id, &request.key.id);
            }
            if let Some(deployment) = deployment {
                crate::deployments::finish(
                    &state,
                    deployment,
                    outcome.result,
                    outcome.environment_url.as_deref(),
                );
            }
            outcome
        })
    }

    fn admit_run(
        &self,
        claim: ConcurrencyClaim,
        cancel: watch::Receiver<bool>,
    ) -> Pin<Box<dyn Future<Output = Admission> + Send + 'static>> {
        let (state, run_id, repo) = (self.state.clone(), self.run_id, self.repo.clone());
        Box::pin(async move { wait_turn(&state, &repo, run_id, "", claim, cancel).await })
    }
}

/// Joins member (`run_id`, `job_key`: `""` for the run) to its group and waits for its turn:
/// GitHub's rules are the store's (`hoist_store::Store::join_group`); here the running
/// member a `cancel-in-progress` join displaces hears it at once when this server plans it.
async fn wait_turn(
    state: &SharedState,
    repo: &str,
    run_id: i64,
    job_key: &str,
    claim: ConcurrencyClaim,
    mut cancel: watch::Receiver<bool>,
) -> Admission {
    let joined = state.store().join_group(
        repo,
        &claim.group,
        run_id,
        job_key,
        claim.cancel_in_progress,
    );
    let mut turn = match joined {
        Ok(joined) => {
            // Who displaced whom is in the audit log: a cancelled run's author asks why.
            let displaced = joined
                .cancelling
                .iter()
                .map(|m| (m, "cancel-in-progress"))
                .chain(joined.replaced.iter().map(|m| (m, "replaced-pending")));
            for ((other, other_job), how) in displaced {
                let _ = state.store().audit(
                    "hoist-concurrency",
                    "concurrency.cancel",
                    None,
                    &serde_json::json!({"group": claim.group, "repo": repo, "job": other_job,
                                        "by_run": run_id, "by_job": job_key, "how": how}),
                    Some(*other),
                );
            }
            for (other, other_job) in &joined.cancelling {
                if other_job.is_empty() {
                    state.cancel_here(*other);
                }
            }
            if !joined.cancelling.is_empty() {
                state.wake_all_jobs();
                state.jobs_asked_to_stop();
            }
            joined.state
        }
        Err(e) => {
            return Admission::Cancelled {
                reason: format!(
                    "cannot join concurrency group `{}`: {}",
                    claim.group,
                    e.with_root_cause()
                ),
            };
        }
    };
    loop {
        match turn {
            GroupState::Running | GroupState::Left => return Admission::Go,
            GroupState::Cancelled { reason } => return Admission::Cancelled { reason },
            GroupState::Pending => {}
        }
        if *cancel.borrow() {
            let _ = state.store().leave_group(run_id, job_key);
            return Admission::Cancelled {
                reason: "the run was cancelled".to_owned(),
            };
        }
        tokio::select! {
            // The running member leaves wherever it runs: a look twice a second at most.
            () = tokio::time::sleep(state.poll_every().min(Duration::from_millis(500))) => {}
            _ = cancel.changed() => {}
        }
        turn = match state.store().group_turn(run_id, job_key) {
            Ok(t) => t,
            // A database that does not answer for a moment: look again.
            Err(_) => GroupState::Pending,
        };
    }
}

fn report_unrun(
    state: &SharedState,
    run_id: i64,
    key: &hoist_engine::JobKey,
    result: Conclusion,
    reason: &str,
) {
    let recorder = state
        .recorders
        .lock()
        .ok()
        .and_then(|r| r.get(&run_id).cloned());
    if let Some(recorder) = recorder {
        use hoist_engine::{Observer, RunEvent};
        let prefix = if result == Conclusion::Failure {
            "Error: "
        } else {
            ""
        };
        recorder.on_event(&RunEvent::Log {
            job: key.clone(),
            step: None,
            line: format!("{prefix}{reason}"),
        });
        recorder.on_event(&RunEvent::JobFinished {
            job: key.clone(),
            result,
            duration: Duration::ZERO,
            outputs: Vec::new(),
        });
    }
}

fn failed(reason: String) -> JobOutcome {
    JobOutcome {
        result: Conclusion::Failure,
        outputs: Vec::new(),
        reason: Some(reason),
        environment_url: None,
    }
}
