//! What every request handler shares: the store, the token, the runs being planned and the
//! signals that wake long polls.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hoist_store::{Location, Recorder, Store, StoreError};
use tokio::sync::Notify;

use crate::config::ServerConfig;
use crate::errors::ServerError;

pub(crate) type SharedState = Arc<AppState>;

pub(crate) struct AppState {
    pub(crate) config: ServerConfig,
    pub(crate) address: SocketAddr,
    store: Mutex<Store>,
    /// A connection of its own for webhook intake (recording a delivery by id): a burst of
    /// deliveries waits only for the database, never behind the planners' and runners' use
    /// of `store`.
    intake: Mutex<Store>,
    /// The connection of the requests that start runs (dispatches, reruns), so that their
    /// answers wait neither for the planners, which share `store`, nor for deliveries.
    answering: Mutex<Store>,
    pub(crate) admin_token: String,
    pub(crate) admin_digest: [u8; 32],
    /// Wakes runners waiting in a claim: a job was queued or came back to the queue.
    pub(crate) queue_changed: Notify,
    /// Wakes renewals waiting in a long poll: a job a runner holds was asked to stop (its
    /// run was cancelled), or the server drains.
    pub(crate) stop_asked: Notify,
    /// Events being turned into runs at once (git reads, workflow parsing): one per core
    /// but one, so that a burst of webhooks queues its work instead of starving the answers.
    pub(crate) event_work: Arc<tokio::sync::Semaphore>,
    /// Wakes the planner waiting for queued job N's outcome (it finished or was failed): one
    /// signal per job, so that a finish wakes its own planner, not every planner.
    job_waiters: Mutex<HashMap<i64, Arc<Notify>>>,
    /// Set when the server shuts down: dispatches and claims are refused, reports accepted.
    pub(crate) draining: std::sync::atomic::AtomicBool,
    /// The cancellation signal of each run being planned here.
    pub(crate) cancels: Mutex<HashMap<i64, tokio::sync::watch::Sender<bool>>>,
    /// Workflow files by (repository, commit, directory), read once.
    pub(crate) commit_files: crate::commit_files::CommitFiles,
    /// What `/metrics` counts in memory.
    pub(crate) metrics: crate::metrics::ServerMetrics,
    /// The recorder of each run being planned here; runners' events go through it.
    pub(crate) recorders: Mutex<HashMap<i64, Arc<Recorder>>>,
    /// Recorders of runs another server plans, for the events of this server's runners
    /// (servers sharing a database); closed once the run is over.
    foreign_recorders: Mutex<HashMap<i64, Arc<Recorder>>>,
    /// This server's name among the servers sharing the database: its host and data
    /// directory, the same after a restart.
    pub(crate) planner: String,
    /// Whether other servers may share the database (PostgreSQL): their queue changes and
    /// finished jobs wake nothing here, so waits look at the store again every so often.
    pub(crate) shared_store: bool,
    /// When each mirrored repository was last fetched.
    fetched: Mutex<HashMap<String, std::time::Instant>>,
    /// The repositories: configured, set through the API, hosted.
    registry: crate::repos::Registry,
    /// The keys secrets are sealed with.
    pub(crate) vault: crate::vault::Vault,
    /// Wakes jobs waiting at an environment's rules: a deployment was reviewed here.
    pub(crate) deployments_changed: Notify,
}

impl AppState {
    pub(crate) fn open(mut config: ServerConfig, address: SocketAddr) -> Result<Self, ServerError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| ServerError::DataDir {
            path: config.data_dir.clone(),
            source,
        })?;
        // Repositories given by URL are read from the server's mirrors of them.
        let mirrors = config.data_dir.join("mirrors");
        for repo in &mut config.repos {
            if let Some(url) = &repo.url {
                repo.path = mirrors.join(format!("{}.git", repo.name));
                hoist_git::mirror(url, &repo.path).map_err(|source| ServerError::Mirror {
                    url: url.clone(),
                    source,
                })?;
            }
        }
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
        let location = match &config.database {
            Some(database) => Location::parse(database),
            None => Location::Sqlite(config.data_dir.join("hoist.db")),
        };
        let shared_store = matches!(location, Location::Postgres(_));
        let mut store = Store::open_at(&location)?;
        let mut intake = Store::open_at(&location)?;
        let mut answering = Store::open_at(&location)?;
        // Their commits must not wait for a checkpoint: `checkpoints` takes them.
        store.defer_checkpoints()?;
        intake.defer_checkpoints()?;
        answering.defer_checkpoints()?;
        let data_dir = config
            .data_dir
            .canonicalize()
            .unwrap_or_else(|_| config.data_dir.clone());
        let planner = format!("{}:{}", config.name, data_dir.display());
        let admin_token = crate::auth::admin_token(&config.data_dir)?;
        let (vault, _) = crate::vault::Vault::open(config.secret_key.as_ref(), &config.data_dir)?;
        for repo in &config.repos {
            for (name, settings) in &repo.environments {
                crate::routes::check_environment(name, settings).map_err(|e| {
                    ServerError::Environment {
                        repo: repo.name.clone(),
                        environment: name.clone(),
                        message: e.message,
                    }
                })?;
                store.put_environment(&repo.name, name, settings, "config")?;
            }
        }
        let registry = crate::repos::Registry::new(config.repos.clone(), &config.data_dir);
        registry.reload(&store)?;
        Ok(Self {
            admin_digest: crate::auth::digest(&admin_token),
            admin_token,
            address,
            store: Mutex::new(store),
            intake: Mutex::new(intake),
            answering: Mutex::new(answering),
            config,
            queue_changed: Notify::new(),
            stop_asked: Notify::new(),
            event_work: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism()
                    .map_or(1, |n| n.get().saturating_sub(1).max(1)),
            )),
            job_waiters: Mutex::new(HashMap::new()),
            recorders: Mutex::new(HashMap::new()),
            foreign_recorders: Mutex::new(HashMap::new()),
            planner,
            shared_store,
            fetched: Mutex::new(HashMap::new()),
            registry,
            vault,
            deployments_changed: Notify::new(),
            metrics: crate::metrics::ServerMetrics::default(),
            commit_files: crate::commit_files::CommitFiles::default(),
            cancels: Mutex::new(HashMap::new()),
            draining: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The store, for one short operation (SQLite answers in well under a millisecond for
    /// what the API asks).
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The connection of requests that start runs (see `answering`), for what their
    /// answers wait for.
    pub(crate) fn answering(&self) -> MutexGuard<'_, Store> {
        self.answering.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The intake's own connection (see `intake`), for the deliveries table only.
    pub(crate) fn intake(&self) -> MutexGuard<'_, Store> {
        self.intake.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Refuses (503) what starts new work while the server drains.
    /// Whether the server is shutting down.
    pub(crate) fn is_draining(&self) -> bool {
        self.draining.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub(crate) fn refuse_if_draining(&self) -> Result<(), crate::api_error::ApiError> {
        if self.is_draining() {
            return Err(crate::api_error::ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "the server is shutting down; try again when it is back",
            ));
        }
        Ok(())
    }

    /// The recorder for runner reports about run `run_id`: its planner's when it is planned
    /// here, else one opened for the reports this server receives.
    pub(crate) fn recorder_for(&self, run_id: i64) -> Result<Arc<Recorder>, StoreError> {
        if let Some(r) = self
            .recorders
            .lock()
            .ok()
            .and_then(|r| r.get(&run_id).cloned())
        {
            return Ok(r);
        }
        let mut foreign = self
            .foreign_recorders
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(r) = foreign.get(&run_id) {
            return Ok(r.clone());
        }
        let recorder = Arc::new(self.store().recorder(run_id)?);
        foreign.insert(run_id, recorder.clone());
        Ok(recorder)
    }

    /// Brings the mirror of `repo` (one given by URL) up to date with its origin, unless it
    /// was fetched in the last two seconds (a burst of dispatches fetches once). Other
    /// repositories are read where they are.
    pub(crate) fn refresh(&self, repo: &crate::config::RepoConfig) -> Result<(), ServerError> {
        let Some(url) = &repo.url else {
            return Ok(());
        };
        let mut fetched = self.fetched.lock().unwrap_or_else(|e| e.into_inner());
        if fetched
            .get(&repo.name)
            .is_some_and(|at| at.elapsed() < Duration::from_secs(2))
        {
            return Ok(());
        }
        hoist_git::mirror(url, &repo.path).map_err(|source| ServerError::Mirror {
            url: url.clone(),
            source,
        })?;
        fetched.insert(repo.name.clone(), std::time::Instant::now());
        Ok(())
    }

    /// The signal planner waits on for queued job `id`; [`AppState::forget_job`] when done.
    pub(crate) fn job_signal(&self, id: i64) -> Arc<Notify> {
        self.job_waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(id)
            .or_default()
            .clone()
    }

    /// Wakes the planner of queued job `id`, if it waits here. The permit is kept when it
    /// is not waiting at this moment, so the wake-up is never lost.
    pub(crate) fn job_changed(&self, id: i64) {
        if let Some(signal) = self
            .job_waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
        {
            signal.notify_one();
        }
    }

    /// Cancels run `run_id` if this server plans it; `false` when it does not (another
    /// replica does, or nobody).
    pub(crate) fn cancel_here(&self, run_id: i64) -> bool {
        self.cancels
            .lock()
            .ok()
            .and_then(|c| c.get(&run_id).map(|tx| tx.send(true).is_ok()))
            .unwrap_or(false)
    }

    /// Wakes the planner of every queued job waiting here: something changed that the store
    /// says of several (a concurrency group cancelled one without knowing its queue id).
    pub(crate) fn wake_all_jobs(&self) {
        for signal in self
            .job_waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
        {
            signal.notify_one();
        }
    }

    /// Tells the runners' waiting renewals here that a held job was marked to stop; each
    /// looks whether it is its own.
    pub(crate) fn jobs_asked_to_stop(&self) {
        self.stop_asked.notify_waiters();
    }

    pub(crate) fn forget_job(&self, id: i64) {
        self.job_waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }

    /// The git repository of `repo`.
    pub(crate) fn repository(
        &self,
        repo: &crate::config::RepoConfig,
    ) -> Option<hoist_git::Repository> {
        self.registry
            .git(&repo.name)
            .or_else(|| hoist_git::Repository::discover(&repo.path))
    }

    /// Writes the hooks of hosted repository `name` at `path` (when the server knows the
    /// program to call back).
    pub(crate) fn install_hooks(&self, name: &str, path: &std::path::Path) {
        if let Some(program) = &self.config.hook_program {
            let token_file = self.config.data_dir.join("admin-token");
            let token_file = token_file.canonicalize().unwrap_or(token_file);
            let _ = crate::repos::install_hooks(path, program, &self.base_url(), name, &token_file);
        }
    }

    /// Every repository this server knows.
    pub(crate) fn repos(&self) -> Vec<crate::config::RepoConfig> {
        self.registry.all()
    }

    /// Repository `name`.
    pub(crate) fn repo(&self, name: &str) -> Option<crate::config::RepoConfig> {
        self.registry.get(name)
    }

    /// Repository `name`, or 404 naming the ones there are.
    pub(crate) fn repo_named(
        &self,
        name: &str,
    ) -> Result<crate::config::RepoConfig, crate::api_error::ApiError> {
        self.repo(name).ok_or_else(|| {
            let known: Vec<String> = self
                .repos()
                .iter()
                .map(|r| format!("`{}`", r.name))
                .collect();
            crate::api_error::ApiError::not_found(format!(
                "no repository `{name}`; this server has {}",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ))
        })
    }

    /// The git repository of `repo`, or 500 when it is gone.
    pub(crate) fn git_of(
        &self,
        repo: &crate::config::RepoConfig,
    ) -> Result<hoist_git::Repository, crate::api_error::ApiError> {
        self.repository(repo).ok_or_else(|| {
            crate::api_error::ApiError::internal(format!(
                "`{}` is not a git repository",
                repo.path.display()
            ))
        })
    }

    /// Reads the repositories from the database again (after a change made here; upkeep
    /// does it for changes other servers make).
    pub(crate) fn reload_repos(&self) {
        let _ = self.registry.reload(&self.store());
    }

    /// Milliseconds since the epoch by the server's clock (a test's, or the system's).
    pub(crate) fn now_ms(&self) -> i64 {
        match &self.config.clock {
            Some(clock) => clock.now_ms(),
            None => crate::schedules::Clock::now_ms(&crate::schedules::SystemClock),
        }
    }

    /// How long a wait for the queue may last before looking at the store again.
    pub(crate) fn poll_every(&self) -> Duration {
        // Alone on its database every change that matters wakes its waiter here: the look
        // is only a safety net.
        if self.shared_store {
            Duration::from_millis(250)
        } else {
            Duration::from_secs(5)
        }
    }

    pub(crate) fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }
}

/// The server's upkeep, every half lease (at most every 2 s): takes back the jobs of runners
/// that stopped renewing their leases, renews this server's hold on the runs it plans,
/// plans the runs of servers that stopped renewing theirs, passes on cancellations asked of
/// it through other servers, and closes recorders of other servers' runs that are over.
pub(crate) fn spawn_upkeep(state: SharedState) {
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
                for e in &expired {
                    state.job_changed(e.id);
                }
            }
            let lease = state.config.lease;
            let _ = state.store().renew_planning(&state.planner, lease);
            let orphans = state
                .store()
                .take_runs(&state.planner, lease, false)
                .unwrap_or_default();
            if !orphans.is_empty() {
                let _ = crate::planner::resume(&state, &orphans);
            }
            for run_id in state
                .store()
                .cancels_for(&state.planner)
                .unwrap_or_default()
            {
                state.cancel_here(run_id);
            }
            close_finished_foreign_recorders(&state);
            if state.shared_store {
                state.reload_repos();
            }
        }
    });
}

fn close_finished_foreign_recorders(state: &SharedState) {
    let runs: Vec<i64> = match state.foreign_recorders.lock() {
        Ok(f) => f.keys().copied().collect(),
        Err(_) => return,
    };
    for run_id in runs {
        let over = state
            .store()
            .run(run_id)
            .map_or(true, |run| run.status == "completed");
        let planned_here = state
            .recorders
            .lock()
            .is_ok_and(|r| r.contains_key(&run_id));
        if over || planned_here {
            let closed = state
                .foreign_recorders
                .lock()
                .ok()
                .and_then(|mut f| f.remove(&run_id));
            if let Some(recorder) = closed {
                tokio::task::spawn_blocking(move || recorder.finish());
            }
        }
    }
}
