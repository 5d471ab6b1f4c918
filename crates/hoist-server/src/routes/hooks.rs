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
    receive(state, &GITHUB, headers, body, false).await
}

pub(crate) async fn gitea(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<ErrorBody>), ApiError> {
    receive(state, &GITEA, headers, body, false).await
}

pub(crate) async fn forgejo(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<ErrorBody>), ApiError> {
    receive(state, &FORGEJO, headers, body, false).await
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The registered repository a payload is about.
fn repository(state: &SharedState, payload: &serde_json::Value) -> Option<RepoConfig> {
    let full = payload["repository"]["full_name"].as_str();
    let name = payload["repository"]["name"].as_str();
    let repos = state.repos();
    repos
        .iter()
        .find(|r| full.is_some() && r.forge_name.as_deref() == full)
        .or_else(|| repos.iter().find(|r| Some(r.name.as_str()) == name))
        .cloned()
}

/// Receives one delivery; `redelivery`: an admin's `hoist hooks redeliver`, acted on
/// whatever became of the delivery before. Off the async threads: the store is a blocking
/// lock, and a burst of deliveries must not stall the server's other answers.
async fn receive(
    state: SharedState,
    forge: &'static Forge,
    headers: HeaderMap,
    body: Bytes,
    redelivery: bool,
) -> Result<(StatusCode, Json<ErrorBody>), ApiError> {
    super::off_thread(move || receive_now(state, forge, &headers, &body, redelivery)).await
}

fn receive_now(
    state: SharedState,
    forge: &Forge,
    headers: &HeaderMap,
    body: &Bytes,
    redelivery: bool,
) -> Result<(StatusCode, Json<ErrorBody>), ApiError> {
    state.refuse_if_draining()?;
    let Some(event) = header(headers, forge.event).map(str::to_owned) else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "no `{}` header: not a {} webhook delivery",
                forge.event, forge.name
            ),
        ));
    };
    let Some(delivery) = header(headers, forge.delivery).map(str::to_owned) else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("no `{}` header: a delivery needs its id", forge.delivery),
        ));
    };
    // Kept with the delivery for a redelivery (of a rejected one too, once its secret is
    // fixed): the headers that matter and the body as it came.
    let kept = serde_json::json!({
        forge.event: event,
        forge.delivery: delivery,
        forge.signature: header(headers, forge.signature),
    });
    let reject = |state: &SharedState, repo: Option<&str>, status: StatusCode, reason: String| {
        let recorded = NewDelivery {
            id: &delivery,
            forge: forge.name,
            event: &event,
            repo,
            status: "rejected",
            reason: Some(&reason),
            kept: Some((&kept, body)),
        };
        let mut store = state.intake();
        // A delivery id seen before keeps what it came to, unless that was a rejection too:
        // a badly signed copy of a delivery acted on must not make it look unacted on.
        if !store.record_delivery(&recorded).unwrap_or(false)
            && store.delivery_status(&delivery).ok().flatten().as_deref() == Some("rejected")
        {
            let _ = store.finish_delivery(&delivery, "rejected", Some(&reason), &[]);
        }
        ApiError::new(status, reason)
    };
    let payload: serde_json::Value = match serde_json::from_slice(body) {
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
        let signed = header(headers, forge.signature)
            .is_some_and(|sig| crate::signature::verify(secret, body, sig));
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
        kept: Some((&kept, body)),
    };
    let new = state.intake().record_delivery(&recorded)?;
    if redelivery && !new {
        state
            .intake()
            .finish_delivery(&delivery, "accepted", Some("redelivered"), &[])?;
    } else if !new {
        let before = state.intake().delivery_status(&delivery)?;
        if before.as_deref() != Some("rejected") {
            return Ok(message(
                StatusCode::ACCEPTED,
                format!("delivery `{delivery}` was received before; nothing to do"),
            ));
        }
        let mut store = state.intake();
        store.finish_delivery(&delivery, "accepted", None, &[])?;
        store.keep_delivery_body(&delivery, &kept, body)?;
    }
    if event == "ping" {
        return Ok(message(StatusCode::OK, "pong"));
    }
    let repo = repo.clone();
    let worker = state.clone();
    let work = state.event_work.clone();
    tokio::spawn(async move {
        let Ok(_permit) = work.acquire_owned().await else {
            return;
        };
        let _ = tokio::task::spawn_blocking(move || {
            act(&worker, &repo, &event, &delivery, &payload);
        })
        .await;
    });
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
    let sender = payload["sender"]["login"]
        .as_str()
        .or(payload["pusher"]["name"].as_str())
        .unwrap_or("webhook")
        .to_owned();
    let outcome = prepare(state, repo).and_then(|git| match event {
        "push" => push(state, repo, &git, payload),
        "pull_request" | "pull_request_target" => pull_request(state, repo, &git, payload, &sender),
        "create" | "delete" | "release" | "workflow_run" | "repository_dispatch" => {
            crate::event_runs::on_ref(state, repo, &git, event, payload, &sender)
                .map_err(Outcome::Rejected)
        }
        other => Err(Outcome::Ignored(format!(
            "the `{other}` event starts no runs"
        ))),
    });
    let (status, reason, runs) = match outcome {
        Ok(runs) if runs.is_empty() => (
            "accepted",
            Some(format!("no workflow runs on this `{event}`")),
            runs,
        ),
        Ok(runs) => ("accepted", None, runs),
        Err(Outcome::Ignored(reason)) => ("ignored", Some(reason), Vec::new()),
        Err(Outcome::Rejected(reason)) => ("rejected", Some(reason), Vec::new()),
    };
    let _ = state
        .store()
        .finish_delivery(delivery, status, reason.as_deref(), &runs);
}

/// Why a delivery started nothing.
enum Outcome {
    /// Nothing to do (a deleted branch, an event no workflow can listen to).
    Ignored(String),
    /// Something is wrong with it or with the repository.
    Rejected(String),
}

/// The repository's git repository, fetched first when it is a mirror.
fn prepare(state: &SharedState, repo: &RepoConfig) -> Result<hoist_git::Repository, Outcome> {
    if state.refresh(repo).is_err() {
        return Err(Outcome::Rejected(format!("cannot fetch `{}`", repo.name)));
    }
    state.repository(repo).ok_or_else(|| {
        Outcome::Rejected(format!("`{}` is not a git repository", repo.path.display()))
    })
}

fn have(git: &hoist_git::Repository, repo: &RepoConfig, sha: &str) -> Result<(), Outcome> {
    if git.has_commit(sha) {
        Ok(())
    } else {
        Err(Outcome::Rejected(format!(
            "`{}` has no commit `{sha}`",
            repo.name
        )))
    }
}

fn push(
    state: &SharedState,
    repo: &RepoConfig,
    git: &hoist_git::Repository,
    payload: &serde_json::Value,
) -> Result<Vec<i64>, Outcome> {
    let git_ref = payload["ref"].as_str().unwrap_or_default();
    if !(git_ref.starts_with("refs/heads/") || git_ref.starts_with("refs/tags/")) {
        return Err(Outcome::Rejected(format!(
            "`ref`: `{git_ref}` is neither a branch (`refs/heads/…`) nor a tag (`refs/tags/…`)"
        )));
    }
    if payload["deleted"] == true {
        return Err(Outcome::Ignored(format!("`{git_ref}` was deleted")));
    }
    let (Some(before), Some(after)) = (payload["before"].as_str(), payload["after"].as_str())
    else {
        return Err(Outcome::Rejected(
            "a push needs `before` and `after`".to_owned(),
        ));
    };
    have(git, repo, after)?;
    let pusher = payload["pusher"]["name"]
        .as_str()
        .or(payload["sender"]["login"].as_str())
        .unwrap_or("webhook")
        .to_owned();
    let mut runs = crate::event_runs::push(state, repo, git, git_ref, before, after, &pusher)
        .map_err(Outcome::Rejected)?;
    if let Some(branch) = git_ref.strip_prefix("refs/heads/") {
        runs.extend(crate::pulls::branch_moved(
            state, repo, git, branch, after, &pusher,
        ));
    }
    Ok(runs)
}

/// A forge's pull request: recorded under its number, merged for a test with git here, and
/// its runs started with the forge's own payload.
fn pull_request(
    state: &SharedState,
    repo: &RepoConfig,
    git: &hoist_git::Repository,
    payload: &serde_json::Value,
    sender: &str,
) -> Result<Vec<i64>, Outcome> {
    let pr = &payload["pull_request"];
    let field = |value: &serde_json::Value, name: &str| {
        value.as_str().map(str::to_owned).ok_or_else(|| {
            Outcome::Rejected(format!("`pull_request.{name}` is missing or not a string"))
        })
    };
    let Some(number) = pr["number"].as_i64().or(payload["number"].as_i64()) else {
        return Err(Outcome::Rejected(
            "`pull_request.number` is missing".to_owned(),
        ));
    };
    let head_sha = field(&pr["head"]["sha"], "head.sha")?;
    let base_sha = field(&pr["base"]["sha"], "base.sha")?;
    let head_ref = field(&pr["head"]["ref"], "head.ref")?;
    let base_ref = field(&pr["base"]["ref"], "base.ref")?;
    have(git, repo, &head_sha)?;
    have(git, repo, &base_sha)?;
    // Gitea and Forgejo say `synchronized` where GitHub says `synchronize`.
    let action = match payload["action"].as_str().unwrap_or("opened") {
        "synchronized" => "synchronize",
        other => other,
    }
    .to_owned();
    let merge_sha = git
        .test_merge(
            &base_sha,
            &head_sha,
            &format!("Merge {head_sha} into {base_sha}"),
        )
        .map_err(|e| Outcome::Rejected(format!("cannot merge for a test: {e}")))?;
    let title = pr["title"].as_str().unwrap_or_default();
    let author = pr["user"]["login"].as_str().unwrap_or(sender);
    let mut pull = state
        .store()
        .open_pull(&hoist_store::NewPull {
            repo: &repo.name,
            number: Some(number),
            title,
            author,
            head_ref: &head_ref,
            base_ref: &base_ref,
            head_sha: &head_sha,
            base_sha: &base_sha,
            merge_sha: merge_sha.as_deref(),
        })
        .map_err(|e| Outcome::Rejected(format!("cannot record the pull request: {e}")))?;
    if action == "closed" {
        let merged = pr["merged"] == true;
        let _ = state.store().close_pull(&repo.name, number, merged, sender);
        pull.state = if merged { "merged" } else { "closed" }.to_owned();
    }
    crate::pulls::write_refs(git, &pull);
    let mut forge_payload = payload.clone();
    forge_payload["action"] = serde_json::Value::from(action.as_str());
    crate::pulls::runs_of(
        state,
        repo,
        git,
        &pull,
        &action,
        sender,
        Some(forge_payload),
    )
    .map_err(|e| Outcome::Rejected(e.message))
}

/// `POST /api/v1/hooks/deliveries/{id}/redeliver` (admins): the delivery's stored headers
/// and body received again, its signature checked again against today's secret, and acted
/// on even if it was before.
pub(crate) async fn redeliver(
    State(state): State<SharedState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<(StatusCode, Json<ErrorBody>), ApiError> {
    caller.require(Role::Admin)?;
    let Some((forge_name, kept, body)) = state.store().delivery_body(&id)? else {
        return Err(ApiError::not_found(format!(
            "no delivery `{id}` with a body is recorded (`hoist hooks deliveries` lists them)"
        )));
    };
    let forge = match forge_name.as_str() {
        "gitea" => &GITEA,
        "forgejo" => &FORGEJO,
        _ => &GITHUB,
    };
    let mut headers = HeaderMap::new();
    if let Some(map) = kept.as_object() {
        for (k, v) in map {
            if let (Some(v), Ok(name)) =
                (v.as_str(), axum::http::HeaderName::from_bytes(k.as_bytes()))
                && let Ok(value) = axum::http::HeaderValue::from_str(v)
            {
                headers.insert(name, value);
            }
        }
    }
    let _ = state.store().audit(
        &caller.name,
        "hooks.redeliver",
        None,
        &serde_json::json!({"delivery": id}),
        None,
    );
    receive(state, forge, headers, Bytes::from(body), true).await
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
