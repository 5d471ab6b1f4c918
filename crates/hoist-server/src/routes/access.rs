//! Tokens and the audit log: admins create and revoke tokens; every state-changing call is
//! in the audit log, which admins read.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use hoist_store::{AuditFilter, AuditRow, Role, TokenRow};
use serde_json::json;

use crate::api_error::ApiError;
use crate::auth::{Caller, REGISTRATION_KIND, RUNNER_KIND, digest, new_token};
use crate::routes::runs::bad_json;
use crate::state::SharedState;
use crate::wire::{AuditQuery, NewToken, RegisterRequest, RunnerCredential, TokenRequest};

pub(crate) async fn create_token(
    State(state): State<SharedState>,
    caller: Caller,
    body: Result<Json<TokenRequest>, JsonRejection>,
) -> Result<Json<NewToken>, ApiError> {
    caller.require(Role::Admin)?;
    let Json(body) = body.map_err(bad_json)?;
    if body.name.trim().is_empty() {
        return Err(ApiError::unprocessable("`name` must not be empty"));
    }
    if body.role != RUNNER_KIND && Role::parse(&body.role).is_none() {
        return Err(ApiError::unprocessable(format!(
            "`role` is `{}`; expected one of `viewer`, `developer`, `approver`, `admin`, `runner`",
            body.role
        )));
    }
    if let Some(repos) = &body.repos {
        if body.role == "admin" || body.role == RUNNER_KIND {
            return Err(ApiError::unprocessable(format!(
                "`repos`: a `{}` token cannot be limited to repositories",
                body.role
            )));
        }
        let all = state.repos();
        let known: Vec<&str> = all.iter().map(|r| r.name.as_str()).collect();
        if let Some(unknown) = repos.iter().find(|r| !known.contains(&r.as_str())) {
            return Err(ApiError::unprocessable(format!(
                "`repos`: no repository `{unknown}`; this server has {}",
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    // `runner` makes a registration token; runners trade it for their own credential.
    let kind = if body.role == RUNNER_KIND {
        REGISTRATION_KIND
    } else {
        body.role.as_str()
    };
    let token = new_token();
    let mut store = state.store();
    let id = store.create_token_for(&body.name, kind, &digest(&token), body.repos.as_deref())?;
    store.audit(
        &caller.name,
        "token.create",
        None,
        &json!({"id": id, "name": body.name, "role": body.role, "repos": body.repos}),
        None,
    )?;
    Ok(Json(NewToken {
        id,
        name: body.name,
        role: body.role,
        token,
    }))
}

/// `POST /api/v1/runners/register`: a registration token (or the admin token) gets the
/// runner `name` its own credential, once per name until that credential is revoked. A
/// runner presenting its own credential is told to keep it.
pub(crate) async fn register_runner(
    State(state): State<SharedState>,
    caller: Caller,
    body: Result<Json<RegisterRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<RunnerCredential>), ApiError> {
    let Json(body) = body.map_err(bad_json)?;
    let name = body.name.trim();
    if name.is_empty()
        || name.len() > 100
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(ApiError::unprocessable(format!(
            "`name` is `{name}`; a runner's name is 1 to 100 letters, digits, `-`, `_` or `.`"
        )));
    }
    if caller.role.is_none() && !caller.registration {
        // A runner's own credential: it is registered already, under its name only.
        caller.require_runner(name)?;
        return Ok((
            StatusCode::OK,
            Json(RunnerCredential {
                name: name.to_owned(),
                token: None,
            }),
        ));
    }
    if !caller.registration {
        caller.require(Role::Admin)?;
    }
    let token = new_token();
    let mut store = state.store();
    let Some(id) = store.register_runner(name, &digest(&token))? else {
        return Err(ApiError::conflict(format!(
            "a runner named `{name}` is registered already; give this one another `--name`, or revoke the other's credential (`hoist token list`, `hoist token revoke ID`)"
        )));
    };
    store.audit(
        &caller.name,
        "runner.register",
        None,
        &json!({"id": id, "name": name}),
        None,
    )?;
    Ok((
        StatusCode::CREATED,
        Json(RunnerCredential {
            name: name.to_owned(),
            token: Some(token),
        }),
    ))
}

pub(crate) async fn list_tokens(
    State(state): State<SharedState>,
    caller: Caller,
) -> Result<Json<Vec<TokenRow>>, ApiError> {
    caller.require(Role::Admin)?;
    Ok(Json(state.store().tokens()?))
}

pub(crate) async fn revoke_token(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    caller.require(Role::Admin)?;
    let mut store = state.store();
    if !store.revoke_token(id)? {
        return Err(ApiError::not_found(format!("no token {id}")));
    }
    store.audit(&caller.name, "token.revoke", None, &json!({"id": id}), None)?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn audit(
    State(state): State<SharedState>,
    caller: Caller,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Vec<AuditRow>>, ApiError> {
    caller.require(Role::Admin)?;
    let filter = AuditFilter {
        repo: query.repo,
        since: query.since,
        limit: query.limit.unwrap_or(100),
    };
    Ok(Json(state.store().audit_log(&filter)?))
}
