//! `hoist runner`: claims jobs from a server and runs them on this machine.
//!
//! Expected flow, per slot of its capacity: claim (a long poll) → check out the job's commit
//! → run it with the engine (`run_job_request`, the same code `hoist run` uses), renewing the
//! lease every third of its length (each renewal a long poll that hears a cancel at once)
//! and sending the job's events in numbered batches → report the outcome → claim again.
//!
//! Guarantees: events reach the server in order, each batch sent until the server took it
//! (numbered, so a batch sent twice is recorded once); a job the server takes back (409 on
//! a renewal or a report) is cancelled here at once; an unreachable server is retried with a
//! pause, never given up on.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hoist_engine::{
    Conclusion, ContainerMode, HostExecutor, JobOutcome, JobRequest, Observer, RunEvent,
    RunRequest, Source, WorkflowFile,
};
use indexmap::IndexMap;
use tokio::sync::watch;

use crate::client::{Client, JobCall};
use crate::config::RunnerConfig;
use crate::errors::ServerError;
use crate::wire::{Assignment, EventsReport};

/// How often buffered events are sent.
const SEND_EVERY: Duration = Duration::from_millis(200);

/// Runs until `shutdown` resolves (then finishes the jobs it has).
pub async fn run_runner(
    config: RunnerConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|source| ServerError::DataDir {
        path: config.data_dir.clone(),
        source,
    })?;
    let token = if config.register {
        credential(&config).await?
    } else {
        config.token.clone()
    };
    let client = Client::new(&config.server, &token);
    let config = Arc::new(config);
    let (stop_tx, stop) = watch::channel(false);
    let mut slots = Vec::new();
    for _ in 0..config.capacity.max(1) {
        let (client, config, stop) = (client.clone(), config.clone(), stop.clone());
        slots.push(tokio::spawn(
            async move { slot(client, config, stop).await },
        ));
    }
    shutdown.await;
    let _ = stop_tx.send(true);
    for s in slots {
        let _ = s.await;
    }
    Ok(())
}

/// What a runner's data directory keeps of its registration.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredCredential {
    server: String,
    name: String,
    token: String,
}

const CREDENTIAL_FILE: &str = "credential";

/// The runner's own credential: the one kept in its data directory, or one the server gives
/// for the registration token (kept, mode 0600, before it is used); the token itself when
/// the server says it already is this runner's credential.
async fn credential(config: &RunnerConfig) -> Result<String, ServerError> {
    let path = config.data_dir.join(CREDENTIAL_FILE);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let stored: StoredCredential =
            serde_json::from_str(&text).map_err(|e| ServerError::Refused {
                message: format!(
                    "`{}` cannot be read ({e}); remove it to register again",
                    path.display()
                ),
            })?;
        if stored.server.trim_end_matches('/') != config.server.trim_end_matches('/')
            || stored.name != config.name
        {
            return Err(ServerError::Refused {
                message: format!(
                    "`{}` holds the credential of runner `{}` at `{}`; use `--name {}` and that server, or another `--data-dir`",
                    path.display(),
                    stored.name,
                    stored.server,
                    stored.name
                ),
            });
        }
        return Ok(stored.token);
    }
    let answer = Client::new(&config.server, &config.token)
        .register_runner(&config.name)
        .await?;
    let Some(token) = answer.token else {
        return Ok(config.token.clone());
    };
    let stored = StoredCredential {
        server: config.server.clone(),
        name: config.name.clone(),
        token: token.clone(),
    };
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        f.write_all(
            serde_json::to_string(&stored)
                .unwrap_or_default()
                .as_bytes(),
        )
    };
    write().map_err(|source| ServerError::DataDir {
        path: path.clone(),
        source,
    })?;
    Ok(token)
}

async fn slot(client: Client, config: Arc<RunnerConfig>, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        let claimed = tokio::select! {
            c = client.claim(&config.name, &config.labels) => c,
            _ = stop.changed() => return,
        };
        match claimed {
            Ok(Some(job)) => run_one(&client, &config, job).await,
            Ok(None) => {}
            Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    }
}

async fn run_one(client: &Client, config: &Arc<RunnerConfig>, job: Assignment) {
    let Assignment {
        id,
        attempt,
        lease_ms,
        request,
    } = job;
    let renew_every = Duration::from_millis((lease_ms / 3).max(50));
    let dir = config.data_dir.join("jobs").join(format!("{id}-{attempt}"));
    let (cancel_tx, cancel) = watch::channel(false);
    let cancel_tx = Arc::new(cancel_tx);
    let reporter = Arc::new(Reporter::default());

    // Renew the lease while the job runs; a refused renewal cancels it.
    let renewing = {
        let (client, runner, cancel_tx) = (client.clone(), config.name.clone(), cancel_tx.clone());
        tokio::spawn(async move {
            let mut cancelled = false;
            loop {
                // A long poll: the server answers when the run is cancelled, or after
                // `renew_every`; the lease is renewed as each call arrives.
                let asked = tokio::time::Instant::now();
                let wait = if cancelled {
                    Duration::ZERO
                } else {
                    renew_every
                };
                match client.renew(id, &runner, wait).await {
                    Ok(JobCall::Lost) => {
                        let _ = cancel_tx.send(true);
                        return;
                    }
                    // The run was cancelled: the job stops as a cancelled run's jobs do, and
                    // its end is still reported. Renewals go on (the cleanup steps run), at
                    // their pace.
                    Ok(JobCall::Cancel) => {
                        cancelled = true;
                        let _ = cancel_tx.send(true);
                    }
                    Ok(JobCall::Done) | Err(_) => {}
                }
                // An answer sooner than asked (an error, a server draining, or one that does
                // not wait) must not make the renewals a busy loop.
                tokio::time::sleep_until(asked + renew_every).await;
            }
        })
    };
    // Send events as they come.
    let sending = {
        let (client, runner, reporter, cancel_tx) = (
            client.clone(),
            config.name.clone(),
            reporter.clone(),
            cancel_tx.clone(),
        );
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(SEND_EVERY).await;
                if reporter.send(&client, id, &runner, attempt).await == Some(JobCall::Lost) {
                    let _ = cancel_tx.send(true);
                }
            }
        })
    };

    // The server gives the token request's path; this runner reaches it at its own URL.
    let mut request = request;
    if let Some(grant) = &mut request.id_token
        && grant.url.starts_with('/')
    {
        grant.url = format!("{}{}", config.server.trim_end_matches('/'), grant.url);
    }
    let outcome = match prepare(config, &request, &dir) {
        Ok(host) => {
            let observer: Arc<dyn Observer> = reporter.clone();
            match hoist_engine::run_job_request(request, host, HostExecutor, observer, cancel).await
            {
                Ok(outcome) => outcome,
                Err(e) => failed(format!(
                    "the runner `{}` cannot run the job: {e}",
                    config.name
                )),
            }
        }
        Err(message) => failed(message),
    };
    sending.abort();
    // Whatever is left, then the end: the outcome only after every event arrived.
    for _ in 0..60 {
        if !reporter.pending() {
            break;
        }
        match reporter.send(client, id, &config.name, attempt).await {
            Some(JobCall::Done | JobCall::Cancel) => {}
            Some(JobCall::Lost) => break,
            None => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    }
    renewing.abort();
    for _ in 0..30 {
        match client.finish(id, &config.name, &outcome).await {
            Ok(_) => break,
            Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// This machine's side of the run request: where the job's files go, and the commit checked
/// out for `actions/checkout`, exported only once a step reads it (a job that checks nothing
/// out starts no git at all).
fn prepare(
    config: &Arc<RunnerConfig>,
    request: &JobRequest,
    dir: &Path,
) -> Result<RunRequest, String> {
    let source_dir = dir.join("source");
    std::fs::create_dir_all(&source_dir)
        .map_err(|e| format!("cannot create `{}`: {e}", source_dir.display()))?;
    let source = match request.checkout.clone() {
        Some(checkout) => {
            // The configuration is shared, not copied, into the deferred export.
            let (config, source_dir) = (Arc::clone(config), source_dir.clone());
            Source::deferred(move || export_source(&config, &checkout, &source_dir))
        }
        None => Source::default(),
    };
    Ok(RunRequest {
        workflow: WorkflowFile {
            path: String::new(),
            text: String::new(),
        },
        project_root: source_dir,
        source,
        event: Default::default(),
        inputs: serde_json::Map::new(),
        secrets: IndexMap::new(),
        vars: IndexMap::new(),
        environments: IndexMap::new(),
        run_id: 0,
        run_number: 0,
        run_attempt: 0,
        work_dir: dir.join("work"),
        job_filter: None,
        matrix_filter: Vec::new(),
        reuse: IndexMap::new(),
        parallelism: 1,
        kill_grace: Duration::from_secs(5),
        action_cache: None,
        cache_dir: config.data_dir.join("cache"),
        artifact_dir: dir.join("artifacts"),
        debug: false,
        runner_labels: config.labels.clone(),
        mapped_labels: Vec::new(),
        container_mode: ContainerMode::Skip,
        junit: Vec::new(),
        tool_paths: std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|d| d.to_string_lossy().into_owned()))
            .into_iter()
            .collect(),
    })
}

/// Exports `checkout`'s commit into `source_dir`, as the job's source.
fn export_source(
    config: &RunnerConfig,
    checkout: &hoist_engine::Checkout,
    source_dir: &Path,
) -> Result<Source, String> {
    let repo = if hoist_git::is_url(&checkout.repository) {
        runner_mirror(config, &checkout.repository, &checkout.sha)?
    } else {
        hoist_git::Repository::discover(Path::new(&checkout.repository)).ok_or_else(|| {
            format!(
                "the runner `{}` cannot reach the repository `{}`",
                config.name, checkout.repository
            )
        })?
    };
    repo.export(&checkout.sha, Path::new(&checkout.subdir), source_dir)
        .map_err(|e| format!("cannot check out `{}`: {e}", checkout.sha))?;
    let files = repo
        .tree_files(&checkout.sha, &checkout.subdir)
        .map_err(|e| format!("cannot list `{}`: {e}", checkout.sha))?;
    Ok(Source {
        root: source_dir.to_path_buf(),
        files,
        git_dir: Some(repo.git_dir()),
        deferred: None,
    })
}

/// The runner's own mirror of the repository at `url`, holding commit `sha`: fetched only
/// when it lacks the commit. One fetch at a time per runner process, so that two jobs of
/// one repository never clone it at once.
fn runner_mirror(
    config: &RunnerConfig,
    url: &str,
    sha: &str,
) -> Result<hoist_git::Repository, String> {
    static FETCHING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = FETCHING.lock().unwrap_or_else(|e| e.into_inner());
    use sha2::Digest;
    let id: String = sha2::Sha256::digest(url.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let dir = config.data_dir.join("mirrors").join(format!("{id}.git"));
    if let Some(repo) = hoist_git::Repository::discover(&dir)
        && repo.has_commit(sha)
    {
        return Ok(repo);
    }
    let repo = hoist_git::mirror(url, &dir)
        .map_err(|e| format!("the runner `{}` cannot fetch `{url}`: {e}", config.name))?;
    if !repo.has_commit(sha) {
        return Err(format!("`{url}` has no commit `{sha}`"));
    }
    Ok(repo)
}

fn failed(reason: String) -> JobOutcome {
    JobOutcome {
        result: Conclusion::Failure,
        outputs: Vec::new(),
        reason: Some(reason),
        environment_url: None,
    }
}

/// Buffers a job's events, numbered from 1, until the server took them.
#[derive(Default)]
struct Reporter {
    buffer: Mutex<Vec<(u64, RunEvent)>>,
    next: Mutex<u64>,
    /// One send at a time, so batches arrive in order.
    sending: tokio::sync::Mutex<()>,
}

impl Observer for Reporter {
    fn on_event(&self, event: &RunEvent) {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        *next += 1;
        self.buffer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((*next, event.clone()));
    }
}

impl Reporter {
    fn pending(&self) -> bool {
        !self
            .buffer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }

    /// Sends what is buffered; keeps it when the server did not take it.
    async fn send(&self, client: &Client, id: i64, runner: &str, attempt: u32) -> Option<JobCall> {
        let _one = self.sending.lock().await;
        let events: Vec<(u64, RunEvent)> = self
            .buffer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if events.is_empty() {
            return None;
        }
        let last = events.last().map_or(0, |(seq, _)| *seq);
        let report = EventsReport {
            runner: runner.to_owned(),
            attempt,
            events,
        };
        match client.events(id, &report).await {
            // Only renewals answer `Cancel`; for events it is taken as done.
            Ok(JobCall::Done | JobCall::Cancel) => {
                self.buffer
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .retain(|(seq, _)| *seq > last);
                Some(JobCall::Done)
            }
            Ok(JobCall::Lost) => {
                self.buffer
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clear();
                Some(JobCall::Lost)
            }
            Err(_) => None,
        }
    }
}
