//! The API's routes, one module per resource.

mod access;
mod health;
mod history;
mod hooks;
mod jobs;
mod runs;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};

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
        .route("/api/v1/hooks/github", post(hooks::github))
        .route("/api/v1/hooks/gitea", post(hooks::gitea))
        .route("/api/v1/hooks/forgejo", post(hooks::forgejo))
        .route("/api/v1/hooks/deliveries", get(hooks::deliveries))
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
        .with_state(state)
}
