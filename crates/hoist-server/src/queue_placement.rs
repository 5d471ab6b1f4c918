//! The engine's `JobPlacement` for the server: each job instance goes into the store's queue,
//! and the planner waits for a runner's outcome.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use hoist_engine::{Checkout, Conclusion, JobOutcome, JobPlacement, JobRequest};
use hoist_store::QueueState;
use tokio::sync::watch;

use crate::state::SharedState;

pub(crate) struct QueuePlacement {
    pub(crate) state: SharedState,
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
        let (state, run_id) = (self.state.clone(), self.run_id);
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
            let id = match state.store().enqueue_job(run_id, &request) {
                Ok(id) => id,
                Err(e) => return failed(format!("cannot queue the job: {}", e.with_root_cause())),
            };
            state.queue_changed.notify_waiters();
            let mut cancel_sent = false;
            let signal = state.job_signal(id);
            let outcome = loop {
                if *cancel.borrow() && !cancel_sent {
                    cancel_sent = true;
                    // Queued: ends at once; held by a runner: it hears at its next renewal.
                    let _ = state.store().cancel_job(id, "the run was cancelled");
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
            outcome
        })
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
    }
}
