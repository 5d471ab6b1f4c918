//! Tokens and the audit log: admins create and revoke tokens; every state-changing call is
//! in the audit log, which admins read.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use hoist_store::{AuditFilter, AuditRow, Role, TokenRow};
use serde_json::json;

use crate::api_error::ApiError;
use crate::auth::{Caller, RUNNER_KIND, digest, new_token};
use crate::routes::runs::bad_json;
use crate::state::SharedState;
use crate::wire::{AuditQuery, NewToken, TokenRequest};

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
    let token = new_token();
    let mut store = state.store();
    let id = store.create_token(&body.name, &body.role, &digest(&token))?;
    store.audit(
        &caller.name,
        "token.create",
        None,
        &json!({"id": id, "name": body.name, "role": body.role}),
        None,
    )?;
    Ok(Json(NewToken {
        id,
        name: body.name,
        role: body.role,
        token,
    }))
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
