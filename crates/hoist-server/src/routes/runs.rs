//! Runs: dispatching one, and reading one with its jobs.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};

use crate::api_error::ApiError;
use crate::auth::Caller;
use crate::state::SharedState;
use crate::wire::{DispatchRequest, DispatchResponse, JobView, RunView};
use hoist_store::Role;

pub(crate) async fn dispatch(
    State(state): State<SharedState>,
    caller: Caller,
    Path((repo, file)): Path<(String, String)>,
    body: Result<Json<DispatchRequest>, JsonRejection>,
) -> Result<Json<DispatchResponse>, ApiError> {
    caller.require(Role::Developer)?;
    caller.require_repo(&repo)?;
    state.refuse_if_draining()?;
    let Json(body) = body.map_err(bad_json)?;
    // git and SQLite work: off the async threads, so that other requests go on meanwhile.
    tokio::task::spawn_blocking(move || {
        crate::planner::dispatch(&state, &repo, &file, body, &caller.name)
    })
    .await
    .map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("the dispatch failed: {e}"),
        )
    })?
    .map(Json)
}

/// `POST /api/v1/runs/{id}/rerun` and `/rerun-failed-jobs`: a new attempt of a finished run.
/// Needs `developer`; audited.
pub(crate) async fn rerun(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<(axum::http::StatusCode, Json<DispatchResponse>), ApiError> {
    rerun_attempt(state, caller, id, false).await
}

pub(crate) async fn rerun_failed(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<(axum::http::StatusCode, Json<DispatchResponse>), ApiError> {
    rerun_attempt(state, caller, id, true).await
}

async fn rerun_attempt(
    state: SharedState,
    caller: Caller,
    id: i64,
    failed_only: bool,
) -> Result<(axum::http::StatusCode, Json<DispatchResponse>), ApiError> {
    caller.require_for_run(Role::Developer, &state.store().run(id)?)?;
    state.refuse_if_draining()?;
    tokio::task::spawn_blocking(move || crate::rerun::rerun(&state, id, failed_only, &caller.name))
        .await
        .map_err(|e| {
            ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                format!("the rerun failed: {e}"),
            )
        })?
        .map(|answer| (axum::http::StatusCode::CREATED, Json(answer)))
}

pub(crate) async fn view(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<RunView>, ApiError> {
    let store = state.store();
    let run = store.run(id)?;
    caller.require_for_run(Role::Viewer, &run)?;
    let jobs = store.jobs(id)?;
    let queued = store.queued_jobs_of_run(id)?;
    let deployments: Vec<_> = store
        .deployments_of_run(id)?
        .into_iter()
        .filter(|d| i64::from(d.attempt) == run.attempt.max(1))
        .collect();
    let jobs = jobs
        .into_iter()
        .map(|j| {
            let entry = queued.iter().find(|q| q.job_key == j.key);
            // A job held at its environment's rules is `waiting`, as on GitHub.
            let waiting = deployments
                .iter()
                .any(|d| d.job_key == j.key && d.state == "waiting");
            JobView {
                key: j.key.clone(),
                name: j.name.clone(),
                status: if waiting {
                    "waiting".to_owned()
                } else {
                    j.status.clone()
                },
                conclusion: j.conclusion.clone(),
                outputs: j.outputs.clone(),
                runner: entry.and_then(|q| q.runner.clone()),
                attempts: entry.map_or(0, |q| q.attempts),
            }
        })
        .collect();
    Ok(Json(RunView {
        id: run.id,
        number: run.number,
        workflow_path: run.workflow_path.clone(),
        event: run.event.clone(),
        sha: run.sha.clone(),
        git_ref: run.git_ref.clone(),
        status: run.status.clone(),
        conclusion: run.conclusion.clone(),
        jobs,
        concurrency: crate::wire::GroupView::of(store.groups_of_run(id)?),
        deployments,
    }))
}

/// A body that is not the JSON expected: 400, naming what serde found wrong (the field and
/// its position), or 413 for one too large.
pub(crate) fn bad_json(rejection: JsonRejection) -> ApiError {
    ApiError::new(rejection.status(), rejection.body_text())
}

/// `POST /api/v1/runs/{id}/cancel`: cancels a run, planned here or by another server sharing
/// the database. Needs `developer`.
pub(crate) async fn cancel(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<(axum::http::StatusCode, Json<crate::wire::ErrorBody>), ApiError> {
    let run = state.store().run(id)?;
    caller.require_for_run(Role::Developer, &run)?;
    if run.status == "completed" {
        return Err(ApiError::conflict(format!(
            "run {id} has already completed ({})",
            run.conclusion.unwrap_or_default()
        )));
    }
    let sent = state.cancel_here(id);
    // Planned by another server sharing the database: it hears at its next upkeep.
    if !sent && !state.store().request_cancel(id)? {
        return Err(ApiError::conflict(format!("run {id} is not in progress")));
    }
    state.store().audit(
        &caller.name,
        "cancel",
        None,
        &serde_json::json!({"workflow": run.workflow_path}),
        Some(id),
    )?;
    Ok((
        axum::http::StatusCode::ACCEPTED,
        Json(crate::wire::ErrorBody {
            message: format!("run {id} is being cancelled"),
        }),
    ))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RepositoryDispatch {
    event_type: String,
    #[serde(default)]
    client_payload: serde_json::Value,
}

/// `POST /api/v1/repos/{repo}/dispatches`: GitHub's `repository_dispatch`, run on the
/// default branch by the workflows whose `types` list `event_type` (or that list none).
/// Needs `developer`; audited with the runs it started.
pub(crate) async fn repository_dispatch(
    State(state): State<SharedState>,
    caller: Caller,
    Path(repo): Path<String>,
    body: Result<Json<RepositoryDispatch>, JsonRejection>,
) -> Result<(axum::http::StatusCode, Json<serde_json::Value>), ApiError> {
    caller.require(Role::Developer)?;
    caller.require_repo(&repo)?;
    state.refuse_if_draining()?;
    let Json(body) = body.map_err(bad_json)?;
    if body.event_type.trim().is_empty() || body.event_type.len() > 100 {
        return Err(ApiError::unprocessable(
            "`event_type` must have 1 to 100 characters",
        ));
    }
    if !(body.client_payload.is_object() || body.client_payload.is_null()) {
        return Err(ApiError::unprocessable(
            "`client_payload` must be an object",
        ));
    }
    let config = crate::routes::repos::named(&state, &repo)?;
    crate::routes::off_thread(move || {
        let git = state.git_of(&config)?;
        let full_name = config.forge_name.clone().unwrap_or_else(|| config.name.clone());
        let default = config
            .default_branch
            .clone()
            .or_else(|| git.current_branch())
            .unwrap_or_else(|| "main".to_owned());
        let payload = serde_json::json!({
            "action": body.event_type,
            "branch": default,
            "client_payload": if body.client_payload.is_null() { serde_json::json!({}) } else { body.client_payload.clone() },
            "repository": {"name": config.name, "full_name": full_name, "default_branch": default},
            "sender": {"login": caller.name},
        });
        let runs = crate::event_runs::on_ref(
            &state,
            &config,
            &git,
            "repository_dispatch",
            &payload,
            &caller.name,
        )
        .map_err(ApiError::unprocessable)?;
        Ok((
            axum::http::StatusCode::ACCEPTED,
            Json(serde_json::json!({"event_type": body.event_type, "runs": runs})),
        ))
    })
    .await
}
