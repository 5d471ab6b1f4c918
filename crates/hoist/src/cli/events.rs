//! `hoist repo`, `hoist pr`, `hoist status` and `hoist hooks`: the repositories a server
//! hosts or watches, their pull requests, the checks of their commits, and the events that
//! reach the server.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::ServerFlags;

#[derive(Debug, Subcommand)]
pub(crate) enum HooksCommand {
    /// Deliveries, newest first: accepted (with the runs they started), ignored (a redelivery,
    /// or an event that starts nothing) or rejected (with the reason).
    Deliveries {
        /// Only the rejected ones.
        #[arg(long)]
        failed: bool,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerFlags,
    },
    /// Act on a delivery again, as it came (its signature checked against today's secret):
    /// after fixing the secret or the repository that made it fail.
    Redeliver {
        /// The delivery id (from `hoist hooks deliveries`).
        id: String,
        #[command(flatten)]
        server: ServerFlags,
    },
}

/// The repository a remote command is about.
#[derive(Debug, Args, Clone)]
pub(crate) struct RepoFlag {
    /// The repository's name on the server.
    #[arg(long, short = 'R', env = "HOIST_REPO", value_name = "NAME")]
    pub(crate) repo: String,
}

#[derive(Debug, Subcommand)]
#[command(
    after_help = "A hosted repository is served at `<server>/git/NAME.git`: clone and push with any user name and a token as the password. Pushes start `push` runs; `git push -o pr` (or `-o pr=BASE`) also opens a pull request."
)]
pub(crate) enum RepoCommand {
    /// Create a repository hosted by the server (a bare repository in its data directory).
    Create {
        name: String,
        /// The branch runs and pull requests default to.
        #[arg(long, default_value = "main", value_name = "BRANCH")]
        default_branch: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerFlags,
    },
    /// List the server's repositories: hosted, configured, and how to clone them.
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerFlags,
    },
    /// Change a repository's settings (what is set here wins over the server's config).
    Set {
        name: String,
        /// A file holding the secret its webhook deliveries are signed with (empty: none).
        #[arg(long, value_name = "FILE")]
        webhook_secret_file: Option<PathBuf>,
        /// Its name on its forge (`acme/platform`), as webhooks carry it.
        #[arg(long, value_name = "OWNER/NAME")]
        forge_name: Option<String>,
        #[arg(long, value_name = "BRANCH")]
        default_branch: Option<String>,
        /// Post commit statuses to this forge API base (`https://api.github.com`, Gitea's
        /// `https://HOST/api/v1`), to the repository named by `--forge-name`.
        #[arg(long, value_name = "URL")]
        status_api: Option<String>,
        /// A file holding the token for `--status-api`.
        #[arg(long, value_name = "FILE")]
        status_token_file: Option<PathBuf>,
        #[command(flatten)]
        server: ServerFlags,
    },
    /// Protect a branch: a push or merge must have every required check green first.
    Protect {
        name: String,
        /// A branch name or a pattern with `*` (`release/*`).
        branch: String,
        /// A check it requires, as GitHub names it: `Workflow / job`; `*` matches any text
        /// (`CI / Test (*)` for every matrix leg). Repeatable.
        #[arg(long = "require", value_name = "CHECK")]
        require: Vec<String>,
        #[command(flatten)]
        server: ServerFlags,
    },
    /// Lift a branch's protection.
    Unprotect {
        name: String,
        branch: String,
        #[command(flatten)]
        server: ServerFlags,
    },
    /// Send a `repository_dispatch` event: runs the default branch's workflows whose
    /// `types` name EVENT_TYPE.
    Dispatch {
        name: String,
        event_type: String,
        /// `client_payload`, a JSON object.
        #[arg(long, value_name = "JSON")]
        payload: Option<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerFlags,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum PrCommand {
    /// Open a pull request of HEAD into BASE; its `pull_request` runs start at once.
    Open {
        #[command(flatten)]
        repo: RepoFlag,
        /// The branch with the changes.
        #[arg(long, value_name = "BRANCH")]
        head: String,
        /// The branch to merge into [default: the repository's default branch].
        #[arg(long, value_name = "BRANCH")]
        base: Option<String>,
        /// [default: the head commit's subject]
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerFlags,
    },
    /// List pull requests.
    List {
        #[command(flatten)]
        repo: RepoFlag,
        #[arg(long, value_enum, default_value_t = PrState::Open)]
        state: PrState,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerFlags,
    },
    /// Show a pull request, its checks and what blocks its merge.
    View {
        number: i64,
        #[command(flatten)]
        repo: RepoFlag,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerFlags,
    },
    /// Merge a pull request with a merge commit, once the checks its base requires are green.
    #[command(
        after_help = "Exit codes: 0 merged, 1 refused (checks not green, conflicts), 2 usage or server error."
    )]
    Merge {
        number: i64,
        #[command(flatten)]
        repo: RepoFlag,
        #[command(flatten)]
        server: ServerFlags,
    },
    /// Close a pull request without merging it.
    Close {
        number: i64,
        #[command(flatten)]
        repo: RepoFlag,
        #[command(flatten)]
        server: ServerFlags,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum PrState {
    Open,
    Closed,
    Merged,
    All,
}

impl PrState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PrState::Open => "open",
            PrState::Closed => "closed",
            PrState::Merged => "merged",
            PrState::All => "all",
        }
    }
}

/// `hoist status REF`: a commit's checks, as GitHub's combined status.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes: 0 every check green, 1 a check failed or (without --wait) is still pending, 2 usage or server error."
)]
pub(crate) struct StatusArgs {
    /// A commit SHA, a branch or a tag.
    pub(crate) reference: String,
    #[command(flatten)]
    pub(crate) repo: RepoFlag,
    /// Wait until no check is pending.
    #[arg(long)]
    pub(crate) wait: bool,
    /// Give up waiting after this many seconds.
    #[arg(long, default_value_t = 600, value_name = "SECONDS")]
    pub(crate) timeout: u64,
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) server: ServerFlags,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum GitHook {
    PreReceive,
    PostReceive,
}
