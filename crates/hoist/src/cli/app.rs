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
