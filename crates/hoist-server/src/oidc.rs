//! The server as an OpenID Connect issuer for its jobs, as GitHub is for Actions.
//!
//! Guarantees:
//! - Signing keys live in the store (private halves sealed by the vault), so every replica
//!   signs with and publishes the same keys. A rotation adds a new current key and keeps the
//!   previous one in the JWKS, so tokens signed a moment before still verify; the one before
//!   that is dropped.
//! - A job gets `ACTIONS_ID_TOKEN_REQUEST_URL`/`_TOKEN` only when its `permissions` grant
//!   `id-token: write`; the request token is made at the claim (a retried job gets a new one)
//!   and works only while that claim holds: a job that ended gets no more tokens.
//! - Tokens live five minutes and name the job as GitHub's do; the subject follows GitHub's
//!   default or the repository's `oidc-sub-claims`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use hoist_engine::{IdTokenGrant, JobRequest};
use hoist_oidc::{JobClaims, SigningKey};
use hoist_store::Role;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::auth::{Caller, digest, new_token};
use crate::state::SharedState;
use crate::vault::oidc_key_slot;

/// Keys kept: the current one and the one before it.
const KEYS_KEPT: usize = 2;

/// The issuer's URL: `iss` of every token, where its discovery document is.
pub(crate) fn issuer(state: &SharedState) -> String {
    state
        .config
        .public_url
        .clone()
        .unwrap_or_else(|| state.base_url())
        .trim_end_matches('/')
        .to_owned()
}

/// Makes the first signing key when the store has none (the first start of the first
/// server on this database).
pub(crate) fn ensure_key(state: &SharedState) -> Result<(), ApiError> {
    if !state.store().oidc_keys()?.is_empty() {
        return Ok(());
    }
    add_key(state).map(|_| ())
}

/// A new current key; returns it with the keys dropped.
fn add_key(state: &SharedState) -> Result<(String, Vec<String>), ApiError> {
    let key = SigningKey::generate().map_err(|e| ApiError::internal(e.to_string()))?;
    let sealed = state
        .vault
        .seal(&oidc_key_slot(key.kid()), key.pkcs8())
        .map_err(|e| ApiError::internal(format!("cannot seal the signing key: {e}")))?;
    let dropped =
        state
            .store()
            .add_oidc_key(key.kid(), &sealed, &key.jwk().to_string(), KEYS_KEPT)?;
    Ok((key.kid().to_owned(), dropped))
}

/// The current signing key, opened.
fn current_key(state: &SharedState) -> Result<SigningKey, ApiError> {
    let rows = state.store().oidc_keys()?;
    let Some(row) = rows.first() else {
        return Err(ApiError::internal("the issuer has no signing key"));
    };
    let der = state
        .vault
        .open_sealed(&oidc_key_slot(&row.kid), &row.sealed)
        .map_err(|e| ApiError::internal(format!("cannot open the signing key: {e}")))?;
    SigningKey::from_pkcs8(row.kid.clone(), der).map_err(|e| ApiError::internal(e.to_string()))
}

pub(crate) async fn discovery(State(state): State<SharedState>) -> Json<Value> {
    Json(hoist_oidc::discovery(&issuer(&state)))
}

pub(crate) async fn jwks(State(state): State<SharedState>) -> Result<Json<Value>, ApiError> {
    let keys: Vec<Value> = state
        .store()
        .oidc_keys()?
        .iter()
        .filter_map(|k| serde_json::from_str(&k.public_jwk).ok())
        .collect();
    Ok(Json(json!({ "keys": keys })))
}

/// `POST /api/v1/oidc/rotate-key` (admins).
pub(crate) async fn rotate_key(
    State(state): State<SharedState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(Role::Admin)?;
    let previous = state.store().oidc_keys()?.first().map(|k| k.kid.clone());
    let worker = state.clone();
    let (kid, dropped) = crate::routes::off_thread(move || add_key(&worker)).await?;
    let answer = json!({"key": kid, "previous": previous, "dropped": dropped});
    state
        .store()
        .audit(&caller.name, "oidc.rotate_key", None, &answer, None)?;
    Ok(Json(answer))
}

/// Gives claimed job `id` what it asks for tokens with, if its permissions allow: the
/// request token's digest is kept, the token itself goes only to the runner.
pub(crate) fn grant(
    state: &SharedState,
    id: i64,
    request: &mut JobRequest,
) -> Result<(), ApiError> {
    if !request.id_token_permission {
        return Ok(());
    }
    let token = new_token();
    let hex: String = digest(&token).iter().map(|b| format!("{b:02x}")).collect();
    state.store().set_id_token_digest(id, &hex)?;
    // A path: the runner puts the server's URL as it reaches it in front.
    request.id_token = Some(IdTokenGrant {
        url: format!("/api/v1/jobs/{id}/id-token?api-version=2.0"),
        token,
    });
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct TokenQuery {
    audience: Option<String>,
}

/// `GET /api/v1/jobs/{id}/id-token?audience=…`, with the job's request token: a signed JWT
/// for the job, `{"value": "…"}` as GitHub answers.
pub(crate) async fn id_token(
    State(state): State<SharedState>,
    Path(id): Path<i64>,
    Query(query): Query<TokenQuery>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let presented = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        // `bearer` as GitHub's own examples write it, or `Bearer`.
        .and_then(|h| {
            h.get(..7)
                .filter(|p| p.eq_ignore_ascii_case("bearer "))
                .map(|_| &h[7..])
        })
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "missing token: send `Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`",
            )
        })?;
    let job = state
        .store()
        .id_token_job(id)?
        .ok_or_else(|| ApiError::not_found(format!("no queued job {id}")))?;
    let wanted: String = digest(presented.trim())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let matches = job
        .digest
        .as_deref()
        .is_some_and(|d| constant_time_eq(d.as_bytes(), wanted.as_bytes()));
    if !matches {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            format!("not the ID-token request token of job {id}"),
        ));
    }
    if job.state != "claimed" {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "job {id} is {}: only a running job gets ID tokens",
                job.state
            ),
        ));
    }
    let request: JobRequest = serde_json::from_str(&job.request)
        .map_err(|e| ApiError::internal(format!("the job's request cannot be read: {e}")))?;
    let run = state.store().run(job.run_id)?;
    let repo = state.repo(&run.repo);
    let e = &request.event;
    let branch = e.git_ref.strip_prefix("refs/heads/").unwrap_or_default();
    let claims = JobClaims {
        repository: e.repository.clone(),
        git_ref: e.git_ref.clone(),
        ref_protected: !branch.is_empty()
            && repo
                .as_ref()
                .is_some_and(|r| crate::statuses::is_protected(&r.protections, branch)),
        sha: e.sha.clone(),
        workflow_path: request.run_workflow_path.clone(),
        workflow: request.contexts["github"]["workflow"]
            .as_str()
            .unwrap_or(&run.workflow_name)
            .to_owned(),
        job_workflow_path: request.workflow.path.clone(),
        run_id: request.run_id,
        run_number: request.run_number,
        run_attempt: request.run_attempt,
        actor: e.actor.clone(),
        event_name: e.name.clone(),
        head_ref: e.head_ref.clone(),
        base_ref: e.base_ref.clone(),
        environment: request.environment.clone(),
    };
    let issuer = issuer(&state);
    let owner = e.repository.split('/').next().unwrap_or_default();
    let audience = query
        .audience
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| format!("{issuer}/{owner}"));
    let now = state.now_ms() / 1000;
    let jti = new_token();
    let subject_claims = repo.as_ref().and_then(|r| r.oidc_subject_claims.clone());
    let body = claims.to_claims(&issuer, &audience, now, &jti, subject_claims.as_deref());
    let key = current_key(&state)?;
    let jwt = key
        .sign(&body)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Json(json!({ "value": jwt })))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
