//! The command line, declared with clap's derive API.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

mod app;
mod environments;
mod events;
mod secrets;
mod server;

pub(crate) use app::{
    AppCommand, AppDeleteArgs, AppDiffArgs, AppGetArgs, AppHistoryArgs, AppListArgs,
    AppManifestsArgs, AppResourcesArgs, AppRollbackArgs, AppSourceArgs, AppSyncArgs, AppWaitArgs,
    AppWatchArgs, GetFormat, ListFormat,
};
pub(crate) use environments::{DeploymentsArgs, EnvCommand};
pub(crate) use events::{GitHook, HooksCommand, PrCommand, RepoCommand, StatusArgs};
pub(crate) use secrets::{OidcCommand, SecretCommand, SecretScopeFlags};
pub(crate) use server::{
    AuditArgs, RunnerArgs, ServeArgs, ServerFlags, TokenCommand, WorkflowCommand, WorkflowRunArgs,
};

#[derive(Debug, Parser)]
#[command(
    name = "hoist",
    version,
    about = "Self-hosted CI/CD in one binary: runs GitHub Actions workflows, gates and delivery.",
    after_help = "Exit codes: 0 ok, 1 the checked thing failed, 2 usage or tool error."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Validate workflow files and report every problem with its line and column.
    Check(CheckArgs),
    /// Evaluate one `${{ }}` expression against contexts given as JSON.
    Expr(ExprArgs),
    /// Run the workflows an event triggers, on this machine.
    Run(RunArgs),
    /// Show and rerun past runs.
    Runs(RunsArgs),
    /// Pipeline metrics: summaries of recorded runs, and their upload to object storage.
    Metrics(MetricsArgs),
    /// The action cache: fetch the remote actions of workflows, import one, list them.
    #[command(subcommand)]
    Actions(ActionsCommand),
    /// Quality gates that scan the code: `hoist scan secrets`.
    #[command(subcommand)]
    Scan(ScanCommand),
    /// Run the CI server: it plans dispatched runs and queues their jobs for runners.
    Serve(ServeArgs),
    /// Run jobs of a server on this machine.
    Runner(RunnerArgs),
    /// Start workflows on a server (`workflow_dispatch`).
    #[command(subcommand)]
    Workflow(WorkflowCommand),
    /// API tokens of a server: create (shown once), list, revoke.
    #[command(subcommand)]
    Token(TokenCommand),
    /// A server's audit log: every dispatch and every change of tokens, newest first.
    Audit(AuditArgs),
    /// A server's secrets: set (from stdin), list (names only), delete, rotate the key.
    #[command(subcommand)]
    Secret(SecretCommand),
    /// A server's environments: protection rules (reviewers, wait timer, branches), variables.
    #[command(subcommand)]
    Env(EnvCommand),
    /// Deployments to a server's environments, newest first, with their reviews.
    Deployments(DeploymentsArgs),
    /// A server's OIDC issuer, which gives jobs tokens for clouds: rotate its signing key.
    #[command(subcommand)]
    Oidc(OidcCommand),
    /// A server's webhooks: the deliveries it received and what became of each.
    #[command(subcommand)]
    Hooks(HooksCommand),
    /// A server's repositories: create hosted ones, protect branches, send dispatches.
    #[command(subcommand)]
    Repo(RepoCommand),
    /// Pull requests of a server's repositories: open, list, view, merge, close.
    #[command(subcommand)]
    Pr(PrCommand),
    /// The checks of a commit (GitHub's combined status).
    Status(StatusArgs),
    /// What a hosted repository's git hooks run (written by `hoist serve`).
    #[command(hide = true)]
    Hook {
        #[arg(value_enum)]
        hook: GitHook,
    },
    /// Rewrite files into their canonical layout: `hoist fmt terraform`.
    #[command(subcommand)]
    Fmt(FmtCommand),
    /// Plan, approve and apply Terraform per environment around your own terraform, with a
    /// lock per environment and the plan kept in object storage.
    #[command(subcommand)]
    Terraform(TerraformCommand),
    /// GitOps delivery: render applications (Argo CD's manifests) from Git and sync them to
    /// Kubernetes.
    #[command(subcommand)]
    App(AppCommand),
}

#[derive(Debug, Subcommand)]
#[command(
    after_help = "State lives in the configuration's own backend; Hoist keeps the lock, the saved plan and approvals under `terraform/<env>/` in its object storage (`[storage]` of hoist.toml).\n\nExit codes: 0 done, 1 terraform failed or the plan was refused, 2 usage error, locked environment or unreachable storage."
)]
pub(crate) enum TerraformCommand {
    /// Lock the environment and save a plan of it (with its checksum and the state it was
    /// made from); prints what it changes.
    Plan(TerraformFlowArgs),
    /// Apply the environment's saved plan: refused if it was altered, if the state moved
    /// since, or (environments that need it) if nobody approved it; then unlock.
    Apply(TerraformApplyArgs),
    /// Approve the environment's saved plan for `apply`.
    Approve {
        #[arg(long = "env", value_name = "ENV")]
        env: String,
        /// What the approver says.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Remove the environment's lock (and saved plan), for a pipeline that died between plan
    /// and apply.
    Unlock {
        #[arg(long = "env", value_name = "ENV")]
        env: String,
        /// Why; kept in the audit records.
        #[arg(long)]
        reason: String,
    },
    /// Show the environment's lock, saved plan and approval.
    Status {
        #[arg(long = "env", value_name = "ENV")]
        env: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Args)]
pub(crate) struct TerraformApplyArgs {
    #[command(flatten)]
    pub(crate) flow: TerraformFlowArgs,
    /// Approve the saved plan here, if its SHA-256 is this (as `plan` printed it): for an
    /// approval given outside Hoist (a reviewed pull request, a change ticket).
    #[arg(long, value_name = "CHECKSUM")]
    pub(crate) approve_plan: Option<String>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct TerraformFlowArgs {
    /// The environment: `development`, `staging`, `production`, ...
    #[arg(long = "env", value_name = "ENV")]
    pub(crate) env: String,
    /// The configuration's directory.
    #[arg(long, default_value = "infra/terraform", value_name = "DIR")]
    pub(crate) dir: PathBuf,
    /// Variables [default: `environments/ENV.tfvars` in the directory, when it exists].
    #[arg(long, value_name = "FILE")]
    pub(crate) var_file: Option<PathBuf>,
    /// Passed to `terraform init` (repeatable); with an `s3` backend and no `key=`, the state
    /// key is `ENV/terraform.tfstate`.
    #[arg(long = "backend-config", value_name = "KEY=VALUE")]
    pub(crate) backend_config: Vec<String>,
    /// The terraform (or tofu) program [default: `terraform` on PATH].
    #[arg(long, value_name = "PATH")]
    pub(crate) terraform: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum FmtCommand {
    /// Lay out `.tf`, `.tfvars` and `.tftest.hcl` files exactly as `terraform fmt` (1.0.3)
    /// does, without terraform; lists the files it rewrites.
    #[command(
        after_help = "Exit codes: 0 done (with --check: every file formatted), 1 with --check: some file is not, 2 usage error, unreadable or unscannable file."
    )]
    Terraform(FmtTerraformArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct FmtTerraformArgs {
    /// Files or directories [default: the current directory]; `-` reads standard input and
    /// writes the result to standard output.
    pub(crate) paths: Vec<PathBuf>,
    /// Also the files of subdirectories (not those whose names start with `.`).
    #[arg(long, short = 'r')]
    pub(crate) recursive: bool,
    /// Write the files (what it does unless `--check`; accepted as `terraform fmt -write`
    /// users expect).
    #[arg(long, short = 'w', conflicts_with = "check")]
    pub(crate) write: bool,
    /// Write nothing; exit 1 if some file is not formatted.
    #[arg(long)]
    pub(crate) check: bool,
    /// Print a unified diff of each change.
    #[arg(long)]
    pub(crate) diff: bool,
    /// Do not list the files that change.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
}

#[derive(Debug, Subcommand)]
#[command(
    after_help = "The cache is `action-cache` in hoist.toml (default `<data dir>/actions`), laid out as \
`<owner>/<repo>@<ref>/`. Missing actions are fetched from `[actions] mirror` templates first, then from \
GitHub (`$HOIST_ACTIONS_URL` replaces it)."
)]
pub(crate) enum ActionsCommand {
    /// Fetch every remote action the workflows use (and the local reusable workflows they call)
    /// that is not cached yet.
    ///
    /// Exit code 1 when one could not be fetched.
    Pull {
        /// Workflow files (`ci.yml` or paths) [default: all of `.github/workflows`].
        workflows: Vec<String>,
        /// The configuration file [default: hoist.toml at the project root].
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Put one action into the cache from a local clone, a bare repository or a git URL (an
    /// internal mirror): `hoist actions add actions/setup-go@v5 ~/src/setup-go`.
    Add {
        /// The action as workflows name it: `owner/repo@ref`.
        #[arg(value_name = "OWNER/REPO@REF")]
        action: String,
        /// A path to a git repository, or a URL git can fetch.
        #[arg(value_name = "PATH|GIT-URL")]
        source: String,
        /// Replace the cached copy if there is one.
        #[arg(long)]
        force: bool,
        /// The configuration file [default: hoist.toml at the project root].
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// List the cached actions.
    List {
        /// The configuration file [default: hoist.toml at the project root].
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ScanCommand {
    /// Find secrets (keys, tokens, passwords) in files, with gitleaks-compatible rules.
    Secrets(ScanSecretsArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SecretsFormat {
    /// `file:line:col: rule: secret` lines.
    Text,
    /// gitleaks-compatible JSON.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// JUnit XML, one failed test per finding.
    Junit,
    Csv,
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Configuration, first found: --config, $HOIST_SECRETS_CONFIG, .hoist/secrets.toml, \
.gitleaks.toml (gitleaks' format, read unchanged), else Hoist's built-in rules.\n\
Suppress a finding with a `gitleaks:allow` or `hoist:allow` comment on its line.\n\n\
Exit codes: 0 no secrets, 1 secrets found (see --exit-code), 2 usage or configuration error."
)]
pub(crate) struct ScanSecretsArgs {
    /// A file or directory to scan, or `-` for standard input [default: .].
    pub(crate) path: Option<PathBuf>,
    /// A gitleaks-format configuration file.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Report format.
    #[arg(long, short = 'f', value_enum, default_value_t = SecretsFormat::Text)]
    pub(crate) report_format: SecretsFormat,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'r', value_name = "FILE")]
    pub(crate) report_path: Option<PathBuf>,
    /// How much of each secret to hide, in percent (100 shows `REDACTED`).
    #[arg(long, value_name = "PERCENT", default_value_t = 100, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub(crate) redact: u8,
    /// Show secrets in full.
    #[arg(long)]
    pub(crate) no_redact: bool,
    /// The exit code when secrets are found.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) exit_code: u8,
    /// Scan files that .gitignore excludes too.
    #[arg(long)]
    pub(crate) no_git_ignore: bool,
    /// Skip files larger than this many megabytes (0: no limit).
    #[arg(long, value_name = "MB", default_value_t = 0)]
    pub(crate) max_target_megabytes: u64,
    /// Decode base64, hex, percent and Unicode escapes and scan what they hide, up to this
    /// many nested encodings (0: scan text only as it is). Findings in decoded text carry
    /// the tags `decoded:<encoding>` and `decode-depth:<n>`, as gitleaks'.
    #[arg(long, value_name = "N", default_value_t = hoist_secrets::DEFAULT_DECODE_DEPTH)]
    pub(crate) max_decode_depth: usize,
    /// Scan the lines each commit added, instead of the files (history reachable from HEAD
    /// unless --range, --since or --all says otherwise).
    #[arg(long, conflicts_with = "staged")]
    pub(crate) git: bool,
    /// With --git: only the commits of this range, e.g. `main..HEAD`.
    #[arg(long, value_name = "A..B", requires = "git", conflicts_with_all = ["since", "all"])]
    pub(crate) range: Option<String>,
    /// With --git: only the commits after this one (`REV..HEAD`).
    #[arg(long, value_name = "REV", requires = "git", conflicts_with = "all")]
    pub(crate) since: Option<String>,
    /// With --git: every commit of every branch and tag.
    #[arg(long, requires = "git")]
    pub(crate) all: bool,
    /// Scan only what is staged for the next commit (for a pre-commit hook).
    #[arg(long)]
    pub(crate) staged: bool,
    /// Leave out the findings of this earlier JSON report (Hoist's or gitleaks'). Hoist's
    /// reports match by file, rule and a hash of the secret, so they survive rebases.
    #[arg(long, value_name = "REPORT")]
    pub(crate) baseline: Option<PathBuf>,
    /// A file of fingerprints to leave out [default: .gitleaksignore at the scanned root].
    #[arg(long, value_name = "FILE")]
    pub(crate) gitleaks_ignore_path: Option<PathBuf>,
    /// Install a git pre-commit hook that runs `hoist scan secrets --staged`.
    #[arg(long, conflicts_with_all = ["git", "staged"])]
    pub(crate) install_hook: bool,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    hoist run                                   # what a push of this branch runs, with uncommitted changes\n  \
    hoist run --event pull_request --base main\n  \
    hoist run --event workflow_dispatch --workflow ci-remote.yml --input service=api --input notes='testing fix'\n  \
    hoist run --job lint --matrix service:api\n\n\
    Exit codes: 0 every run succeeded, 1 a run failed or was cancelled, 2 usage or configuration error.")]
pub(crate) struct RunArgs {
    /// The event to simulate: push, pull_request, workflow_dispatch, schedule, ...
    #[arg(long, short = 'e', default_value = "push")]
    pub(crate) event: String,
    /// Run only these workflows (file names like `ci.yml`, or paths); repeatable.
    #[arg(long, short = 'w', value_name = "FILE")]
    pub(crate) workflow: Vec<String>,
    /// Run only this job (its dependencies count as succeeded).
    #[arg(long, short = 'j', value_name = "ID")]
    pub(crate) job: Option<String>,
    /// Keep only matrix combinations with this value, as `key:value`; repeatable.
    #[arg(long, value_name = "KEY:VALUE")]
    pub(crate) matrix: Vec<String>,
    /// Base branch for pull requests (and for path filters of pull requests).
    #[arg(long, value_name = "BRANCH")]
    pub(crate) base: Option<String>,
    /// Run a clean checkout of this commit instead of the working tree.
    #[arg(long, value_name = "REV")]
    pub(crate) commit: Option<String>,
    /// A `workflow_dispatch` input, as `name=value`; repeatable.
    #[arg(long = "input", short = 'i', value_name = "NAME=VALUE")]
    pub(crate) inputs: Vec<String>,
    /// A JSON file with the event payload (`github.event`), merged over the generated one.
    #[arg(long, value_name = "FILE")]
    pub(crate) event_file: Option<PathBuf>,
    /// A secret, as `NAME=VALUE` (or `NAME` to take it from the environment); repeatable.
    #[arg(long = "secret", short = 's', value_name = "NAME=VALUE")]
    pub(crate) secrets: Vec<String>,
    /// A dotenv file of secrets (`NAME=value` lines).
    #[arg(long, value_name = "FILE")]
    pub(crate) secret_file: Option<PathBuf>,
    /// A configuration variable (`vars` context), as `NAME=VALUE`; repeatable.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub(crate) vars: Vec<String>,
    /// How many jobs may run at once [default: the number of CPUs].
    #[arg(long = "jobs", value_name = "N")]
    pub(crate) parallelism: Option<usize>,
    /// The configuration file [default: hoist.toml at the project root].
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Print only the summary.
    #[arg(long, short = 'q', conflicts_with = "verbose")]
    pub(crate) quiet: bool,
    /// Print debug messages (`::debug::`) and set RUNNER_DEBUG.
    #[arg(long, short = 'v')]
    pub(crate) verbose: bool,
    /// Keep the workspaces of a run that had to use a throwaway work directory (because another
    /// run of the same workflow was using the workflow's own); those are deleted otherwise.
    #[arg(long)]
    pub(crate) keep_workspaces: bool,
    /// Run jobs asking for this `runs-on` label here, as `LABEL=host`: by default jobs for
    /// other platforms (`windows-latest`, `macos-*`, `*-arm` on x64) are skipped. Repeatable.
    #[arg(long = "runner-label", value_name = "LABEL=host")]
    pub(crate) runner_labels: Vec<String>,
    /// Jobs with `container:` or `services:`: `skip` them (there is no container executor
    /// yet), or run their steps on this machine (`host`).
    #[arg(long, value_enum, default_value_t = ContainerModeArg::Skip)]
    pub(crate) container_mode: ContainerModeArg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ContainerModeArg {
    /// Leave such jobs out, saying why.
    Skip,
    /// Run them on this machine, with a warning.
    Host,
}

#[derive(Debug, clap::Args)]
pub(crate) struct RunsArgs {
    #[command(subcommand)]
    pub(crate) command: RunsCommand,
    /// The configuration file [default: hoist.toml at the project root].
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Read the history of this server instead of this machine's.
    #[arg(long, global = true, env = "HOIST_SERVER", value_name = "URL")]
    pub(crate) server: Option<String>,
    /// The token for `--server` (default: the local server's admin token).
    #[arg(
        long,
        global = true,
        env = "HOIST_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub(crate) token: Option<String>,
    /// With `--server`: only runs of this repository.
    #[arg(long, global = true, value_name = "NAME")]
    pub(crate) repo: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RunsCommand {
    /// List recent runs, newest first.
    List {
        /// Only runs of this workflow (file name, path or name).
        #[arg(long, short = 'w')]
        workflow: Option<String>,
        /// Only runs with this conclusion (success, failure, cancelled, interrupted) or status (in_progress).
        #[arg(long, short = 's')]
        status: Option<String>,
        /// Only runs on this branch.
        #[arg(long, short = 'b')]
        branch: Option<String>,
        /// Only runs of this event (push, pull_request, schedule, workflow_dispatch, ...).
        #[arg(long, short = 'e')]
        event: Option<String>,
        /// Only runs of this commit (its full SHA).
        #[arg(long, value_name = "SHA")]
        commit: Option<String>,
        /// How many runs to show.
        #[arg(long, short = 'L', default_value_t = 20)]
        limit: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one run: its jobs, steps, annotations and artifacts, or its logs.
    View {
        /// The run id (from `hoist runs list`).
        id: i64,
        /// Print the full log.
        #[arg(long, conflicts_with = "log_failed")]
        log: bool,
        /// Print the log of failed steps only.
        #[arg(long)]
        log_failed: bool,
        /// Only this job (id or name).
        #[arg(long, short = 'j')]
        job: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Cancel a run in progress: its steps get TERM (then KILL), `if: always()` steps and jobs
    /// still run, as with Ctrl-C.
    Cancel {
        /// The run id.
        id: i64,
    },
    /// Follow a run until it ends, printing its log lines as they come.
    Watch {
        /// The run id.
        id: i64,
        /// Exit 1 unless the run succeeded.
        #[arg(long)]
        exit_status: bool,
    },
    /// Save a run's artifacts (from object storage, or from this machine before they are
    /// uploaded) into a directory: one subdirectory per artifact.
    Download {
        /// The run id.
        id: i64,
        /// Only this artifact; repeatable.
        #[arg(long, short = 'n', value_name = "NAME")]
        name: Vec<String>,
        /// Where to put them.
        #[arg(long, short = 'D', value_name = "DIR", default_value = ".")]
        dir: PathBuf,
    },
    /// Approve what a run waits on (`--server`): its jobs' deployments to these
    /// environments. Only the environments' reviewers may.
    Approve {
        /// The run id.
        id: i64,
        /// An environment the run waits on; repeatable.
        #[arg(long = "env", value_name = "ENVIRONMENT", required = true)]
        envs: Vec<String>,
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// Reject what a run waits on (`--server`): those jobs fail with the comment.
    Reject {
        /// The run id.
        id: i64,
        #[arg(long = "env", value_name = "ENVIRONMENT", required = true)]
        envs: Vec<String>,
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// Run a past run again, as a new attempt.
    Rerun {
        /// The run id.
        id: i64,
        /// Rerun only failed jobs (and what depends on them); reuse the rest.
        #[arg(long)]
        failed: bool,
        /// Print only the summary.
        #[arg(long, short = 'q')]
        quiet: bool,
    },
}

#[derive(Debug, clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 usage error or unreadable file."
)]
pub(crate) struct CheckArgs {
    /// Another gate than workflow files.
    #[command(subcommand)]
    pub(crate) gate: Option<CheckGate>,
    /// Workflow files or directories to check [default: .github/workflows of the repository].
    pub(crate) paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// Report errors only, not warnings.
    #[arg(long, conflicts_with_all = ["deny_warnings", "deny"])]
    pub(crate) no_warnings: bool,
    /// Fail (exit 1) on warnings too. Errors are what GitHub refuses to run; warnings are what
    /// it runs but is almost surely a mistake, which CI may want to refuse as well.
    #[arg(long)]
    pub(crate) deny_warnings: bool,
    /// `-D warnings`: the same as `--deny-warnings`, as rustc and clippy spell it.
    #[arg(short = 'D', value_name = "warnings", value_parser = ["warnings"])]
    pub(crate) deny: Option<String>,
    /// Lint `run:` scripts in bash and sh with shellcheck: when it is installed (`auto`),
    /// required (`always`, exit 2 without it), or not at all (`never`).
    #[arg(long, value_enum, default_value_t = Shellcheck::Auto)]
    pub(crate) shellcheck: Shellcheck,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CheckGate {
    /// Terraform, with no terraform needed: every `.tf`, `.tfvars` and `.tftest.hcl` file
    /// below DIR parses and is laid out as `terraform fmt` lays it out, and each module
    /// (directory) passes `terraform validate`'s static checks and tflint's recommended rules.
    #[command(
        after_help = "Exit codes: 0 no errors, 1 errors found, 2 usage error or unreadable directory."
    )]
    Terraform(TerraformCheckArgs),
    /// Schema migrations: the layout of golang-migrate, sqlx, Flyway, dbmate or goose
    /// (versions that collide, ups without downs, files the tool ignores) and the PostgreSQL
    /// syntax of every statement.
    #[command(
        after_help = "Exit codes: 0 no errors, 1 errors found, 2 usage error or unreadable directory."
    )]
    Migrations(MigrationsArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct TerraformCheckArgs {
    /// The configuration's directory (its subdirectories too) [default: the current one].
    pub(crate) dir: Option<PathBuf>,
    /// Only the layout check (`terraform fmt -check`), not the module checks.
    #[arg(long)]
    pub(crate) fmt: bool,
    /// With text output, show each unformatted file's unified diff.
    #[arg(long)]
    pub(crate) diff: bool,
    /// Also run `terraform validate -json` on each module (after `terraform init
    /// -backend=false`, in a data directory outside the tree) and add its diagnostics: what
    /// only the providers' schemas can tell. Needs terraform, and the providers or network.
    #[arg(long, conflicts_with = "fmt")]
    pub(crate) full: bool,
    /// The terraform (or tofu) program for `--full` [default: `terraform` on PATH].
    #[arg(long, value_name = "PATH", requires = "full")]
    pub(crate) terraform: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

#[derive(Debug, clap::Args)]
pub(crate) struct MigrationsArgs {
    /// The migrations directory [default: db/migrations].
    pub(crate) dir: Option<PathBuf>,
    /// The tool whose layout the directory follows [default: detected from the files].
    #[arg(long, value_parser = ["golang-migrate", "sqlx", "flyway", "dbmate", "goose"])]
    pub(crate) tool: Option<String>,
    /// Compare with the migrations at this git revision (the base branch): migrations there
    /// may not be edited or deleted, and new ones may not be older than its newest.
    #[arg(long, value_name = "REF")]
    pub(crate) base: Option<String>,
    /// Report only on migrations that are new or changed since `--base` (to adopt the gate on
    /// an old history).
    #[arg(long, requires = "base")]
    pub(crate) changed_only: bool,
    /// Prove every migration reversible on a throwaway PostgreSQL (initdb into a temporary
    /// directory, removed afterwards): up, down (the schema must be as before), up again.
    #[arg(long, conflicts_with = "database")]
    pub(crate) postgres: bool,
    /// The same proof on this (empty) database: `postgres://user@host:port/db`.
    #[arg(long, value_name = "URL")]
    pub(crate) database: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Shellcheck {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// `path:line:col: error: message`, the source line and a caret.
    Text,
    /// A JSON array of diagnostics.
    Json,
    /// SARIF 2.1.0, for code-scanning viewers.
    Sarif,
    /// JUnit XML, a test case per file, for CI test reports.
    Junit,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    hoist expr \"contains(github.ref, 'main') && matrix.os == 'linux'\" --context-file ctx.json\n  \
    hoist expr --template 'build-${{ matrix.service }}' --context-file ctx.json\n\n\
    The context file is a JSON object keyed by context name, e.g. \
    {\"github\": {\"ref\": \"refs/heads/main\"}, \"matrix\": {\"os\": \"linux\"}}.\n\
    A context that is not in the file is an unrecognized named-value, as on GitHub.")]
pub(crate) struct ExprArgs {
    /// The expression (the text inside `${{ }}`), or a template with --template. It may start
    /// with `-` (`hoist expr -1`); put options before it, or `--` to end them.
    #[arg(allow_hyphen_values = true)]
    pub(crate) expression: String,
    /// A JSON file whose top-level keys are contexts (`github`, `env`, `matrix`, ...); `-` reads
    /// standard input.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub(crate) context_file: Option<PathBuf>,
    /// Treat the argument as a string with `${{ }}` parts and print the interpolated result.
    #[arg(long, short = 't')]
    pub(crate) template: bool,
}

#[derive(Debug, clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  \
    hoist metrics                          # the last 7 days, per workflow, job and service\n  \
    hoist metrics --since 30d --workflow CI --json\n  \
    hoist metrics --format prometheus > /var/lib/node_exporter/hoist.prom\n  \
    hoist metrics status                   # runs whose upload is pending\n  \
    hoist metrics flush                    # upload them now\n\n\
    Exit codes: 0 ok, 1 an upload failed (flush), 2 usage or configuration error."
)]
pub(crate) struct MetricsArgs {
    #[command(subcommand)]
    pub(crate) command: Option<MetricsCommand>,
    #[command(flatten)]
    pub(crate) summary: SummaryArgs,
    /// The configuration file [default: hoist.toml at the project root].
    #[arg(long, value_name = "FILE", global = true)]
    pub(crate) config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum MetricsCommand {
    /// Summarise recorded runs (the default).
    Summary(SummaryArgs),
    /// Runs whose logs, artifacts or metrics are not uploaded yet, and why.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Upload every pending run now, ignoring the retry backoff.
    Flush {
        #[arg(long)]
        json: bool,
    },
    /// Print a run's metrics document (NDJSON, one record per run, job and step).
    Export {
        /// The run id.
        id: i64,
    },
    /// Add runs from metrics documents (for example fetched from the bucket) to the history.
    Import {
        /// NDJSON files, or `-` for standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum MetricsFormat {
    /// Tables for people.
    Text,
    /// The summary as JSON.
    Json,
    /// Prometheus' text exposition format.
    Prometheus,
}

#[derive(Clone, Debug, clap::Args)]
pub(crate) struct SummaryArgs {
    /// The window's start: a duration back from --until (`7d`, `12h`, `2w`, `30m`), a date
    /// (`2026-11-01`, UTC) or a timestamp (`2026-11-01T08:00:00Z`).
    #[arg(long, value_name = "WHEN", default_value = "7d")]
    pub(crate) since: String,
    /// The window's end (exclusive), as a date or timestamp [default: now].
    #[arg(long, value_name = "WHEN")]
    pub(crate) until: Option<String>,
    /// Only this workflow (its `name:`).
    #[arg(long, short = 'w', value_name = "NAME")]
    pub(crate) workflow: Option<String>,
    /// How many slowest steps and flaky jobs to list.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub(crate) top: usize,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = MetricsFormat::Text)]
    pub(crate) format: MetricsFormat,
    /// Same as `--format json`.
    #[arg(long, conflicts_with = "format")]
    pub(crate) json: bool,
}
