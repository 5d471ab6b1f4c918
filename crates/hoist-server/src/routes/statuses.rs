//! A commit's checks in GitHub's shapes: `GET /api/v1/repos/{repo}/commits/{ref}/status`
//! (the combined status), `…/check-runs`, and `GET /badge/{repo}/{workflow}.svg`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use hoist_store::{Role, RunFilter};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::auth::Caller;
use crate::routes::repos::named;
use crate::state::SharedState;
use crate::wire::CombinedStatus;

/// The commit `reference` names in `repo` (a SHA, a branch, a tag).
fn commit_of(state: &SharedState, name: &str, reference: &str) -> Result<String, ApiError> {
    let repo = named(state, name)?;
    let git = state.git_of(&repo)?;
    git.resolve(reference).map_err(|_| {
        ApiError::not_found(format!(
            "`{name}` has no commit, branch or tag `{reference}`"
        ))
    })
}

pub(crate) async fn combined(
    State(state): State<SharedState>,
    caller: Caller,
    Path((name, reference)): Path<(String, String)>,
) -> Result<Json<CombinedStatus>, ApiError> {
    caller.require(Role::Viewer)?;
    caller.require_repo(&name)?;
    let sha = commit_of(&state, &name, &reference)?;
    let statuses = crate::statuses::of_commit(&state, &name, &sha)?;
    Ok(Json(CombinedStatus {
        state: crate::statuses::combined(&statuses).to_owned(),
        total_count: statuses.len(),
        sha,
        statuses,
    }))
}

fn time(ms: Option<i64>) -> Value {
    ms.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map_or(Value::Null, |t| {
            Value::from(
                t.round(jiff::Unit::Second)
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
            )
        })
}

pub(crate) async fn check_runs(
    State(state): State<SharedState>,
    caller: Caller,
    Path((name, reference)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Role::Viewer)?;
    caller.require_repo(&name)?;
    let sha = commit_of(&state, &name, &reference)?;
    let statuses = crate::statuses::of_commit(&state, &name, &sha)?;
    let runs: Vec<Value> = statuses
        .iter()
        .filter(|s| s.context.contains(" / "))
        .map(|s| {
            json!({
                "name": s.context,
                "head_sha": sha,
                "status": if s.state == "pending" { "in_progress" } else { "completed" },
                "conclusion": s.conclusion,
                "started_at": time(s.started_at),
                "completed_at": time(s.finished_at),
                "details_url": s.target_url,
                "run_id": s.run_id,
                "event": s.event,
            })
        })
        .collect();
    Ok(Json(json!({"total_count": runs.len(), "check_runs": runs})))
}

#[derive(Debug, Deserialize)]
pub(crate) struct BadgeQuery {
    branch: Option<String>,
    event: Option<String>,
}

/// `GET /badge/{repo}/{workflow}.svg[?branch=main&event=push]`: the newest completed run's
/// result. Public, as badges in READMEs are; it shows only the result.
pub(crate) async fn badge(
    State(state): State<SharedState>,
    Path((name, file)): Path<(String, String)>,
    Query(q): Query<BadgeQuery>,
) -> Result<impl IntoResponse, ApiError> {
    named(&state, &name)?;
    let workflow = file.strip_suffix(".svg").unwrap_or(&file).to_owned();
    let runs = state.store().list_runs(&RunFilter {
        repo: Some(name.clone()),
        workflow: Some(workflow.clone()),
        branch: q.branch,
        event: q.event,
        limit: 20,
        ..RunFilter::default()
    })?;
    let label = runs
        .first()
        .map_or_else(|| workflow.clone(), |r| r.workflow_name.clone());
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        crate::statuses::badge(&label, &runs),
    ))
}
