//! A job instance as the planner hands it to whoever runs it: the same process (`hoist run`)
//! or a runner on another machine (`hoist serve`). Self-contained: with it and its own
//! machine (workspace, caches, executor), a runner needs nothing else from the run.

use serde::{Deserialize, Serialize};

use crate::{Conclusion, JobKey, WIRE_VERSION};

/// A workflow file, as read at the run's commit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowFile {
    /// Path relative to the repository root: `.github/workflows/ci.yml`.
    pub path: String,
    pub text: String,
}

/// The event that started the run, and the repository state it refers to.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventInfo {
    pub name: String,
    /// The webhook-like payload: `github.event` and the file at `GITHUB_EVENT_PATH`.
    pub payload: serde_json::Value,
    pub sha: String,
    /// `refs/heads/main`, `refs/tags/v1`, `refs/pull/1/merge`.
    pub git_ref: String,
    pub base_ref: String,
    pub head_ref: String,
    pub actor: String,
    /// `owner/name`.
    pub repository: String,
}

/// One job instance to run, with everything the run decided for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobRequest {
    /// [`WIRE_VERSION`] of the planner that wrote it; a runner refuses a newer one.
    pub version: u32,
    pub run_id: u64,
    pub run_number: u64,
    pub run_attempt: u32,
    /// The run's own workflow file (`GITHUB_WORKFLOW_REF` names it).
    pub run_workflow_path: String,
    /// The workflow that defines the job: the run's own, or the reusable workflow that a job
    /// calls.
    pub workflow: WorkflowFile,
    /// The job's id in that workflow.
    pub job_id: String,
    /// The labels of its `runs-on`, evaluated: a runner takes the job only if it has them all.
    pub runs_on: Vec<String>,
    pub key: JobKey,
    pub event: EventInfo,
    /// The contexts the job starts with (`github`, `needs`, `matrix`, `strategy`, `inputs`,
    /// `secrets`, `vars`, ...), as JSON; the job adds `env`, `job`, `runner` and `steps`.
    pub contexts: serde_json::Value,
    /// The workflow's `env:`, already evaluated.
    pub workflow_env: Vec<(String, String)>,
    /// Values masked in everything the job reports: the secrets it can see.
    pub masked: Vec<String>,
    pub debug: bool,
    /// Where a runner on another machine gets the source that `actions/checkout` puts in the
    /// workspace; `None` when the runner's own machine has it (`hoist run`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout: Option<Checkout>,
    /// The job's `concurrency:`, evaluated: the planner's placement keeps the job out of the
    /// queue until its group lets it run. A runner does nothing with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<ConcurrencyClaim>,
    /// The job's `environment:` name, evaluated: the planner's placement holds the job until
    /// the environment's protection rules let it deploy. A runner does nothing with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Whether the job's `permissions` grant `id-token: write`: only then may it ask the
    /// server for OIDC tokens.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub id_token_permission: bool,
    /// Where and with what the job asks for OIDC tokens
    /// (`ACTIONS_ID_TOKEN_REQUEST_URL`/`_TOKEN`), given by the server at the claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<IdTokenGrant>,
}

/// What a job asks for OIDC tokens with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenGrant {
    /// `ACTIONS_ID_TOKEN_REQUEST_URL`: tools append `&audience=…`.
    pub url: String,
    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, the bearer token of that request; masked.
    pub token: String,
}

/// A `concurrency:` of a workflow or job, evaluated for one run or job instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConcurrencyClaim {
    /// The group's name; groups are per repository.
    pub group: String,
    /// Whether joining cancels the group's running member.
    pub cancel_in_progress: bool,
}

/// What became of a member that asked to join its concurrency group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Its turn: it runs now.
    Go,
    /// It will not run: a newer member replaced it while it waited, or it was cancelled.
    Cancelled { reason: String },
}

/// A commit of a repository, for a runner to check out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkout {
    /// What `git` can fetch from: a path on the runner's machine or a URL.
    pub repository: String,
    /// The commit.
    pub sha: String,
    /// The project's directory inside the repository (`examples/platform`), `""` for the
    /// root: what the job's workspace holds.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subdir: String,
}

impl JobRequest {
    /// Whether a reader of this crate's version can take the request.
    pub fn is_supported(&self) -> bool {
        self.version <= WIRE_VERSION
    }
}

/// How a job instance ended: what the planner needs to go on (`needs.<id>.result` and
/// `.outputs`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobOutcome {
    pub result: Conclusion,
    pub outputs: Vec<(String, String)>,
    /// Why the job failed when no runner could say (it was lost, its request unreadable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The job's `environment.url`, evaluated as it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_url: Option<String>,
}
