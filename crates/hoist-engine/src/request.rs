//! What a run needs to know before it starts.

use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;

pub use hoist_events::{EventInfo, WorkflowFile};

/// The files `actions/checkout` puts in a job's workspace.
#[derive(Clone, Debug, Default)]
pub struct Source {
    /// Directory the files are copied from.
    pub root: PathBuf,
    /// Paths relative to `root`.
    pub files: Vec<PathBuf>,
    /// The repository's git directory, for `fetch-depth: 0` and `ref:`; `None` outside git.
    pub git_dir: Option<PathBuf>,
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
