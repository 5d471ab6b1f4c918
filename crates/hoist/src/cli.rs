//! The command line, declared with clap's derive API.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

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
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 usage error or unreadable file."
)]
pub(crate) struct CheckArgs {
    /// Workflow files or directories to check [default: .github/workflows of the repository].
    pub(crate) paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// Report errors only, not warnings (warnings never change the exit code).
    #[arg(long)]
    pub(crate) no_warnings: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// `path:line:col: error: message`, the source line and a caret.
    Text,
    /// A JSON array of diagnostics.
    Json,
    /// SARIF 2.1.0, for code-scanning viewers.
    Sarif,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    hoist expr \"contains(github.ref, 'main') && matrix.os == 'linux'\" --context-file ctx.json\n  \
    hoist expr --template 'build-${{ matrix.service }}' --context-file ctx.json\n\n\
    The context file is a JSON object keyed by context name, e.g. \
    {\"github\": {\"ref\": \"refs/heads/main\"}, \"matrix\": {\"os\": \"linux\"}}.\n\
    A context that is not in the file is an unrecognized named-value, as on GitHub.")]
pub(crate) struct ExprArgs {
    /// The expression (the text inside `${{ }}`), or a template with --template.
    pub(crate) expression: String,
    /// A JSON file whose top-level keys are contexts (`github`, `env`, `matrix`, ...); `-` reads
    /// standard input.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub(crate) context_file: Option<PathBuf>,
    /// Treat the argument as a string with `${{ }}` parts and print the interpolated result.
    #[arg(long, short = 't')]
    pub(crate) template: bool,
}
