//! What a server and a runner are configured with.

use std::path::PathBuf;
use std::sync::Arc;

/// What the rest of the process learns from the server: the pushes it saw (so GitOps can
/// reconcile at once instead of at its next look), and figures of its own for `/metrics`.
/// Both are called on the server's threads and must return quickly.
pub trait Observer: Send + Sync {
    /// A branch of repository `repo` moved to `sha` (a webhook or the server's poll).
    fn pushed(&self, repo: &str, branch: &str, sha: &str) {
        let _ = (repo, branch, sha);
    }

    /// More metrics in Prometheus' text format, appended to the server's own.
    fn metrics(&self) -> String {
        String::new()
    }
}

/// The server: where it listens, where it keeps its data, which repositories it serves.
#[derive(Clone)]
pub struct ServerConfig {
    /// `host:port`; port 0 takes a free one.
    pub listen: String,
    /// The history database, the admin token, the runners' directories.
    pub data_dir: PathBuf,
    pub repos: Vec<RepoConfig>,
    /// Runners started in the server's own process (`--runners`).
    pub runners: usize,
    /// The server's name, shown in its runners' names.
    pub name: String,
    /// How long a runner's claim on a job lasts without a renewal (runners renew every third
    /// of it); a job whose lease runs out goes to another runner. Servers sharing a database
    /// hold the runs they plan under the same lease.
    pub lease: std::time::Duration,
    /// The database: a PostgreSQL URL (or libpq `key=value` string), which several servers
    /// may share; `None`: an SQLite file in `data_dir`.
    pub database: Option<String>,
    /// The runner labels that exist besides the default ones ([`RunnerConfig::default_labels`]):
    /// a job asking for another fails at once, naming it, instead of waiting for a runner that
    /// will never come. `None`: any label may come, and such a job waits.
    pub labels: Option<Vec<String>>,
    /// Told about pushes, asked for metrics (the GitOps reconciler of `hoist serve`).
    pub observer: Option<Arc<dyn Observer>>,
    /// The `hoist` program that the git hooks of hosted repositories run (`hoist hook
    /// pre-receive`, `post-receive`); `None`: hosted repositories get no hooks, so pushes to
    /// them are neither checked against branch protection nor start runs.
    pub hook_program: Option<PathBuf>,
    /// The time schedules fire by; `None`: the system's clock.
    pub clock: Option<Arc<dyn crate::schedules::Clock>>,
    /// The keys secrets are sealed with; `None`: `<data dir>/secret-key`, created (mode
    /// 0600) on first start. Servers sharing a database must share the keys too.
    pub secret_key: Option<crate::vault::SecretKey>,
    /// How long a deployment waits for a review before its job fails; `None`: 30 days.
    pub review_timeout: Option<std::time::Duration>,
    /// The URL the server is reached at from outside (`https://ci.example.com`): the OIDC
    /// issuer's `iss`; `None`: `http://` and the address it listens on.
    pub public_url: Option<String>,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("repos", &self.repos)
            .field("runners", &self.runners)
            .field("name", &self.name)
            .field("lease", &self.lease)
            .field("database", &self.database.as_ref().map(|_| "(set)"))
            .field("labels", &self.labels)
            .field("observer", &self.observer.is_some())
            .field("hook_program", &self.hook_program)
            .field("clock", &self.clock.as_ref().map(|_| "(set)"))
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|k| match k {
                    crate::vault::SecretKey::File(path) => path.display().to_string(),
                    crate::vault::SecretKey::Text(_) => "(text)".to_owned(),
                }),
            )
            .finish()
    }
}

/// A repository the server runs workflows of.
#[derive(Clone, Debug, Default)]
pub struct RepoConfig {
    /// The name in API paths (`/api/v1/repos/{name}/...`).
    pub name: String,
    /// A local path: the workflows are read from it at the run's commit, and runners fetch
    /// the commit from it. For a repository given by `url`, the server's mirror of it (set
    /// when the server starts).
    pub path: PathBuf,
    /// A URL git fetches from (`https://…`, `file://…`, `git@host:path`): the server keeps a
    /// bare mirror of it under its data directory (`mirrors/<name>.git`), fetched before a
    /// dispatch or a poll reads it, and runners fetch the run's commit from the URL.
    pub url: Option<String>,
    /// The repository's name on its forge (`acme/platform`), which webhook deliveries carry
    /// as `repository.full_name`; else deliveries are matched by `name`.
    pub forge_name: Option<String>,
    /// The secret webhook deliveries are signed with (`X-Hub-Signature-256`); when set,
    /// unsigned or badly signed deliveries are refused.
    pub webhook_secret: Option<String>,
    /// The branch a dispatch without `ref` runs on; else the repository's current branch.
    pub default_branch: Option<String>,
    /// Look for new commits on its branches this often and start their `push` runs (for a
    /// repository that sends no webhooks); `None`: never.
    pub poll: Option<std::time::Duration>,
    /// Protected branches and the checks each requires (`hoist repo protect` adds to them).
    pub protections: Vec<hoist_store::Protection>,
    /// Hosted by the server (`hoist repo create`): a bare repository under its data
    /// directory, served at `/git/NAME.git`, whose hooks hand every push to the server.
    pub hosted: bool,
    /// Where the statuses of its commits are posted (a forge's API base URL, GitHub's or
    /// Gitea's shape), with this token.
    pub status_api: Option<String>,
    pub status_token: Option<String>,
    /// Environments with their protection rules (`[server.repos.NAME.environments.ENV]`),
    /// written to the store at start; what `hoist env protect` set wins.
    pub environments: Vec<(String, hoist_store::EnvironmentSettings)>,
    /// The claims the subject of its jobs' OIDC tokens is made of (GitHub's customisation:
    /// `["repo", "context", "job_workflow_ref"]`); `None`: GitHub's default.
    pub oidc_subject_claims: Option<Vec<String>>,
}

/// A runner: which server, with which credential, taking which jobs.
#[derive(Clone, Debug)]
pub struct RunnerConfig {
    /// `http://host:port`.
    pub server: String,
    pub token: String,
    /// Unique among the server's runners; shown per job.
    pub name: String,
    /// A job is taken only if its `runs-on` labels are all here.
    pub labels: Vec<String>,
    /// Jobs run at once.
    pub capacity: usize,
    /// Workspaces, caches and checkouts, and the runner's credential (`credential`).
    pub data_dir: PathBuf,
    /// Whether `token` is to be traded for the runner's own credential on first start (a
    /// registration token); `false` for runners inside the server, which use its admin token.
    pub register: bool,
}

impl RunnerConfig {
    /// What a runner on this machine answers to by default: GitHub's self-hosted labels and
    /// the Ubuntu images Hoist runs natively.
    pub fn default_labels() -> Vec<String> {
        [
            "self-hosted",
            "linux",
            "x64",
            "ubuntu-latest",
            "ubuntu-24.04",
            "ubuntu-22.04",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect()
    }
}
