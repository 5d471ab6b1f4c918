//! Webhooks: `POST /api/v1/hooks/github` (and the Gitea and Forgejo shapes). A delivery is
//! matched to a repository by `repository.full_name` (its `forge-name`) or `name`, checked
//! against the repository's secret, recorded by its delivery id so that a redelivery is
//! acted on once, and answered 202 at once; the runs start on a blocking thread.
//!
//! Events that start runs so far: `push` to a branch (with the path filters computed by git
//! from `before` to `after`). Others are recorded as ignored, with the reason.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use hoist_store::{NewDelivery, Role};

use crate::api_error::ApiError;
use crate::auth::Caller;
use crate::config::RepoConfig;
use crate::state::SharedState;
use crate::wire::ErrorBody;

/// The headers each forge names its event, delivery and signature with.
struct Forge {
    name: &'static str,
    event: &'static str,
    delivery: &'static str,
    signature: &'static str,
}

const GITHUB: Forge = Forge {
    name: "github",
    event: "x-github-event",
    delivery: "x-github-delivery",
    signature: "x-hub-signature-256",
};
const GITEA: Forge = Forge {
    name: "gitea",
    event: "x-gitea-event",
    delivery: "x-gitea-delivery",
    signature: "x-gitea-signature",
};
const FORGEJO: Forge = Forge {
    name: "forgejo",
    event: "x-forgejo-event",
    delivery: "x-forgejo-delivery",
    signature: "x-forgejo-signature",
};

fn message(status: StatusCode, text: impl Into<String>) -> (StatusCode, Json<ErrorBody>) {
    (
        status,
        Json(ErrorBody {
            message: text.into(),
        }),
    )
}

pub(crate) async fn github(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<ErrorBody>), ApiError> {
    receive(state, &GITHUB, headers, body).await
}

pub(crate) async fn gitea(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<ErrorBody>), ApiError> {
    receive(state, &GITEA, headers, body).await
}

pub(crate) async fn forgejo(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<ErrorBody>), ApiError> {
    receive(state, &FORGEJO, headers, body).await
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The registered repository a payload is about.
fn repository<'a>(state: &'a SharedState, payload: &serde_json::Value) -> Option<&'a RepoConfig> {
    let full = payload["repository"]["full_name"].as_str();
    let name = payload["repository"]["name"].as_str();
    state
        .config
        .repos
        .iter()
        .find(|r| full.is_some() && r.forge_name.as_deref() == full)
        .or_else(|| {
            state
                .config
                .repos
                .iter()
                .find(|r| Some(r.name.as_str()) == name)
        })
}

async fn receive(
    state: SharedState,
    forge: &Forge,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<ErrorBody>), ApiError> {
    state.refuse_if_draining()?;
    let Some(event) = header(&headers, forge.event).map(str::to_owned) else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "no `{}` header: not a {} webhook delivery",
                forge.event, forge.name
            ),
        ));
    };
    let Some(delivery) = header(&headers, forge.delivery).map(str::to_owned) else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("no `{}` header: a delivery needs its id", forge.delivery),
        ));
    };
    let reject = |state: &SharedState, repo: Option<&str>, status: StatusCode, reason: String| {
        let recorded = NewDelivery {
            id: &delivery,
            forge: forge.name,
            event: &event,
            repo,
            status: "rejected",
            reason: Some(&reason),
        };
        let mut store = state.store();
        if !store.record_delivery(&recorded).unwrap_or(false) {
            let _ = store.finish_delivery(&delivery, "rejected", Some(&reason), &[]);
        }
        ApiError::new(status, reason)
    };
    let payload: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => {
            return Err(reject(
                &state,
                None,
                StatusCode::BAD_REQUEST,
                format!("the payload is not JSON: {e}"),
            ));
        }
    };
    let Some(repo) = repository(&state, &payload) else {
        let named = payload["repository"]["full_name"]
            .as_str()
            .or(payload["repository"]["name"].as_str())
            .unwrap_or("(none)")
            .to_owned();
        return Err(reject(
            &state,
            None,
            StatusCode::NOT_FOUND,
            format!(
                "no repository of this server is `{named}` (match its `forge-name`, or its name)"
            ),
        ));
    };
    if let Some(secret) = &repo.webhook_secret {
        let signed = header(&headers, forge.signature)
            .is_some_and(|sig| crate::signature::verify(secret, &body, sig));
        if !signed {
            return Err(reject(
                &state,
                Some(&repo.name),
                StatusCode::UNAUTHORIZED,
                format!(
                    "the delivery is not signed with the secret of `{}` (`{}`)",
                    repo.name, forge.signature
                ),
            ));
        }
    }
    // Once per delivery id: a redelivery of one acted on is acknowledged and ignored; one
    // that was rejected (a wrong secret since fixed) is acted on now.
    let recorded = NewDelivery {
        id: &delivery,
        forge: forge.name,
        event: &event,
        repo: Some(&repo.name),
        status: "accepted",
        reason: None,
    };
    let new = state.store().record_delivery(&recorded)?;
    if !new {
        let before = state.store().delivery_status(&delivery)?;
        if before.as_deref() != Some("rejected") {
            return Ok(message(
                StatusCode::ACCEPTED,
                format!("delivery `{delivery}` was received before; nothing to do"),
            ));
        }
        state
            .store()
            .finish_delivery(&delivery, "accepted", None, &[])?;
    }
    if event == "ping" {
        return Ok(message(StatusCode::OK, "pong"));
    }
    let repo = repo.clone();
    let worker = state.clone();
    tokio::task::spawn_blocking(move || act(&worker, &repo, &event, &delivery, &payload));
    Ok(message(StatusCode::ACCEPTED, "accepted"))
}

/// What a delivery starts, recorded on it.
fn act(
    state: &SharedState,
    repo: &RepoConfig,
    event: &str,
    delivery: &str,
    payload: &serde_json::Value,
) {
    let (status, reason, runs) = match event {
        "push" => push(state, repo, payload),
        other => (
            "ignored",
            Some(format!("the `{other}` event starts no runs (yet)")),
            Vec::new(),
        ),
    };
    let _ = state
        .store()
        .finish_delivery(delivery, status, reason.as_deref(), &runs);
}

fn push(
    state: &SharedState,
    repo: &RepoConfig,
    payload: &serde_json::Value,
) -> (&'static str, Option<String>, Vec<i64>) {
    let git_ref = payload["ref"].as_str().unwrap_or_default();
    let Some(branch) = git_ref.strip_prefix("refs/heads/") else {
        return (
            "ignored",
            Some(format!(
                "`{git_ref}` is not a branch; tag pushes start no runs (yet)"
            )),
            Vec::new(),
        );
    };
    if payload["deleted"] == true {
        return (
            "ignored",
            Some(format!("branch `{branch}` was deleted")),
            Vec::new(),
        );
    }
    let (Some(before), Some(after)) = (payload["before"].as_str(), payload["after"].as_str())
    else {
        return (
            "rejected",
            Some("a push needs `before` and `after`".to_owned()),
            Vec::new(),
        );
    };
    if state.refresh(repo).is_err() {
        return (
            "rejected",
            Some(format!("cannot fetch `{}`", repo.name)),
            Vec::new(),
        );
    }
    let Some(git) = state.repository(repo) else {
        return (
            "rejected",
            Some(format!("`{}` is not a git repository", repo.path.display())),
            Vec::new(),
        );
    };
    if !git.has_commit(after) {
        return (
            "rejected",
            Some(format!("`{}` has no commit `{after}`", repo.name)),
            Vec::new(),
        );
    }
    let pusher = payload["pusher"]["name"]
        .as_str()
        .or(payload["sender"]["login"].as_str())
        .unwrap_or("webhook")
        .to_owned();
    match crate::poller::push(state, repo, &git, branch, before, after, &pusher) {
        Some(runs) if runs.is_empty() => (
            "accepted",
            Some("no workflow runs on this push".to_owned()),
            runs,
        ),
        Some(runs) => ("accepted", None, runs),
        None => (
            "rejected",
            Some("the runs could not be started".to_owned()),
            Vec::new(),
        ),
    }
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct DeliveriesQuery {
    #[serde(default)]
    failed: bool,
    limit: Option<usize>,
}

/// `GET /api/v1/hooks/deliveries`: newest first; `?failed=true` for the rejected ones only.
pub(crate) async fn deliveries(
    State(state): State<SharedState>,
    caller: Caller,
    Query(q): Query<DeliveriesQuery>,
) -> Result<Json<Vec<hoist_store::DeliveryRow>>, ApiError> {
    caller.require(Role::Admin)?;
    Ok(Json(
        state
            .store()
            .deliveries(q.failed, q.limit.unwrap_or(100).min(1000))?,
    ))
}
