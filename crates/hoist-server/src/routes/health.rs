//! `/healthz` (the process answers) and `/readyz` (and its store does).

use axum::extract::State;
use axum::http::StatusCode;

use crate::state::SharedState;

pub(crate) async fn healthz() -> &'static str {
    "ok\n"
}

pub(crate) async fn readyz(State(state): State<SharedState>) -> (StatusCode, String) {
    match state.store().queue_depth() {
        Ok(depth) => (StatusCode::OK, format!("ready; {depth} job(s) queued\n")),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}\n", e.with_root_cause()),
        ),
    }
}
