//! What a run needs to know before it starts.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use indexmap::IndexMap;

pub use hoist_events::{EventInfo, WorkflowFile};

/// The files `actions/checkout` puts in a job's workspace: at hand, or prepared when a step
/// first reads them ([`DeferredSource`]).
#[derive(Clone, Debug, Default)]
pub struct Source {
    /// Directory the files are copied from.
    pub root: PathBuf,
    /// Paths relative to `root`.
    pub files: Vec<PathBuf>,
    /// The repository's git directory, for `fetch-depth: 0` and `ref:`; `None` outside git.
    pub git_dir: Option<PathBuf>,
    /// When set, the fields above are unused: the source is what this prepares.
    pub deferred: Option<DeferredSource>,
}

impl Source {
    /// A source prepared by `prepare` when a step first reads it, at most once: a runner
    /// exports the job's commit then, so that a job which checks nothing out costs no
    /// export. `prepare` blocks (it runs off the async threads).
    pub fn deferred(prepare: impl Fn() -> Result<Source, String> + Send + Sync + 'static) -> Self {
        Self {
            deferred: Some(DeferredSource {
                prepare: Arc::new(prepare),
                prepared: Arc::new(OnceLock::new()),
            }),
            ..Self::default()
        }
    }

    /// The source's files, prepared first if they are deferred (and not yet prepared); a
    /// failed preparation is not tried again.
    pub(crate) async fn ready(&self) -> Result<&Source, String> {
        let Some(deferred) = &self.deferred else {
            return Ok(self);
        };
        if deferred.prepared.get().is_none() {
            let preparing = deferred.clone();
            tokio::task::spawn_blocking(move || {
                preparing
                    .prepared
                    .get_or_init(|| (preparing.prepare)().map(Box::new));
            })
            .await
            .map_err(|e| format!("preparing the source failed: {e}"))?;
        }
        match deferred.prepared.get() {
            Some(Ok(source)) => Ok(&**source),
            Some(Err(e)) => Err(e.clone()),
            None => Err("the source was not prepared".to_owned()),
        }
    }
}

/// How a deferred [`Source`] is prepared, and what preparing it gave.
#[derive(Clone)]
pub struct DeferredSource {
    prepare: Arc<dyn Fn() -> Result<Source, String> + Send + Sync>,
    prepared: Arc<OnceLock<Result<Box<Source>, String>>>,
}

impl std::fmt::Debug for DeferredSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeferredSource")
            .field("prepared", &self.prepared.get())
            .finish_non_exhaustive()
    }
}

/// An environment's own secrets and variables.
#[derive(Clone, Debug, Default)]
pub struct EnvironmentScope {
    pub secrets: IndexMap<String, String>,
    pub vars: IndexMap<String, String>,
}

/// Everything one run of one workflow needs.
#[derive(Clone, Debug)]
pub struct RunRequest {
    pub workflow: WorkflowFile,
    /// The directory holding `.github/workflows`; local `uses:` paths resolve against it.
    pub project_root: PathBuf,
    pub source: Source,
    pub event: EventInfo,
    /// `workflow_dispatch` inputs, already checked and typed.
    pub inputs: serde_json::Map<String, serde_json::Value>,
    pub secrets: IndexMap<String, String>,
    pub vars: IndexMap<String, String>,
    /// Secrets and variables that only jobs deploying to an environment (`environment:`) see,
    /// on top of the repository-wide ones.
    pub environments: IndexMap<String, EnvironmentScope>,
    pub run_id: u64,
    pub run_number: u64,
    pub run_attempt: u32,
    /// Where the run's workspaces and temporary files go.
    pub work_dir: PathBuf,
    /// Run only this job (and nothing else).
    pub job_filter: Option<String>,
    /// Keep only matrix combinations with these `key:value` pairs.
    pub matrix_filter: Vec<(String, String)>,
    /// Top-level jobs not to run again: their result and outputs from an earlier attempt
    /// (`hoist runs rerun --failed`).
    pub reuse: IndexMap<String, (crate::events::Conclusion, IndexMap<String, String>)>,
    /// How many jobs may run at once.
    pub parallelism: usize,
    /// Grace period between SIGTERM and SIGKILL when a step times out or is cancelled.
    pub kill_grace: Duration,
    /// The action cache and where missing remote actions are fetched from.
    pub action_cache: Option<crate::action_cache::ActionCache>,
    /// Where `actions/cache` keeps its entries.
    pub cache_dir: PathBuf,
    /// Where artifacts of this run are stored.
    pub artifact_dir: PathBuf,
    pub debug: bool,
    /// This runner's labels. A job whose `runs-on` asks for a label not in the list fails
    /// instead of running on the wrong machine; an empty list accepts every job.
    pub runner_labels: Vec<String>,
    /// Labels mapped to this machine (`--runner-label windows-latest=host`): a job asking
    /// for them runs here even where they name another platform.
    pub mapped_labels: Vec<String>,
    /// What to do with jobs that need a container (`container:`, `services:`).
    pub container_mode: crate::placement::ContainerMode,
    /// Globs (relative to a job's workspace) of JUnit XML files whose counts a step reports
    /// when it modified them; `HOIST_JUNIT` in a step's environment adds more.
    pub junit: Vec<String>,
    /// Directories put first on every step's `PATH` (the `hoist` binary's own, so that a step
    /// can run `hoist check migrations` or `hoist scan secrets`).
    pub tool_paths: Vec<String>,
}
