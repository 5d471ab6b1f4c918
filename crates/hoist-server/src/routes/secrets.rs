//! Secrets: set, listed (names only), deleted, and the key they are sealed with rotated.
//! Values go in and never come out; only the planner opens them, for a run.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use hoist_store::{Role, SecretSlot};
use serde_json::json;

use crate::api_error::ApiError;
use crate::auth::Caller;
use crate::routes::off_thread;
use crate::routes::runs::bad_json;
use crate::state::SharedState;
use crate::vault::{Rotation, secret_slot};
use crate::wire::{SecretScope, SecretView, SecretWrite};

/// GitHub's limit on a secret's size.
const MAX_SECRET_BYTES: usize = 48 * 1024;

pub(crate) async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    Query(scope): Query<SecretScope>,
) -> Result<Json<Vec<SecretView>>, ApiError> {
    caller.require(Role::Developer)?;
    let (repo, environment) = checked_scope(&state, &caller, &scope)?;
    let env = scope.environment.as_ref().map(|_| environment.as_str());
    let rows = state.store().secret_list(&repo, env)?;
    Ok(Json(
        rows.into_iter()
            .map(|m| SecretView {
                name: m.slot.name,
                repo: Some(m.slot.repo).filter(|r| !r.is_empty()),
                environment: Some(m.slot.environment).filter(|e| !e.is_empty()),
                updated_at: m.updated_at,
                updated_by: m.updated_by,
            })
            .collect(),
    ))
}

pub(crate) async fn put(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Result<Json<SecretWrite>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    caller.require(Role::Admin)?;
    let Json(body) = body.map_err(bad_json)?;
    let name = checked_name(&name)?;
    let (repo, environment) = checked_scope(&state, &caller, &body.scope)?;
    if body.value.is_empty() {
        return Err(ApiError::unprocessable(
            "`value`: a secret must not be empty",
        ));
    }
    if body.value.len() > MAX_SECRET_BYTES {
        return Err(ApiError::unprocessable(format!(
            "`value` is {} bytes; a secret holds at most {MAX_SECRET_BYTES} (48 KB, as on GitHub): store a larger one encrypted in the repository and keep its key here",
            body.value.len()
        )));
    }
    let slot = SecretSlot {
        repo,
        environment,
        name,
    };
    let sealed = state
        .vault
        .seal(&secret_slot(&slot), body.value.as_bytes())
        .map_err(|e| ApiError::internal(format!("cannot seal the secret: {e}")))?;
    let mut store = state.store();
    let existed = store
        .secret_list(&slot.repo, Some(&slot.environment))?
        .iter()
        .any(|m| m.slot.name == slot.name);
    store.put_secret(&slot, &sealed, &caller.name)?;
    store.audit(
        &caller.name,
        "secret.set",
        Some(&slot.repo)
            .filter(|r| !r.is_empty())
            .map(String::as_str),
        &json!({"name": slot.name, "environment": slot.environment, "replaced": existed}),
        None,
    )?;
    Ok(if existed {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::CREATED
    })
}

pub(crate) async fn delete(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    Query(scope): Query<SecretScope>,
) -> Result<StatusCode, ApiError> {
    caller.require(Role::Admin)?;
    let name = checked_name(&name)?;
    let (repo, environment) = checked_scope(&state, &caller, &scope)?;
    let slot = SecretSlot {
        repo,
        environment,
        name,
    };
    let mut store = state.store();
    if !store.delete_secret(&slot)? {
        return Err(ApiError::not_found(format!(
            "no secret `{}` {}",
            slot.name,
            describe_scope(&slot)
        )));
    }
    store.audit(
        &caller.name,
        "secret.delete",
        Some(&slot.repo)
            .filter(|r| !r.is_empty())
            .map(String::as_str),
        &json!({"name": slot.name, "environment": slot.environment}),
        None,
    )?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn rotate_key(
    State(state): State<SharedState>,
    caller: Caller,
) -> Result<Json<Rotation>, ApiError> {
    caller.require(Role::Admin)?;
    let worker = state.clone();
    let rotation = off_thread(move || {
        let mut store = worker.store();
        let rotation = worker.vault.rotate(&mut store).map_err(|e| match e {
            crate::vault::RotateError::NoFile => ApiError::conflict(e.to_string()),
            other => ApiError::internal(format!("the key was not rotated: {other}")),
        })?;
        store.audit(
            &caller.name,
            "secret.rotate_key",
            None,
            &json!({"key": rotation.key, "previous": rotation.previous, "resealed": rotation.resealed}),
            None,
        )?;
        Ok(rotation)
    })
    .await?;
    Ok(Json(rotation))
}

/// A secret's name as GitHub allows it (letters, digits and `_`, not starting with a digit
/// or `GITHUB_`), in capitals: names are case-insensitive.
fn checked_name(name: &str) -> Result<String, ApiError> {
    let upper = name.to_ascii_uppercase();
    let problem = if name.is_empty() {
        Some("it is empty")
    } else if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Some("only letters, digits and `_` may appear in it")
    } else if name.starts_with(|c: char| c.is_ascii_digit()) {
        Some("it must not start with a digit")
    } else if upper.starts_with("GITHUB_") {
        Some("names starting `GITHUB_` are reserved")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(ApiError::unprocessable(format!(
            "the secret name `{name}` is not valid: {problem}"
        ))),
        None => Ok(upper),
    }
}

/// The scope's repository and environment as the store keys them (`""` for none), after
/// checking that the repository exists and the caller may act on it.
fn checked_scope(
    state: &SharedState,
    caller: &Caller,
    scope: &SecretScope,
) -> Result<(String, String), ApiError> {
    let environment = scope.environment.clone().unwrap_or_default();
    let Some(repo) = &scope.repo else {
        if !environment.is_empty() {
            return Err(ApiError::unprocessable(
                "`environment` needs `repo`: environments belong to a repository",
            ));
        }
        if caller.repos.is_some() {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "`{}` is limited to repositories; organisation secrets are not theirs",
                    caller.name
                ),
            ));
        }
        return Ok((String::new(), String::new()));
    };
    caller.require_repo(repo)?;
    if state.repo(repo).is_none() {
        return Err(ApiError::not_found(format!("no repository `{repo}`")));
    }
    if scope.environment.is_some()
        && (environment.trim().is_empty()
            || environment.len() > 255
            || environment.contains(['/', '\n']))
    {
        return Err(ApiError::unprocessable(format!(
            "the environment name `{environment}` is not valid: it must be 1 to 255 characters, without `/`"
        )));
    }
    Ok((repo.clone(), environment))
}

fn describe_scope(slot: &SecretSlot) -> String {
    match (slot.repo.as_str(), slot.environment.as_str()) {
        ("", _) => "of the organisation".to_owned(),
        (repo, "") => format!("of `{repo}`"),
        (repo, env) => format!("of `{repo}` environment `{env}`"),
    }
}
