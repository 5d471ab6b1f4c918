//! Reading the history: run lists, one run's full record, a job's logs. The same rows the
//! local `hoist runs` reads, so that the CLI prints remote runs exactly as local ones.

use axum::Json;
use axum::extract::{Path, Query, State};
use hoist_store::{Role, RunFilter, RunRow};

use crate::api_error::ApiError;
use crate::auth::Caller;
use crate::state::SharedState;
use crate::wire::{LogPart, RunQuery, RunRecord};

pub(crate) async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    Query(query): Query<RunQuery>,
) -> Result<Json<Vec<RunRow>>, ApiError> {
    caller.require(Role::Viewer)?;
    Ok(Json(state.store().list_runs(&filter(query, None))?))
}

pub(crate) async fn list_of_repo(
    State(state): State<SharedState>,
    caller: Caller,
    Path(repo): Path<String>,
    Query(query): Query<RunQuery>,
) -> Result<Json<Vec<RunRow>>, ApiError> {
    caller.require(Role::Viewer)?;
    if !state.config.repos.iter().any(|r| r.name == repo) {
        return Err(ApiError::not_found(format!("no repository `{repo}`")));
    }
    Ok(Json(state.store().list_runs(&filter(query, Some(repo)))?))
}

fn filter(query: RunQuery, repo: Option<String>) -> RunFilter {
    RunFilter {
        workflow: query.workflow,
        status: query.status,
        branch: query.branch,
        repo,
        limit: query.limit.unwrap_or(20).clamp(1, 1000),
    }
}

pub(crate) async fn record(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<RunRecord>, ApiError> {
    caller.require(Role::Viewer)?;
    let store = state.store();
    Ok(Json(RunRecord {
        run: store.run(id)?,
        jobs: store.jobs(id)?,
        annotations: store.annotations(id)?,
        artifacts: store.artifacts(id)?,
        objects: store.run_objects(id)?,
    }))
}

pub(crate) async fn logs(
    State(state): State<SharedState>,
    caller: Caller,
    Path((id, job)): Path<(i64, String)>,
) -> Result<Json<Vec<LogPart>>, ApiError> {
    caller.require(Role::Viewer)?;
    let store = state.store();
    let jobs = store.jobs(id)?;
    let Some(row) = jobs.iter().find(|j| j.key == job || j.job_id == job) else {
        let names: Vec<String> = jobs.iter().map(|j| format!("`{}`", j.key)).collect();
        return Err(ApiError::not_found(format!(
            "run {id} has no job `{job}` (it has {})",
            names.join(", ")
        )));
    };
    // The server keeps logs in its database; object storage is not configured for it yet.
    let storages = hoist_storage::StorageCatalog::new(Default::default());
    let parts = store
        .job_log(row, &storages)?
        .into_iter()
        .map(|(step, text)| LogPart { step, text })
        .collect();
    Ok(Json(parts))
}
