//! `hoist serve`, `hoist runner`, `hoist token`, `hoist audit` and `hoist workflow`: running
//! the CI server and its runners, and the commands that talk to a server.

use std::path::PathBuf;

use clap::Subcommand;

/// Which server, with which token.
#[derive(Debug, clap::Args)]
pub(crate) struct ServerFlags {
    /// The server (default: `http://127.0.0.1:7420`).
    #[arg(long, env = "HOIST_SERVER", value_name = "URL")]
    pub(crate) server: Option<String>,
    /// The token (default: the local server's admin token).
    #[arg(
        long,
        env = "HOIST_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub(crate) token: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Create a token for a person (with a role), or a registration token for runners;
    /// prints it once.
    Create {
        /// Whose token it is: the user that reviews and the audit log name (for a
        /// registration token: what it is for).
        #[arg(long, visible_alias = "user", value_name = "NAME")]
        name: String,
        /// `viewer` < `developer` (dispatch, rerun, cancel) < `approver` < `admin`; or
        /// `runner` for a registration token, which `hoist runner --token` trades for the
        /// runner's own credential on its first start.
        #[arg(long, value_name = "ROLE")]
        role: String,
        /// Limit the token to this repository (repeatable); without it, all repositories.
        /// Not for `admin` or `runner` tokens.
        #[arg(long = "repo", value_name = "NAME")]
        repos: Vec<String>,
        #[command(flatten)]
        server: ServerFlags,
        /// Print the answer as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List tokens (never their secrets).
    List {
        #[command(flatten)]
        server: ServerFlags,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by id.
    Revoke {
        id: i64,
        #[command(flatten)]
        server: ServerFlags,
    },
}

#[derive(Debug, clap::Args)]
pub(crate) struct AuditArgs {
    /// Only entries about this repository.
    #[arg(long, value_name = "NAME")]
    pub(crate) repo: Option<String>,
    /// Only entries this recent: `30m`, `24h`, `7d`.
    #[arg(long, value_name = "AGE")]
    pub(crate) since: Option<String>,
    /// At most this many entries.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub(crate) limit: usize,
    #[command(flatten)]
    pub(crate) server: ServerFlags,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "The admin token is created on first start in `<data dir>/admin-token` \
    (mode 0600); the CLI on the same machine reads it when `HOIST_TOKEN` is unset."
)]
pub(crate) struct ServeArgs {
    /// The configuration file with a `[server]` section [default: hoist.toml here].
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Address to listen on (port 0 takes a free one) [default: `[server] listen`, else
    /// 127.0.0.1:7420].
    #[arg(long, value_name = "ADDR")]
    pub(crate) listen: Option<String>,
    /// A repository to serve: a path (its name is the directory's name), or a URL git
    /// fetches from, which the server mirrors in its data directory (its name is the URL's
    /// last segment without `.git`). Repeatable.
    #[arg(long = "repo", value_name = "PATH")]
    pub(crate) repos: Vec<PathBuf>,
    /// Also keep this project's GitOps applications reconciled (as `hoist app watch` does
    /// there): woken at once by pushes the server sees, figures in `/metrics`.
    #[arg(long = "apps", value_name = "PROJECT")]
    pub(crate) apps: Option<PathBuf>,
    /// For the `--repo`s: look for new commits on their branches every SECONDS and start
    /// their `push` runs (for repositories that send no webhooks).
    #[arg(long, value_name = "SECONDS")]
    pub(crate) poll: Option<f64>,
    /// Runners in the server's own process; 0 for a server that only plans [default:
    /// `[server] runners`, else 1].
    #[arg(long, value_name = "N")]
    pub(crate) runners: Option<usize>,
    /// How long a runner's claim on a job lasts without renewal, in seconds; a job whose
    /// runner stops renewing goes to another runner once, then fails as "runner lost"
    /// [default: `[server] lease-seconds`, else 30].
    #[arg(long, value_name = "SECONDS")]
    pub(crate) lease: Option<f64>,
    /// Where the server keeps its history and token (default: `server/` in Hoist's data
    /// directory).
    #[arg(long, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// The database: `postgres://user:password@host:port/db` (or a libpq `key=value`
    /// string) for a PostgreSQL database that several servers may share, each with its own
    /// `--data-dir` [default: `[server] database`, else an SQLite file in the data
    /// directory].
    #[arg(
        long,
        env = "HOIST_DATABASE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub(crate) database: Option<String>,
    /// The file of keys secrets are sealed with (mode 0600; servers sharing a database
    /// share it) [default: `[server] secret-key-file`, else `secret-key` in the data
    /// directory, created on first start]. `HOIST_SECRET_KEY` may hold the keys instead.
    #[arg(long, value_name = "FILE")]
    pub(crate) secret_key_file: Option<PathBuf>,
    /// The URL this server is reached at from outside (`https://ci.example.com`): the
    /// issuer of its jobs' OIDC tokens [default: `[server] public-url`, else http:// and
    /// the address it listens on].
    #[arg(long, value_name = "URL")]
    pub(crate) public_url: Option<String>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct RunnerArgs {
    /// The server, `http://host:port`.
    #[arg(long, env = "HOIST_SERVER", value_name = "URL")]
    pub(crate) server: String,
    /// A registration token (`hoist token create --role runner`) or the admin token, traded
    /// on the first start for the runner's own credential, which is kept in its data
    /// directory (`credential`, mode 0600) and used from then on; or that credential.
    #[arg(
        long,
        env = "HOIST_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub(crate) token: String,
    /// Labels this runner answers to, comma-separated (default: self-hosted, linux, x64 and
    /// the Ubuntu images Hoist runs natively).
    #[arg(long, value_delimiter = ',', value_name = "LABELS")]
    pub(crate) labels: Vec<String>,
    /// Jobs run at once.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub(crate) capacity: usize,
    /// The runner's name, unique among the server's runners (default: the host name).
    #[arg(long, value_name = "NAME")]
    pub(crate) name: Option<String>,
    /// Workspaces and checkouts (default: `runner/<name>/` in Hoist's data directory).
    #[arg(long, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum WorkflowCommand {
    /// Dispatch a workflow (`workflow_dispatch`) on a server and print its run's id and URL.
    Run(WorkflowRunArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct WorkflowRunArgs {
    /// The workflow file (`ci-remote.yml`, or its path in the repository).
    pub(crate) workflow: String,
    /// An input, `NAME=VALUE`. Repeatable.
    #[arg(short = 'f', long = "field", value_name = "NAME=VALUE")]
    pub(crate) fields: Vec<String>,
    /// The branch, tag or commit to run (default: the repository's default branch).
    #[arg(long = "ref", value_name = "REF")]
    pub(crate) git_ref: Option<String>,
    /// The repository, by its name on the server (default: the current directory's name).
    #[arg(long, value_name = "NAME")]
    pub(crate) repo: Option<String>,
    #[command(flatten)]
    pub(crate) server: ServerFlags,
    /// Follow the run until it ends; exit 1 unless it succeeded.
    #[arg(long)]
    pub(crate) watch: bool,
    /// Print the answer (and, with `--watch`, the finished run) as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}
