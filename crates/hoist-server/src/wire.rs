//! The bodies of the HTTP API, shared by the server's routes and the client.

use hoist_events::{JobOutcome, JobRequest, RunEvent};
use serde::{Deserialize, Serialize};

/// `POST /api/v1/repos/{repo}/actions/workflows/{file}/dispatches`, GitHub's shape.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatchRequest {
    /// A branch, tag or commit; the repository's default branch when absent.
    #[serde(rename = "ref", default)]
    pub git_ref: Option<String>,
    #[serde(default)]
    pub inputs: serde_json::Map<String, serde_json::Value>,
}

/// The answer to a dispatch, as GitHub gives it with `return_run_details`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DispatchResponse {
    pub workflow_run_id: i64,
    pub run_url: String,
    pub html_url: String,
}

/// `GET /api/v1/runs/{id}`: a run with its jobs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunView {
    pub id: i64,
    pub number: i64,
    pub workflow_path: String,
    pub event: String,
    pub sha: String,
    pub git_ref: String,
    /// `queued`, `in_progress`, `completed`.
    pub status: String,
    pub conclusion: Option<String>,
    pub jobs: Vec<JobView>,
    /// The concurrency groups the run and its jobs joined, and where each stands.
    #[serde(default)]
    pub concurrency: Vec<GroupView>,
    /// The deployments of this attempt's jobs that target environments, with their history
    /// and reviews.
    #[serde(default)]
    pub deployments: Vec<hoist_store::DeploymentRow>,
}

/// A run's or job's place in its concurrency group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupView {
    pub group: String,
    /// The job's key; `None` for the run's own group.
    pub job: Option<String>,
    /// `running`, `pending`, `cancelled` or `left`.
    pub state: String,
    /// Why it was cancelled.
    pub reason: Option<String>,
}

impl GroupView {
    pub fn of(members: Vec<hoist_store::GroupMember>) -> Vec<GroupView> {
        use hoist_store::GroupState;
        members
            .into_iter()
            .map(|m| {
                let (state, reason) = match m.state {
                    GroupState::Running => ("running", None),
                    GroupState::Pending => ("pending", None),
                    GroupState::Cancelled { reason } => ("cancelled", Some(reason)),
                    GroupState::Left => ("left", None),
                };
                GroupView {
                    group: m.group,
                    job: Some(m.job_key).filter(|k| !k.is_empty()),
                    state: state.to_owned(),
                    reason,
                }
            })
            .collect()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobView {
    pub key: String,
    pub name: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub outputs: serde_json::Value,
    /// The runner that ran it last (for queued jobs), and how many times it was claimed.
    pub runner: Option<String>,
    pub attempts: u32,
}

/// `POST /api/v1/runners/claim`: a runner asks for work.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ClaimRequest {
    pub(crate) runner: String,
    pub(crate) labels: Vec<String>,
}

/// A job given to a runner.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Assignment {
    pub(crate) id: i64,
    pub(crate) attempt: u32,
    /// The lease the runner holds; it renews every third of it.
    pub(crate) lease_ms: u64,
    pub(crate) request: JobRequest,
}

/// `POST /api/v1/jobs/{id}/renew`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct RenewRequest {
    pub(crate) runner: String,
    /// How long the answer may wait for a cancellation of the job (a long poll, so that a
    /// runner hears a cancel at once rather than at its next renewal); 0 answers at once.
    /// The server waits at most half a lease.
    #[serde(default)]
    pub(crate) wait_ms: u64,
}

/// The answer to a renewal when the job is to stop: its run was cancelled.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct RenewAnswer {
    pub(crate) cancel: bool,
}

/// `POST /api/v1/jobs/{id}/events`: numbered events, so that a report sent twice is
/// recorded once.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct EventsReport {
    pub(crate) runner: String,
    pub(crate) attempt: u32,
    /// `(sequence number from 1, event)`, in order.
    pub(crate) events: Vec<(u64, RunEvent)>,
}

/// `POST /api/v1/jobs/{id}/finish`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct FinishReport {
    pub(crate) runner: String,
    pub(crate) outcome: JobOutcome,
}

/// The body of every error answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ErrorBody {
    pub(crate) message: String,
}

/// `POST /api/v1/tokens`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// Whose token: a person's name, or what a runner registration token is for.
    pub name: String,
    /// `viewer`, `developer`, `approver`, `admin`, or `runner` (a registration token, which
    /// runners trade for their own credential).
    pub role: String,
    /// Only these repositories (a role's token, not an admin's); none: all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repos: Option<Vec<String>>,
}

/// `POST /api/v1/runners/register`: a runner's name, to get its own credential.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegisterRequest {
    pub(crate) name: String,
}

/// A runner's new credential: shown once. `None` when the token the runner presented is
/// already its credential.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunnerCredential {
    pub name: String,
    pub token: Option<String>,
}

/// A token just created: the only time it is shown.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewToken {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub token: String,
}

/// `GET /api/v1/audit?repo=&since=&limit=`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AuditQuery {
    pub repo: Option<String>,
    /// Milliseconds since the epoch.
    pub since: Option<i64>,
    pub limit: Option<usize>,
}

/// `GET /api/v1/runs?workflow=&status=&branch=&event=&sha=&limit=`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RunQuery {
    pub workflow: Option<String>,
    pub status: Option<String>,
    pub branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,
    pub limit: Option<usize>,
}

/// `GET /api/v1/runs/{id}/record`: everything `hoist runs view` shows of a run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunRecord {
    pub run: hoist_store::RunRow,
    pub jobs: Vec<hoist_store::JobRow>,
    pub annotations: Vec<hoist_store::AnnotationRow>,
    pub artifacts: Vec<hoist_store::ArtifactRow>,
    pub objects: Option<hoist_store::RunObjects>,
    /// The concurrency groups the run and its jobs joined.
    #[serde(default)]
    pub concurrency: Vec<GroupView>,
    /// This attempt's deployments to environments, with history and reviews.
    #[serde(default)]
    pub deployments: Vec<hoist_store::DeploymentRow>,
}

/// One part of a job's log: a step's (by index) or the job's own lines.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LogPart {
    pub step: Option<i64>,
    pub text: String,
}

/// One ref a push updates, as git's hooks read it: `old new name`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefUpdate {
    pub old: String,
    pub new: String,
    pub name: String,
}

/// `POST /api/v1/repos/{repo}/git/pre-receive` and `…/post-receive`: what a hosted
/// repository's hook reports of a push.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct HookReport {
    pub updates: Vec<RefUpdate>,
    /// Who pushed: the user of the token the push was made with, else the local user.
    pub pusher: String,
    /// `git push -o` options.
    #[serde(default)]
    pub options: Vec<String>,
}

/// The server's answer to a hook: whether the push may land (pre-receive), and what to
/// tell the pusher.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct HookAnswer {
    pub allowed: bool,
    pub messages: Vec<String>,
    /// The runs the push started (post-receive).
    #[serde(default)]
    pub runs: Vec<i64>,
}

/// A repository as the API shows it (secrets only as whether they are set).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RepoView {
    pub name: String,
    pub hosted: bool,
    /// Where git clones it from: the server's smart HTTP URL for hosted repositories, else
    /// the configured path or URL.
    pub clone_url: String,
    pub default_branch: Option<String>,
    pub forge_name: Option<String>,
    pub webhook_secret: bool,
    pub protections: Vec<hoist_store::Protection>,
    pub status_api: Option<String>,
}

/// A pull request with its checks (those of its head) and the runs an action started.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PullView {
    #[serde(flatten)]
    pub pull: hoist_store::PullRow,
    pub mergeable: bool,
    /// The combined state of its head's checks.
    pub checks_state: String,
    pub checks: Vec<crate::statuses::CommitStatus>,
    /// The required checks of its base that are not green yet.
    pub blocking: Vec<String>,
    #[serde(default)]
    pub runs: Vec<i64>,
}

/// `GET …/commits/{ref}/status`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CombinedStatus {
    pub state: String,
    pub sha: String,
    pub total_count: usize,
    pub statuses: Vec<crate::statuses::CommitStatus>,
}

/// `GET /api/v1/secrets?repo=&environment=` and `DELETE /api/v1/secrets/{name}?…`: a
/// secret's scope. No `repo`: the organisation's secrets, which every repository sees.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SecretScope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

/// `PUT /api/v1/secrets/{name}`: sets a secret of the scope to `value`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SecretWrite {
    #[serde(flatten)]
    pub scope: SecretScope,
    pub value: String,
}

/// A secret as the API lists it: its name and scope, never its value.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SecretView {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Milliseconds since the epoch.
    pub updated_at: i64,
    pub updated_by: String,
}

/// `POST /api/v1/runs/{id}/pending_deployments`, GitHub's body: the environments (by id, or
/// by name, which Hoist also takes), `approved` or `rejected`, and a comment.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ReviewRequest {
    #[serde(default)]
    pub environment_ids: Vec<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
    pub state: String,
    #[serde(default)]
    pub comment: String,
}

/// One entry of `GET /api/v1/runs/{id}/pending_deployments`, in GitHub's shape.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingDeployment {
    pub environment: EnvironmentRef,
    /// Minutes.
    pub wait_timer: u32,
    /// When the job reached the environment (ms since the epoch).
    pub wait_timer_started_at: i64,
    pub current_user_can_approve: bool,
    pub reviewers: Vec<Reviewer>,
}

/// An environment by id and name.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EnvironmentRef {
    pub id: i64,
    pub name: String,
}

/// A required reviewer: `User` (a token's user) or `Role` (everyone with that role or a
/// greater one).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Reviewer {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
}
