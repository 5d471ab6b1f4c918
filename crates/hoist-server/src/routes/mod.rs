//! The API's routes, one module per resource.

mod access;
mod environments;
mod git_http;
mod health;
mod history;
mod hooks;
mod jobs;
mod pulls;
mod repos;
mod runs;
mod secrets;
mod statuses;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, patch, post, put};

use crate::state::SharedState;

/// Requests larger than this are refused with 413.
const MAX_BODY: usize = 25 * 1024 * 1024;

/// The API's description, `api/openapi.json` (a test keeps it in step with the routes here).
async fn openapi() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("../../api/openapi.json"),
    )
}

/// Runs `work` (git and database calls) on a blocking thread, so that other requests go on
/// meanwhile.
pub(crate) async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, crate::api_error::ApiError> + Send + 'static,
) -> Result<T, crate::api_error::ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| crate::api_error::ApiError::internal(format!("the request failed: {e}")))?
}

pub(crate) use environments::check_settings as check_environment;

pub(crate) fn router(state: SharedState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(crate::metrics::render))
        .route("/api/v1/openapi.json", get(openapi))
        .route(
            "/api/v1/repos/{repo}/actions/workflows/{file}/dispatches",
            post(runs::dispatch),
        )
        .route("/api/v1/repos", get(repos::list).post(repos::create))
        .route("/api/v1/repos/{repo}", patch(repos::update))
        .route(
            "/api/v1/repos/{repo}/branches/{branch}/protection",
            put(repos::protect).delete(repos::unprotect),
        )
        .route("/api/v1/repos/{repo}/git/{hook}", post(repos::hook))
        .route(
            "/api/v1/repos/{repo}/pulls",
            post(pulls::open).get(pulls::list),
        )
        .route(
            "/api/v1/repos/{repo}/pulls/{number}",
            get(pulls::get).patch(pulls::update),
        )
        .route(
            "/api/v1/repos/{repo}/pulls/{number}/merge",
            put(pulls::merge),
        )
        .route(
            "/api/v1/repos/{repo}/commits/{reference}/status",
            get(statuses::combined),
        )
        .route(
            "/api/v1/repos/{repo}/commits/{reference}/check-runs",
            get(statuses::check_runs),
        )
        .route("/badge/{repo}/{file}", get(statuses::badge))
        .route("/api/v1/runs", get(history::list))
        .route("/api/v1/repos/{repo}/runs", get(history::list_of_repo))
        .route("/api/v1/runs/{id}", get(runs::view))
        .route("/api/v1/runs/{id}/record", get(history::record))
        .route("/api/v1/runs/{id}/cancel", post(runs::cancel))
        .route("/api/v1/runs/{id}/rerun", post(runs::rerun))
        .route(
            "/api/v1/runs/{id}/rerun-failed-jobs",
            post(runs::rerun_failed),
        )
        .route("/api/v1/runs/{id}/jobs/{job}/logs", get(history::logs))
        .route(
            "/api/v1/runs/{id}/jobs/{job}/logs/stream",
            get(history::stream),
        )
        .route(
            "/api/v1/tokens",
            post(access::create_token).get(access::list_tokens),
        )
        .route("/api/v1/tokens/{id}", delete(access::revoke_token))
        .route("/api/v1/audit", get(access::audit))
        .route("/api/v1/secrets", get(secrets::list))
        .route("/api/v1/repos/{repo}/environments", get(environments::list))
        .route(
            "/api/v1/repos/{repo}/environments/{name}",
            put(environments::put),
        )
        .route(
            "/api/v1/runs/{id}/pending_deployments",
            get(environments::pending).post(environments::review),
        )
        .route("/api/v1/deployments", get(environments::deployments))
        .route(
            "/.well-known/openid-configuration",
            get(crate::oidc::discovery),
        )
        .route("/.well-known/jwks", get(crate::oidc::jwks))
        .route("/api/v1/jobs/{id}/id-token", get(crate::oidc::id_token))
        .route("/api/v1/oidc/rotate-key", post(crate::oidc::rotate_key))
        .route("/api/v1/secrets/rotate-key", post(secrets::rotate_key))
        .route(
            "/api/v1/secrets/{name}",
            put(secrets::put).delete(secrets::delete),
        )
        .route("/api/v1/hooks/github", post(hooks::github))
        .route("/api/v1/hooks/gitea", post(hooks::gitea))
        .route("/api/v1/hooks/forgejo", post(hooks::forgejo))
        .route("/api/v1/hooks/deliveries", get(hooks::deliveries))
        .route(
            "/api/v1/hooks/deliveries/{id}/redeliver",
            post(hooks::redeliver),
        )
        .route(
            "/api/v1/repos/{repo}/dispatches",
            post(runs::repository_dispatch),
        )
        .route("/api/v1/runners/claim", post(jobs::claim))
        .route("/api/v1/runners/register", post(access::register_runner))
        .route("/api/v1/jobs/{id}/renew", post(jobs::renew))
        .route("/api/v1/jobs/{id}/events", post(jobs::events))
        .route("/api/v1/jobs/{id}/finish", post(jobs::finish))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        // Pushes may be larger than any API body; git's own limits apply to them.
        .merge(
            Router::new()
                .route(
                    "/git/{repo}/{*rest}",
                    get(git_http::serve).post(git_http::serve),
                )
                .layer(DefaultBodyLimit::disable()),
        )
        .with_state(state)
}
