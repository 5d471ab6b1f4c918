//! `hoist run`: run the workflows an event triggers, on this machine.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use hoist_engine::{Conclusion, HostExecutor, RunRequest, Source, WorkflowFile};
use hoist_git::Repository;
use hoist_store::{NewRun, Store};
use hoist_workflow::trigger::{Decision, decide, resolve_inputs};
use indexmap::IndexMap;
use serde_json::Value as Json;

use crate::cli::{ContainerModeArg, RunArgs};
use crate::commands::Outcome;
use crate::commands::run_event::build_event;
use crate::config::{Config, parse_dotenv};
use crate::output;
use crate::view::{Fanout, TerminalView, Verbosity, summary};

/// Everything `hoist run` and `hoist runs rerun` agree on, stored with each run.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Invocation {
    pub(crate) event: String,
    pub(crate) workflows: Vec<String>,
    pub(crate) job: Option<String>,
    pub(crate) matrix: Vec<String>,
    pub(crate) base: Option<String>,
    pub(crate) commit: Option<String>,
    pub(crate) inputs: Vec<String>,
    pub(crate) event_file: Option<PathBuf>,
    pub(crate) vars: Vec<String>,
    pub(crate) secret_names: Vec<String>,
    /// `runs-on` labels mapped to this machine (`--runner-label L=host`).
    #[serde(default)]
    pub(crate) host_labels: Vec<String>,
    #[serde(default = "default_container_mode")]
    pub(crate) container_mode: ContainerModeArg,
}

fn default_container_mode() -> ContainerModeArg {
    ContainerModeArg::Skip
}

/// The labels of `--runner-label LABEL=host`.
fn host_labels(given: &[String]) -> anyhow::Result<Vec<String>> {
    given
        .iter()
        .map(|g| match g.rsplit_once('=') {
            Some((label, target)) if !label.is_empty() && target.eq_ignore_ascii_case("host") => {
                Ok(label.to_owned())
            }
            _ => bail!(
                "runner label `{g}` must be written as `LABEL=host` (e.g. `--runner-label windows-latest=host`)"
            ),
        })
        .collect()
}

pub(crate) fn run(args: &RunArgs) -> anyhow::Result<Outcome> {
    let inv = Invocation {
        event: args.event.clone(),
        workflows: args.workflow.clone(),
        job: args.job.clone(),
        matrix: args.matrix.clone(),
        base: args.base.clone(),
        commit: args.commit.clone(),
        inputs: args.inputs.clone(),
        event_file: args.event_file.clone(),
        vars: args.vars.clone(),
        secret_names: Vec::new(),
        host_labels: host_labels(&args.runner_labels)?,
        container_mode: args.container_mode,
    };
    let verbosity = if args.quiet {
        Verbosity::Quiet
    } else if args.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    let cwd = std::env::current_dir().context("cannot determine the current directory")?;
    let project = crate::project::find_project(&cwd)?;
    let options = RunOptions {
        config: args.config.clone(),
        secrets: args.secrets.clone(),
        secret_file: args.secret_file.clone(),
        parallelism: args.parallelism,
        verbosity,
        keep_workspaces: args.keep_workspaces,
        attempt: None,
    };
    execute(&project, &inv, &options)
}

/// How to run, beyond what the invocation says.
pub(crate) struct RunOptions {
    pub(crate) config: Option<PathBuf>,
    pub(crate) secrets: Vec<String>,
    pub(crate) secret_file: Option<PathBuf>,
    pub(crate) parallelism: Option<usize>,
    pub(crate) verbosity: Verbosity,
    pub(crate) keep_workspaces: bool,
    /// For reruns: (run number, attempt, reused jobs).
    pub(crate) attempt: Option<Rerun>,
}

pub(crate) struct Rerun {
    pub(crate) number: i64,
    pub(crate) attempt: u32,
    pub(crate) reuse: IndexMap<String, (Conclusion, IndexMap<String, String>)>,
}

pub(crate) fn open_store(config: &Config) -> anyhow::Result<Store> {
    let path = config.data_dir().join("hoist.db");
    let mut store = Store::open(&path)
        .with_context(|| format!("cannot open the run history at `{}`", path.display()))?;
    let marked = store.mark_interrupted(pid_alive)?;
    for run in marked {
        output::stderr(&format!(
            "note: run {} was interrupted (its process is gone); marked as interrupted\n",
            run.run_id
        ));
        for group in run.process_groups {
            if hoist_engine::end_orphaned_group(group.pgid, group.leader_start) {
                output::stderr(&format!(
                    "note: ended process group {} that a step of run {} left running\n",
                    group.pgid, run.run_id
                ));
            }
        }
    }
    Ok(store)
}

fn pid_alive(pid: u32) -> bool {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), None).is_ok()
}

fn key_value(s: &str, what: &str) -> anyhow::Result<(String, String)> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => bail!("{what} `{s}` must be written as `NAME=VALUE`"),
    }
}

pub(crate) fn execute(
    project: &Path,
    inv: &Invocation,
    options: &RunOptions,
) -> anyhow::Result<Outcome> {
    let (config, _) = Config::load(options.config.as_deref(), Some(project))?;
    let repo = Repository::discover(project);

    // Secrets and variables: config file, then secrets file, then flags.
    let mut secrets: IndexMap<String, String> = IndexMap::new();
    let secret_file = options
        .secret_file
        .clone()
        .or_else(|| config.secrets_file.clone());
    if let Some(f) = &secret_file {
        for (k, v) in parse_dotenv(f)? {
            secrets.insert(k, v);
        }
    }
    for s in &options.secrets {
        let (k, v) = match s.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => {
                let v = std::env::var(s).with_context(|| {
                    format!(
                        "secret `{s}` has no value and no environment variable of that name is set"
                    )
                })?;
                (s.clone(), v)
            }
        };
        secrets.insert(k, v);
    }
    check_secret_sizes(&secrets, secret_file.as_deref())?;
    let mut vars: IndexMap<String, String> = config
        .vars
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for v in &inv.vars {
        let (k, v) = key_value(v, "variable")?;
        vars.insert(k, v);
    }
    let mut environments = IndexMap::new();
    for (name, env) in &config.environments {
        let mut scope = hoist_engine::EnvironmentScope::default();
        if let Some(f) = &env.secrets_file {
            scope.secrets.extend(parse_dotenv(f)?);
            check_secret_sizes(&scope.secrets, Some(f))?;
        }
        scope
            .vars
            .extend(env.vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        environments.insert(name.clone(), scope);
    }
    let mut given_inputs = IndexMap::new();
    for i in &inv.inputs {
        let (k, v) = key_value(i, "input")?;
        given_inputs.insert(k, v);
    }
    let matrix_filter: Vec<(String, String)> = inv
        .matrix
        .iter()
        .map(|m| match m.split_once(':') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
            _ => bail!("matrix filter `{m}` must be written as `key:value`"),
        })
        .collect::<anyhow::Result<_>>()?;

    let event = build_event(project, repo.as_ref(), inv)?;
    let workflows = crate::project::load_workflows(project, &inv.workflows)?;
    let data_dir = config.data_dir();
    let mut store = open_store(&config)?;

    let mut to_run = Vec::new();
    // Workflows that would run but do not parse: GitHub shows each as a failed run ("workflow
    // file issue"), so they fail this one too, with every error printed.
    let mut invalid = 0;
    for (file, parsed) in workflows {
        let decision = if parsed.has_errors() && parsed.workflow.on.events.is_empty() {
            // Its triggers could not be read, so it cannot be told apart from one this event
            // starts: never report it as skipped.
            Decision::Run
        } else if parsed
            .workflow
            .on
            .events
            .keys()
            .all(|e| e == "workflow_call")
        {
            Decision::Skip("it is a reusable workflow (`on: workflow_call` only)".to_owned())
        } else {
            decide(&parsed.workflow, &event.trigger)
        };
        match decision {
            Decision::Run => {
                if parsed.has_errors() {
                    invalid += 1;
                    report_invalid(&file, parsed.diagnostics);
                    continue;
                }
                let inputs = if inv.event == "workflow_dispatch" {
                    let trigger = &parsed.workflow.on.events["workflow_dispatch"];
                    resolve_inputs(trigger, &given_inputs)
                        .map_err(|errors| anyhow::anyhow!("{}: {}", file.path, errors.join("; ")))?
                } else {
                    serde_json::Map::new()
                };
                to_run.push((file, parsed, inputs));
            }
            Decision::Skip(reason) => {
                if options.verbosity != Verbosity::Quiet {
                    output::stderr(&format!("skipping {}: {reason}\n", file.path));
                }
            }
        }
    }
    if to_run.is_empty() {
        if invalid > 0 {
            return Ok(Outcome::Failure);
        }
        output::stderr(&format!(
            "no workflow runs for `{}` on `{}`\n",
            inv.event, event.info.git_ref
        ));
        return Ok(Outcome::Success);
    }

    // Every remote action is in the cache before the first job starts, or the run does not
    // start: all the missing ones are named at once, not one failed job at a time.
    let cache = config.action_cache();
    let needed =
        crate::action_fetch::actions_of(project, to_run.iter().map(|(_, p, _)| &p.workflow));
    let failed: Vec<_> = crate::action_fetch::fetch_missing(&cache, &needed)
        .into_iter()
        .filter_map(|(action, fetched)| match fetched {
            crate::action_fetch::ActionState::Failed { reason } => Some((action, reason)),
            crate::action_fetch::ActionState::Fetched { from } => {
                if options.verbosity != Verbosity::Quiet {
                    output::stderr(&format!("fetched action `{action}` from `{from}`\n"));
                }
                None
            }
            crate::action_fetch::ActionState::Cached => None,
        })
        .collect();
    if !failed.is_empty() {
        bail!("{}", crate::action_fetch::missing_message(&cache, &failed));
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
    let stop_signals = {
        // Registered here, before any job starts, so no signal finds the default action
        // (which would end Hoist and leave the steps running).
        let _entered = runtime.enter();
        StopSignals::register().context("cannot install the signal handlers")?
    };
    runtime.spawn(async move {
        let mut signals = stop_signals;
        let first = signals.next().await;
        output::stderr(&format!(
            "\ncancelling the run ({first}; {} again stops at once)...\n",
            if first == "SIGINT" {
                "Ctrl-C"
            } else {
                "a second signal"
            }
        ));
        let _ = cancel_tx.send(true);
        let second = signals.next().await;
        std::process::exit(if second == "SIGINT" { 130 } else { 143 });
    });

    let storages = hoist_storage::StorageCatalog::new(config.storage_settings());
    let view = Arc::new(TerminalView::new(options.verbosity));
    let mut all_ok = true;
    for (file, parsed, inputs) in to_run {
        let name = parsed
            .workflow
            .name
            .as_ref()
            .map_or_else(|| file.path.clone(), |n| n.value.clone());
        let mut stored_inv = inv.clone();
        stored_inv.secret_names = secrets.keys().cloned().collect();
        let new_run = NewRun {
            workflow_name: name.clone(),
            workflow_path: file.path.clone(),
            event: inv.event.clone(),
            git_ref: event.info.git_ref.clone(),
            branch: event.branch.clone(),
            sha: event.info.sha.clone(),
            actor: event.info.actor.clone(),
            repo: event.info.repository.clone(),
            runner: config.runner_name(),
            project_root: project.to_string_lossy().into_owned(),
            attempt: options.attempt.as_ref().map_or(1, |a| a.attempt),
            number: options.attempt.as_ref().map(|a| a.number),
            request: serde_json::to_value(&stored_inv).unwrap_or(Json::Null),
            planner: None,
            head_sha: None,
        };
        let (run_id, run_number) = store.create_run(&new_run)?;
        let work = WorkDir::claim(&data_dir, project, &file.path, run_id)?;
        let work_dir = work.path.clone();
        let snapshot_dir = data_dir
            .join("work")
            .join("snapshots")
            .join(run_id.to_string());
        let source = match &inv.commit {
            Some(rev) => snapshot_commit(repo.as_ref(), project, rev, &snapshot_dir)?,
            None => working_tree(repo.as_ref(), project)?,
        };
        let request = RunRequest {
            workflow: file.clone(),
            project_root: project.to_path_buf(),
            source,
            event: event.info.clone(),
            inputs,
            secrets: secrets.clone(),
            vars: vars.clone(),
            environments: environments.clone(),
            run_id: run_id as u64,
            run_number: run_number as u64,
            run_attempt: options.attempt.as_ref().map_or(1, |a| a.attempt),
            work_dir: work_dir.clone(),
            job_filter: inv.job.clone(),
            matrix_filter: matrix_filter.clone(),
            reuse: options
                .attempt
                .as_ref()
                .map(|a| a.reuse.clone())
                .unwrap_or_default(),
            parallelism: options.parallelism.or(config.jobs).unwrap_or_else(num_cpus),
            kill_grace: Duration::from_secs(5),
            action_cache: Some(cache.clone()),
            cache_dir: data_dir.join("cache"),
            artifact_dir: data_dir.join("artifacts").join(run_id.to_string()),
            debug: options.verbosity == Verbosity::Verbose,
            runner_labels: config.runner.labels.clone(),
            mapped_labels: inv.host_labels.clone(),
            tool_paths: std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(|d| d.to_string_lossy().into_owned()))
                .into_iter()
                .collect(),
            container_mode: match inv.container_mode {
                ContainerModeArg::Skip => hoist_engine::ContainerMode::Skip,
                ContainerModeArg::Host => hoist_engine::ContainerMode::Host,
            },
            junit: config.metrics.junit.clone(),
        };
        let recorder = Arc::new(store.recorder(run_id)?);
        let observer = Arc::new(Fanout(vec![view.clone(), recorder.clone()]));
        let started = Instant::now();
        let outcome = runtime.block_on(hoist_engine::run(
            request,
            HostExecutor,
            observer,
            cancel_rx.clone(),
        ));
        recorder.finish().context("cannot write the run history")?;
        if config.metrics.upload {
            super::metrics::upload_finished_run(&mut store, &storages, run_id, options.verbosity);
        }
        let _ = std::fs::remove_dir_all(&snapshot_dir);
        if work.throwaway && !options.keep_workspaces {
            let _ = std::fs::remove_dir_all(&work_dir);
        }
        drop(work);
        let outcome = outcome?;
        let jobs = view.take_jobs();
        output::stdout(&summary(
            &name,
            run_id,
            outcome.conclusion,
            started.elapsed(),
            &jobs,
        ));
        if outcome.conclusion != Conclusion::Success {
            all_ok = false;
            if outcome.conclusion == Conclusion::Failure {
                output::stdout(&format!(
                    "  see the failed steps' logs with `hoist runs view {run_id} --log-failed`\n"
                ));
            }
        }
        if *cancel_rx.borrow() {
            break;
        }
    }
    runtime.shutdown_timeout(Duration::from_secs(1));
    if invalid > 0 {
        all_ok = false;
    }
    if config.metrics.upload {
        // Earlier runs whose upload failed, now that their backoff may have expired.
        super::metrics::flush_due(&mut store, &storages, options.verbosity);
    }
    Ok(if all_ok {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

/// The signals that cancel a run: Ctrl-C (SIGINT), SIGTERM (a service manager, `kill`, a CI
/// system stopping the job) and SIGHUP (the terminal went away). All three cancel alike: the
/// steps' process groups are ended, `always()` steps run and the run is recorded as cancelled.
struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn register() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    /// Waits for the next of them and names it.
    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.hangup.recv() => "SIGHUP",
        }
    }
}

/// Prints the errors of a workflow that cannot run, as `hoist check` shows them (warnings
/// never stop a run, so they are left to `hoist check`).
fn report_invalid(file: &WorkflowFile, mut diagnostics: Vec<hoist_diagnostics::Diagnostic>) {
    diagnostics.retain(hoist_diagnostics::Diagnostic::is_error);
    let mut report = hoist_diagnostics::FileReport {
        path: file.path.clone(),
        text: file.text.clone(),
        diagnostics,
    };
    report.sort();
    output::stderr(&format!(
        "error: `{}` is not a valid workflow ({} error(s)); it did not run:\n{}",
        file.path,
        report.error_count(),
        hoist_diagnostics::render_human(&report)
    ));
}

/// Where a run's jobs work. Like a self-hosted runner's `_work` directory, each workflow of
/// each project has one, kept from run to run: `actions/checkout` brings it up to date, and
/// nothing is created and deleted again for every run (which is slow on ext4 at scale). A
/// second run of the same workflow started meanwhile gets a throwaway directory instead.
struct WorkDir {
    path: PathBuf,
    throwaway: bool,
    _lock: Option<nix::fcntl::Flock<std::fs::File>>,
}

impl WorkDir {
    fn claim(data_dir: &Path, project: &Path, workflow: &str, run_id: i64) -> anyhow::Result<Self> {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        project.hash(&mut hasher);
        let name = project.file_name().map_or_else(
            || "project".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        );
        let flow = Path::new(workflow)
            .file_name()
            .map_or_else(|| workflow.to_owned(), |n| n.to_string_lossy().into_owned());
        let base = data_dir
            .join("work")
            .join(format!("{name}-{:08x}", hasher.finish() as u32));
        std::fs::create_dir_all(&base)
            .with_context(|| format!("cannot create `{}`", base.display()))?;
        let lock_path = base.join(format!("{flow}.lock"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("cannot open `{}`", lock_path.display()))?;
        match nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock) {
            Ok(lock) => Ok(Self {
                path: base.join(flow),
                throwaway: false,
                _lock: Some(lock),
            }),
            Err(_) => Ok(Self {
                path: data_dir.join("work").join("runs").join(run_id.to_string()),
                throwaway: true,
                _lock: None,
            }),
        }
    }
}

/// GitHub refuses secrets over 48 KB; a larger one is almost surely a file pasted by mistake,
/// and masking it in every line would be costly.
const MAX_SECRET_BYTES: usize = 48 * 1024;

fn check_secret_sizes(
    secrets: &IndexMap<String, String>,
    file: Option<&Path>,
) -> anyhow::Result<()> {
    if let Some((name, value)) = secrets.iter().find(|(_, v)| v.len() > MAX_SECRET_BYTES) {
        let from = file.map_or_else(String::new, |f| format!(" (from `{}`)", f.display()));
        bail!(
            "secret `{name}`{from} is {} bytes; GitHub limits secrets to 48 KB\n  hint: keep large values in a file of the repository or an artifact, and put only a key or a path in the secret",
            value.len()
        );
    }
    Ok(())
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
}

/// The project's working tree as it is: tracked and untracked files, minus ignored ones.
fn working_tree(repo: Option<&Repository>, project: &Path) -> anyhow::Result<Source> {
    let files = match repo {
        Some(r) => r.working_tree_files(project)?,
        None => walk(project),
    };
    Ok(Source {
        root: project.to_path_buf(),
        files,
        git_dir: repo.map(|r| r.root.clone()),
        deferred: None,
    })
}

/// A clean checkout of `rev` (the project's part of it) under the run's work directory.
fn snapshot_commit(
    repo: Option<&Repository>,
    project: &Path,
    rev: &str,
    work_dir: &Path,
) -> anyhow::Result<Source> {
    let repo = repo.context("`--commit` needs a git repository")?;
    let dest = work_dir.join("source");
    std::fs::create_dir_all(&dest)
        .with_context(|| format!("cannot create `{}`", dest.display()))?;
    let sub = project.strip_prefix(&repo.root).unwrap_or(Path::new(""));
    repo.export(rev, sub, &dest)?;
    Ok(Source {
        root: dest.clone(),
        files: walk(&dest),
        git_dir: Some(repo.root.clone()),
        deferred: None,
    })
}

fn walk(root: &Path) -> Vec<PathBuf> {
    fn go(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() && e.file_name() != ".git" => go(root, &p, out),
                Ok(t) if t.is_file() => {
                    if let Ok(rel) = p.strip_prefix(root) {
                        out.push(rel.to_path_buf());
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    go(root, root, &mut out);
    out.sort();
    out
}
