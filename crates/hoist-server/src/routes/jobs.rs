//! The runners' side of the API: claiming a job (a long poll), renewing its lease (a long poll
//! too, answered as soon as the job's run is cancelled), reporting its events and its end. A runner whose lease was taken back gets 409 on every call about
//! that job and stops it.

use std::time::Duration;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hoist_engine::Observer;
use hoist_store::QueueState;

use crate::api_error::ApiError;
use crate::auth::Caller;
use crate::routes::runs::bad_json;
use crate::state::SharedState;
use crate::wire::{Assignment, ClaimRequest, EventsReport, FinishReport, RenewRequest};

/// How long a claim waits for a job before answering 204 (the runner asks again).
const CLAIM_WAIT: Duration = Duration::from_secs(20);

pub(crate) async fn claim(
    State(state): State<SharedState>,
    caller: Caller,
    body: Result<Json<ClaimRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body.map_err(bad_json)?;
    caller.require_runner(&body.runner)?;
    state.metrics.runner_seen(&body.runner);
    let deadline = tokio::time::Instant::now() + CLAIM_WAIT;
    loop {
        state.refuse_if_draining()?;
        // Registered before looking: a job queued between the look and the wait wakes us.
        let changed = state.queue_changed.notified();
        let lease = state.config.lease;
        let claimed = state.store().claim_job(&body.runner, &body.labels, lease)?;
        if let Some(mut job) = claimed {
            if let Some(sealed) = job.sealed.take()
                && let Err(e) = state
                    .vault
                    .unseal_job(job.run_id, &mut job.request, &sealed)
            {
                // Run without its secrets it would fail in confusing ways, or worse: end it
                // here, saying why.
                let outcome = hoist_engine::JobOutcome {
                    result: hoist_engine::Conclusion::Failure,
                    outputs: Vec::new(),
                    reason: Some(format!("cannot open the job's secrets: {e}")),
                    environment_url: None,
                };
                state.store().finish_job(job.id, &body.runner, &outcome)?;
                state.job_changed(job.id);
                continue;
            }
            crate::oidc::grant(&state, job.id, &mut job.request)?;
            if job.attempt > 1 {
                retried(&state, &job, &body.runner);
            }
            return Ok(Json(Assignment {
                id: job.id,
                attempt: job.attempt,
                lease_ms: lease.as_millis() as u64,
                request: job.request,
            })
            .into_response());
        }
        // Jobs queued by other servers sharing the database wake nothing here: look again
        // every so often.
        let look_again = (tokio::time::Instant::now() + state.poll_every()).min(deadline);
        let _ = tokio::time::timeout_at(look_again, changed).await;
        if tokio::time::Instant::now() >= deadline {
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
    }
}

pub(crate) async fn renew(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Result<Json<RenewRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body.map_err(bad_json)?;
    caller.require_runner(&body.runner)?;
    state.metrics.runner_seen(&body.runner);
    if state
        .store()
        .renew(id, &body.runner, state.config.lease)?
        .is_none()
    {
        return Err(lost(id, &body.runner));
    }
    // The long poll: renewed now, the answer waits for a cancellation, at most half a lease
    // so that the runner's next renewal comes well before this one runs out.
    let wait = Duration::from_millis(body.wait_ms).min(state.config.lease / 2);
    let deadline = tokio::time::Instant::now() + wait;
    let cancel = loop {
        // Registered before looking: a cancel between the look and the wait wakes us.
        let asked = state.stop_asked.notified();
        let cancel = state.store().cancel_asked(id, &body.runner)?;
        match cancel {
            None => return Err(lost(id, &body.runner)),
            Some(true) => break true,
            Some(false) if tokio::time::Instant::now() >= deadline || state.is_draining() => {
                break false;
            }
            Some(false) => {}
        }
        // Cancels of runs planned by another server sharing the database wake nothing here:
        // look again, though not as often as claims do (a second is soon enough for a
        // cancel, and every running job waits here).
        let every = state.poll_every().max(Duration::from_secs(1));
        let look_again = (tokio::time::Instant::now() + every).min(deadline);
        let _ = tokio::time::timeout_at(look_again, asked).await;
    };
    if cancel {
        // The run was cancelled: the runner cancels the job.
        Ok(Json(crate::wire::RenewAnswer { cancel: true }).into_response())
    } else {
        Ok(StatusCode::NO_CONTENT.into_response())
    }
}

pub(crate) async fn events(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Result<Json<EventsReport>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(report) = body.map_err(bad_json)?;
    caller.require_runner(&report.runner)?;
    let owner = state
        .store()
        .queued_job_owner(id)?
        .ok_or_else(|| ApiError::not_found(format!("no queued job {id}")))?;
    if owner.state != QueueState::Claimed
        || owner.runner.as_deref() != Some(report.runner.as_str())
        || owner.attempt != report.attempt
    {
        return Err(lost(id, &report.runner));
    }
    // Planned here or by another server sharing the database: recorded here either way.
    let recorder = state.recorder_for(owner.run_id)?;
    // Acknowledged only once committed: a runner forgets what it sent only then.
    let (attempt, events) = (report.attempt, report.events);
    tokio::task::spawn_blocking(move || recorder.record_numbered(id, attempt, events))
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("recording the events failed: {e}"),
            )
        })??;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn finish(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Result<Json<FinishReport>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(report) = body.map_err(bad_json)?;
    caller.require_runner(&report.runner)?;
    if state
        .store()
        .finish_job(id, &report.runner, &report.outcome)?
    {
        state.job_changed(id);
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(lost(id, &report.runner))
    }
}

/// Tells the run's history that the job starts again: the lost attempt's records go.
fn retried(state: &SharedState, job: &hoist_store::ClaimedJob, runner: &str) {
    if let Ok(recorder) = state.recorder_for(job.run_id) {
        recorder.on_event(&hoist_engine::RunEvent::JobRetried {
            job: job.request.key.clone(),
            attempt: job.attempt,
            reason: format!(
                "the runner of attempt {} was lost (its lease ran out); running again on `{runner}`",
                job.attempt - 1
            ),
        });
    }
}

fn lost(id: i64, runner: &str) -> ApiError {
    ApiError::conflict(format!(
        "job {id} is not held by `{runner}` any more (its lease ran out, or it is done); stop it"
    ))
}
