//! Pull requests of a repository: `POST|GET /api/v1/repos/{repo}/pulls`,
//! `GET|PATCH /api/v1/repos/{repo}/pulls/{number}` (PATCH `{"state": "closed"}` closes),
//! `PUT /api/v1/repos/{repo}/pulls/{number}/merge`, in GitHub's shapes where it has them.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use hoist_store::{PullRow, Role};
use serde::Deserialize;

use crate::api_error::ApiError;
use crate::auth::Caller;
use crate::routes::off_thread;
use crate::routes::repos::named;
use crate::routes::runs::bad_json;
use crate::state::SharedState;
use crate::wire::PullView;

fn view(
    state: &SharedState,
    repo: &crate::config::RepoConfig,
    pull: PullRow,
    runs: Vec<i64>,
) -> Result<PullView, ApiError> {
    let checks = crate::statuses::of_commit(state, &repo.name, &pull.head_sha)?;
    let required = crate::statuses::required(&repo.protections, &pull.base_ref);
    Ok(PullView {
        mergeable: pull.merge_sha.is_some(),
        checks_state: crate::statuses::combined(&checks).to_owned(),
        blocking: crate::statuses::unmet(&required, &checks),
        checks,
        pull,
        runs,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OpenPull {
    head: String,
    base: Option<String>,
    title: Option<String>,
}

pub(crate) async fn open(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Result<Json<OpenPull>, JsonRejection>,
) -> Result<(axum::http::StatusCode, Json<PullView>), ApiError> {
    caller.require(Role::Developer)?;
    caller.require_repo(&name)?;
    state.refuse_if_draining()?;
    let Json(body) = body.map_err(bad_json)?;
    let repo = named(&state, &name)?;
    off_thread(move || {
        let git = state.git_of(&repo)?;
        let base = body
            .base
            .clone()
            .or_else(|| repo.default_branch.clone())
            .unwrap_or_else(|| "main".to_owned());
        let (pull, runs) = crate::pulls::open(
            &state,
            &repo,
            &git,
            &body.head,
            &base,
            body.title.as_deref(),
            &caller.name,
        )?;
        Ok((
            axum::http::StatusCode::CREATED,
            Json(view(&state, &repo, pull, runs)?),
        ))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub(crate) struct PullsQuery {
    /// `open` (the default), `closed`, `merged` or `all`.
    state: Option<String>,
}

pub(crate) async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    Query(q): Query<PullsQuery>,
) -> Result<Json<Vec<PullRow>>, ApiError> {
    caller.require(Role::Viewer)?;
    caller.require_repo(&name)?;
    named(&state, &name)?;
    let wanted = q.state.unwrap_or_else(|| "open".to_owned());
    let filter = match wanted.as_str() {
        "all" => None,
        "open" | "closed" | "merged" => Some(wanted.as_str()),
        other => {
            return Err(ApiError::unprocessable(format!(
                "`state` is `{other}`; expected `open`, `closed`, `merged` or `all`"
            )));
        }
    };
    Ok(Json(state.store().pulls(&name, filter)?))
}

pub(crate) async fn get(
    State(state): State<SharedState>,
    caller: Caller,
    Path((name, number)): Path<(String, i64)>,
) -> Result<Json<PullView>, ApiError> {
    caller.require(Role::Viewer)?;
    caller.require_repo(&name)?;
    let repo = named(&state, &name)?;
    let pull = state
        .store()
        .pull(&name, number)?
        .ok_or_else(|| ApiError::not_found(format!("`{name}` has no pull request #{number}")))?;
    Ok(Json(view(&state, &repo, pull, Vec::new())?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatchPull {
    state: String,
}

pub(crate) async fn update(
    State(state): State<SharedState>,
    caller: Caller,
    Path((name, number)): Path<(String, i64)>,
    body: Result<Json<PatchPull>, JsonRejection>,
) -> Result<Json<PullView>, ApiError> {
    caller.require(Role::Developer)?;
    caller.require_repo(&name)?;
    let Json(body) = body.map_err(bad_json)?;
    if body.state != "closed" {
        return Err(ApiError::unprocessable(format!(
            "`state` is `{}`; only `closed` can be set (merge with `PUT …/merge`)",
            body.state
        )));
    }
    let repo = named(&state, &name)?;
    off_thread(move || {
        let git = state.git_of(&repo)?;
        let (pull, runs) = crate::pulls::close(&state, &repo, &git, number, &caller.name)?;
        Ok(Json(view(&state, &repo, pull, runs)?))
    })
    .await
}

pub(crate) async fn merge(
    State(state): State<SharedState>,
    caller: Caller,
    Path((name, number)): Path<(String, i64)>,
) -> Result<Json<PullView>, ApiError> {
    caller.require(Role::Developer)?;
    caller.require_repo(&name)?;
    state.refuse_if_draining()?;
    let repo = named(&state, &name)?;
    off_thread(move || {
        let git = state.git_of(&repo)?;
        let (pull, runs) = crate::pulls::merge(&state, &repo, &git, number, &caller.name)?;
        Ok(Json(view(&state, &repo, pull, runs)?))
    })
    .await
}
