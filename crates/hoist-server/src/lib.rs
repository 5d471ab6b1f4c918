//! The CI server and its runners. `hoist serve` ([`serve`]) plans runs (the engine's planner,
//! each job instance handed to the store's queue) and answers the HTTP API; `hoist runner`
//! ([`run_runner`]) claims queued jobs over that API, runs each with the engine on its own
//! machine, and streams the job's events back. Runners only ever connect out: a claim is a
//! long poll.
//!
//! The only crate that speaks HTTP: the server's routes and the client the runner and the
//! CLI use (`client.rs`) live here, and the bodies they exchange are in `wire.rs`.

mod api_error;
mod auth;
mod background;
mod checkpoints;
mod client;
mod client_environments;
mod client_repos;
mod client_secrets;
mod commit_files;
mod config;
mod deployments;
mod errors;
mod event_runs;
mod forge_statuses;
mod metrics;
mod oidc;
mod planner;
mod poller;
mod pulls;
mod pushes;
mod queue_placement;
mod repos;
mod rerun;
mod routes;
mod runner;
mod schedules;
mod signature;
mod state;
mod statuses;
mod vault;
mod wire;
mod workflow_runs;

pub use auth::read_admin_token;
pub use client::Client;
pub use config::{Observer, RepoConfig, RunnerConfig, ServerConfig};
pub use errors::ServerError;
pub use runner::run_runner;
pub use schedules::Clock;
pub use signature::sign as webhook_signature;
pub use statuses::CommitStatus;
pub use vault::{Rotation, SecretKey};
pub use wire::{
    AuditQuery, CombinedStatus, DispatchRequest, DispatchResponse, EnvironmentRef, GroupView,
    HookAnswer, HookReport, LogPart, NewToken, PendingDeployment, PullView, RefUpdate, RepoView,
    ReviewRequest, Reviewer, RunQuery, RunRecord, RunView, RunnerCredential, SecretScope,
    SecretView, SecretWrite, TokenRequest,
};

use std::sync::Arc;

/// Serves the API on `config.listen` until `shutdown` resolves, with `config.runners`
/// runners in the same process. `on_listening` is told the address once it is bound.
///
/// Shutting down drains: new dispatches and claims are refused (503) at once, the embedded
/// runners finish the jobs they have (their reports still arrive), and only then does the
/// server stop listening. Remote runners keep their jobs and report to the next start.
pub async fn serve(
    config: ServerConfig,
    on_listening: impl FnOnce(std::net::SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|source| ServerError::Bind {
            address: config.listen.clone(),
            source,
        })?;
    let address = listener.local_addr().map_err(|source| ServerError::Bind {
        address: config.listen.clone(),
        source,
    })?;
    // Owned here, not by the state its tasks hold: it stops when the server does.
    let background = background::Background::start()?;
    let state = Arc::new(state::AppState::open(config.clone(), address)?);
    // After a restart: runners that kept working get their leases back, and the runs being
    // planned are planned again, before anything is reaped or answered.
    state.store().refresh_leases(config.lease)?;
    // The hooks of hosted repositories call this server, at the address it has now.
    for repo in state.repos().iter().filter(|r| r.hosted && r.path.is_dir()) {
        state.install_hooks(&repo.name, &repo.path);
    }
    let own = state
        .store()
        .take_runs(&state.planner, config.lease, true)?;
    planner::resume(&state, &own)?;
    oidc::ensure_key(&state).map_err(|e| ServerError::Oidc { message: e.message })?;
    on_listening(address);
    state::spawn_upkeep(state.clone());
    checkpoints::spawn(&state);
    poller::spawn(&state);
    schedules::spawn(&state);
    forge_statuses::spawn(&state);
    let (stop_runners, runners_stop) = tokio::sync::watch::channel(false);
    let mut embedded = Vec::new();
    for n in 0..config.runners {
        let runner = RunnerConfig {
            server: format!("http://{address}"),
            token: state.admin_token.clone(),
            name: format!("{}-embedded-{}", config.name, n + 1),
            labels: RunnerConfig::default_labels(),
            capacity: 1,
            data_dir: config.data_dir.join("runner").join(format!("{}", n + 1)),
            register: false,
        };
        let mut stop = runners_stop.clone();
        embedded.push(background.handle().spawn(async move {
            let _ = run_runner(runner, async move {
                let _ = stop.changed().await;
            })
            .await;
        }));
    }
    let draining = state.clone();
    let drained = async move {
        shutdown.await;
        draining
            .draining
            .store(true, std::sync::atomic::Ordering::SeqCst);
        // Claims and renewals waiting in a long poll answer now.
        draining.queue_changed.notify_waiters();
        draining.jobs_asked_to_stop();
        let _ = stop_runners.send(true);
        for runner in embedded {
            let _ = runner.await;
        }
    };
    let app = routes::router(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(drained)
        .await
        .map_err(|source| ServerError::Serve { source })
}
