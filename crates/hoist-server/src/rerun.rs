//! Running a finished run again as a new attempt: all of it, or only its failed jobs (and
//! what needs them), the jobs that succeeded keeping their results and outputs. As GitHub's
//! `rerun` and `rerun-failed-jobs`: the new attempt has the run's number, its commit, its
//! inputs and its event.

use hoist_store::RunFilter;
use serde_json::json;

use crate::api_error::ApiError;
use crate::planner::{planned_again, start_requested};
use crate::state::SharedState;
use crate::wire::DispatchResponse;

/// Starts attempt N+1 of run `id` (N: its newest attempt); with `failed_only`, the jobs that
/// succeeded in run `id` are not run again. Audited as `rerun` in the same transaction.
pub(crate) fn rerun(
    state: &SharedState,
    id: i64,
    failed_only: bool,
    actor: &str,
) -> Result<DispatchResponse, ApiError> {
    let run = state.store().run(id)?;
    if run.status != "completed" {
        return Err(ApiError::conflict(format!(
            "run {id} is still {}; cancel it or wait for it to finish",
            run.status.replace('_', " ")
        )));
    }
    let (mut planned, git) = planned_again(state, &run).map_err(|reason| {
        ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            format!("run {id} cannot be run again: {reason}"),
        )
    })?;
    let newest = state
        .store()
        .list_runs(&RunFilter {
            workflow: Some(run.workflow_path.clone()),
            repo: Some(planned.repo.name.clone()),
            limit: 100_000,
            ..RunFilter::default()
        })?
        .into_iter()
        .filter(|r| r.number == run.number)
        .map(|r| r.attempt)
        .max()
        .unwrap_or(run.attempt);
    planned.attempt = newest as u32 + 1;
    planned.reuse = serde_json::Map::new();
    if failed_only {
        // A job id succeeded when every instance of it (matrix legs) did; jobs of called
        // workflows follow their caller.
        let mut succeeded: serde_json::Map<String, serde_json::Value> = serde_json::Map::new();
        let mut failed = std::collections::HashSet::new();
        for job in state.store().jobs(id)? {
            if job.key.contains(" / ") {
                continue;
            }
            if job.conclusion.as_deref() == Some("success") {
                let outputs = succeeded
                    .entry(job.job_id.clone())
                    .or_insert_with(|| json!({}));
                if let (Some(into), Some(from)) = (outputs.as_object_mut(), job.outputs.as_object())
                {
                    into.extend(from.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            } else {
                failed.insert(job.job_id.clone());
            }
        }
        succeeded.retain(|job, _| !failed.contains(job));
        planned.reuse = succeeded;
    }
    let workflow_name = run.workflow_name.clone();
    let mut new_run = planned.new_run(state, workflow_name);
    new_run.number = Some(run.number);
    let detail = json!({
        "workflow": planned.path,
        "sha": planned.sha,
        "rerun_of": id,
        "attempt": planned.attempt,
        "failed_only": failed_only,
    });
    start_requested(state, &new_run, (actor, "rerun", &detail), planned, &git)
}
