//! What every request handler shares: the store, the token, the runs being planned and the
//! signals that wake long polls.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hoist_store::{Recorder, Store};
use tokio::sync::Notify;

use crate::config::ServerConfig;
use crate::errors::ServerError;

pub(crate) type SharedState = Arc<AppState>;

pub(crate) struct AppState {
    pub(crate) config: ServerConfig,
    pub(crate) address: SocketAddr,
    store: Mutex<Store>,
    pub(crate) admin_token: String,
    pub(crate) admin_digest: [u8; 32],
    /// Wakes runners waiting in a claim: a job was queued or came back to the queue.
    pub(crate) queue_changed: Notify,
    /// Wakes planners waiting for an outcome: a job finished or was failed.
    pub(crate) job_done: Notify,
    /// Set when the server shuts down: dispatches and claims are refused, reports accepted.
    pub(crate) draining: std::sync::atomic::AtomicBool,
    /// The cancellation signal of each run being planned here.
    pub(crate) cancels: Mutex<HashMap<i64, tokio::sync::watch::Sender<bool>>>,
    /// Workflow texts by (repository, commit, path), read once.
    pub(crate) workflow_texts: Mutex<HashMap<(String, String, String), String>>,
    /// What `/metrics` counts in memory.
    pub(crate) metrics: crate::metrics::ServerMetrics,
    /// The recorder of each run being planned here; runners' events go through it.
    pub(crate) recorders: Mutex<HashMap<i64, Arc<Recorder>>>,
}

impl AppState {
    pub(crate) fn open(config: ServerConfig, address: SocketAddr) -> Result<Self, ServerError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| ServerError::DataDir {
            path: config.data_dir.clone(),
            source,
        })?;
        let mut names = std::collections::HashSet::new();
        for repo in &config.repos {
            if !names.insert(repo.name.clone()) {
                return Err(ServerError::DuplicateRepository {
                    name: repo.name.clone(),
                });
            }
            if hoist_git::Repository::discover(&repo.path).is_none() {
                return Err(ServerError::NotARepository {
                    path: repo.path.clone(),
                });
            }
        }
        let store = Store::open(&config.data_dir.join("hoist.db"))?;
        let admin_token = crate::auth::admin_token(&config.data_dir)?;
        Ok(Self {
            admin_digest: crate::auth::digest(&admin_token),
            admin_token,
            address,
            store: Mutex::new(store),
            config,
            queue_changed: Notify::new(),
            job_done: Notify::new(),
            recorders: Mutex::new(HashMap::new()),
            metrics: crate::metrics::ServerMetrics::default(),
            workflow_texts: Mutex::new(HashMap::new()),
            cancels: Mutex::new(HashMap::new()),
            draining: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The store, for one short operation (SQLite answers in well under a millisecond for
    /// what the API asks).
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Refuses (503) what starts new work while the server drains.
    pub(crate) fn refuse_if_draining(&self) -> Result<(), crate::api_error::ApiError> {
        if self.draining.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(crate::api_error::ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "the server is shutting down; try again when it is back",
            ));
        }
        Ok(())
    }

    pub(crate) fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }
}

/// Takes back the jobs of runners that stopped renewing their leases.
pub(crate) fn spawn_lease_reaper(state: SharedState) {
    tokio::spawn(async move {
        let every =
            (state.config.lease / 2).clamp(Duration::from_millis(100), Duration::from_secs(2));
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let expired = state.store().expire_leases().unwrap_or_default();
            if !expired.is_empty() {
                state
                    .metrics
                    .lease_expiries
                    .fetch_add(expired.len() as u64, std::sync::atomic::Ordering::Relaxed);
                state.queue_changed.notify_waiters();
                state.job_done.notify_waiters();
            }
        }
    });
}
