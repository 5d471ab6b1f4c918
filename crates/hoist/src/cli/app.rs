//! `hoist app …`: Argo CD's application verbs, with Argo CD's flags where they apply.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

/// Where the applications come from; shared by every `app` subcommand.
#[derive(Debug, Args, Clone)]
pub(crate) struct AppSourceArgs {
    /// Application or ApplicationSet manifests to read instead of the project's `deploy/`
    /// directory (`[apps] dir`); repeatable.
    #[arg(short = 'f', long = "file", value_name = "FILE", global = true)]
    pub(crate) files: Vec<PathBuf>,
    /// The project directory (default: the current directory).
    #[arg(long = "project", value_name = "DIR", global = true)]
    pub(crate) project: Option<PathBuf>,
    /// The configuration file (default: `hoist.toml` of the project).
    #[arg(long, value_name = "FILE", global = true)]
    pub(crate) config: Option<PathBuf>,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
#[command(
    after_help = "Applications are Argo CD's own manifests (Application and ApplicationSet, argoproj.io/v1alpha1), read from the project's `deploy/` directory or `-f FILE`.\n\nExit codes: 0 ok, 1 the checked thing failed (a diff found, a sync or wait that did not succeed), 2 usage or tool error (bad manifests, a tool or cluster that cannot be reached)."
)]
pub(crate) enum AppCommand {
    /// List the applications with their source, destination and sync policy.
    List(AppListArgs),
    /// Render an application's manifests, as they would be applied (no cluster needed).
    Manifests(AppManifestsArgs),
    /// Show an application: sync status against its revision, health, and its resources.
    Get(AppGetArgs),
    /// Show how the cluster differs from Git, per resource (exit 1 when it does).
    Diff(AppDiffArgs),
    /// Apply an application's revision: phases, waves, hooks, health, prune.
    Sync(AppSyncArgs),
    /// Wait until applications are synced and healthy (or what the flags ask for).
    Wait(AppWaitArgs),
    /// The application's syncs: ID, date, revision, who started it and how it ended.
    History(AppHistoryArgs),
    /// Sync an earlier history ID again (default: the previous successful one).
    Rollback(AppRollbackArgs),
    /// The application's live resources (`--orphaned`: those in its namespace nobody tracks).
    Resources(AppResourcesArgs),
    /// Delete an application's resources from the cluster.
    Delete(AppDeleteArgs),
    /// Keep applications reconciled: auto-sync new revisions of automated ones, self-heal
    /// drift, report the rest (runs until stopped).
    Watch(AppWatchArgs),
}

#[derive(Debug, Args)]
pub(crate) struct AppWatchArgs {
    /// The applications to keep reconciled (default: all).
    pub(crate) apps: Vec<String>,
    #[command(flatten)]
    pub(crate) source: AppSourceArgs,
    /// Seconds between looks at the repositories (watched objects, and commits to this
    /// project's repository, are noticed at once).
    #[arg(long, value_name = "SECONDS", default_value_t = 3)]
    pub(crate) interval: u64,
    /// One pass, then exit (for cron jobs and CI).
    #[arg(long)]
    pub(crate) once: bool,
    /// Write Prometheus metrics (sync status, health, sync durations) to this file after
    /// every pass, for node_exporter's textfile collector.
    #[arg(long, value_name = "FILE")]
    pub(crate) metrics_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum GetFormat {
    Wide,
    Json,
    Yaml,
    Tree,
}

#[derive(Debug, Args)]
pub(crate) struct AppGetArgs {
    pub(crate) app: String,
    #[command(flatten)]
    pub(crate) source: AppSourceArgs,
    #[arg(short = 'o', long = "output", value_enum, default_value_t = GetFormat::Wide)]
    pub(crate) output: GetFormat,
    /// Fetch the source repositories again before comparing.
    #[arg(long)]
    pub(crate) refresh: bool,
    /// Like `--refresh`, and render again instead of using the render cache.
    #[arg(long)]
    pub(crate) hard_refresh: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AppDiffArgs {
    pub(crate) app: String,
    #[command(flatten)]
    pub(crate) source: AppSourceArgs,
    /// Compare this directory (rendered as the application's path) instead of Git.
    #[arg(long, value_name = "DIR")]
    pub(crate) local: Option<PathBuf>,
    /// Compare this revision instead of the target revision.
    #[arg(long, value_name = "REV")]
    pub(crate) revision: Option<String>,
    /// Fetch the source repositories again first.
    #[arg(long)]
    pub(crate) refresh: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AppSyncArgs {
    /// The applications to sync (one or more).
    #[arg(required = true)]
    pub(crate) apps: Vec<String>,
    #[command(flatten)]
    pub(crate) source: AppSourceArgs,
    /// Sync this revision of the first source instead of its target revision.
    #[arg(long, value_name = "REV")]
    pub(crate) revision: Option<String>,
    /// Delete tracked resources that are no longer rendered.
    #[arg(long)]
    pub(crate) prune: bool,
    /// Show what the sync would do; change nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Only these resources, as `GROUP:KIND:NAME` (`:KIND:NAME` for the core group, `*` as
    /// a wildcard); repeatable.
    #[arg(long = "resource", value_name = "GROUP:KIND:NAME")]
    pub(crate) resources: Vec<String>,
    /// Replace resources that cannot be updated in place (delete and create again).
    #[arg(long)]
    pub(crate) force: bool,
    /// How long to wait for the synced revision to become healthy, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub(crate) timeout: u64,
    /// Start the sync in the background and return at once (see `hoist app wait`).
    #[arg(long = "async")]
    pub(crate) run_async: bool,
    /// Who started the sync (recorded in the history); default `$USER@host`.
    #[arg(long, hide = true, env = "HOIST_ACTOR")]
    pub(crate) actor: Option<String>,
    /// A rollback to this history ID (set by `hoist app rollback`).
    #[arg(long, hide = true)]
    pub(crate) rollback_of: Option<i64>,
}

#[derive(Debug, Args)]
pub(crate) struct AppWaitArgs {
    #[arg(required = true)]
    pub(crate) apps: Vec<String>,
    #[command(flatten)]
    pub(crate) source: AppSourceArgs,
    /// Wait for health to be Healthy.
    #[arg(long)]
    pub(crate) health: bool,
    /// Wait for the sync status to be Synced.
    #[arg(long)]
    pub(crate) sync: bool,
    /// Wait for health to be Degraded.
    #[arg(long)]
    pub(crate) degraded: bool,
    /// Give up after this many seconds (0: no limit).
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub(crate) timeout: u64,
}

#[derive(Debug, Args)]
pub(crate) struct AppHistoryArgs {
    pub(crate) app: String,
    #[command(flatten)]
    pub(crate) source: AppSourceArgs,
}

#[derive(Debug, Args)]
pub(crate) struct AppRollbackArgs {
    pub(crate) app: String,
    /// The history ID to go back to (default: the successful sync before the latest one).
    pub(crate) id: Option<i64>,
    #[command(flatten)]
    pub(crate) source: AppSourceArgs,
    /// Delete resources the earlier revision did not have.
    #[arg(long)]
    pub(crate) prune: bool,
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub(crate) timeout: u64,
}

#[derive(Debug, Args)]
pub(crate) struct AppResourcesArgs {
    pub(crate) app: String,
    #[command(flatten)]
    pub(crate) source: AppSourceArgs,
    /// Objects in the application's namespace that no application tracks.
    #[arg(long)]
    pub(crate) orphaned: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AppDeleteArgs {
    pub(crate) app: String,
    #[command(flatten)]
    pub(crate) source: AppSourceArgs,
    /// Do not ask for confirmation.
    #[arg(short = 'y', long)]
    pub(crate) yes: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AppListArgs {
    #[command(flatten)]
    pub(crate) source: AppSourceArgs,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ListFormat::Wide)]
    pub(crate) output: ListFormat,
    /// Only applications whose labels match, as `key=value` (repeatable, all must match).
    #[arg(short = 'l', long = "selector", value_name = "KEY=VALUE")]
    pub(crate) selector: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ListFormat {
    Wide,
    Name,
    Json,
    Yaml,
}

#[derive(Debug, Args)]
pub(crate) struct AppManifestsArgs {
    /// The application (default: every application).
    pub(crate) app: Option<String>,
    #[command(flatten)]
    pub(crate) source: AppSourceArgs,
    /// Render this revision of the first source instead of its `targetRevision`.
    #[arg(long, value_name = "REV")]
    pub(crate) revision: Option<String>,
    /// Render this directory instead of the first source's path at a revision (uncommitted
    /// changes included).
    #[arg(long, value_name = "DIR")]
    pub(crate) local: Option<PathBuf>,
}
