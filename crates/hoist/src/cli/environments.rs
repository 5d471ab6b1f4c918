//! `hoist env` and `hoist deployments`: a server's environments, their protection rules,
//! and the deployments jobs make to them.

use clap::{Args, Subcommand};

use super::ServerFlags;

#[derive(Debug, Subcommand)]
#[command(
    after_help = "A job with `environment: NAME` waits until the environment's rules pass: its branch policy, one approval by a reviewer (`hoist runs approve RUN --env NAME`), and its wait timer. The environment's secrets and variables reach the job only then."
)]
pub(crate) enum EnvCommand {
    /// Set an environment's protection rules (replacing the ones it had); created when
    /// missing. What is set here wins over the server's configuration.
    Protect {
        /// The repository.
        repo: String,
        /// The environment (case-insensitive).
        env: String,
        /// A user (a token's name) or `role:ROLE` (that role or a greater one) who may
        /// approve; repeatable, at most 6; one approval suffices.
        #[arg(long = "reviewer", value_name = "USER|role:ROLE")]
        reviewers: Vec<String>,
        /// The person who triggered a run may not approve it.
        #[arg(long)]
        prevent_self_review: bool,
        /// Minutes a job waits before it may deploy.
        #[arg(long, value_name = "MINUTES", default_value_t = 0)]
        wait_timer: u32,
        /// Only branches matching this pattern may deploy (`main`, `release/*`); repeatable.
        #[arg(long = "branch", value_name = "PATTERN")]
        branches: Vec<String>,
        /// Tags matching this pattern may deploy (`v*`); repeatable.
        #[arg(long = "tag", value_name = "PATTERN")]
        tags: Vec<String>,
        /// Only protected branches (`hoist repo protect`) may deploy.
        #[arg(long, conflicts_with = "branches")]
        protected_branches: bool,
        /// A variable of the environment (`vars.NAME` in its jobs); repeatable. Without
        /// any, the environment keeps the variables it has.
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerFlags,
    },
    /// List a repository's environments and their rules.
    List {
        repo: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerFlags,
    },
}

#[derive(Debug, Args)]
pub(crate) struct DeploymentsArgs {
    /// Only this repository's.
    #[arg(long, short = 'R', value_name = "NAME")]
    pub(crate) repo: Option<String>,
    /// Only this environment's.
    #[arg(long = "env", value_name = "ENVIRONMENT")]
    pub(crate) environment: Option<String>,
    /// At most this many, newest first.
    #[arg(long, short = 'L', default_value_t = 20)]
    pub(crate) limit: usize,
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) server: ServerFlags,
}
