//! One module per subcommand; each returns the process exit code.

use std::process::ExitCode;

use crate::cli::{Cli, Command};

mod access;
mod actions;
mod app;
mod app_inspect;
mod app_sync;
mod check;
mod environments;
mod expr;
mod git_hook;
pub(crate) mod metrics;
mod migrations;
mod pr;
mod repo;
pub(crate) mod run;
mod run_event;
mod runs;
mod scan;
mod secret;
mod server;
mod terraform;
mod terraform_flow;

/// How a command ended, mapped onto Hoist's documented exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Everything checked out.
    Success,
    /// The checked thing failed: errors found, expression invalid, run failed.
    Failure,
}

impl From<Outcome> for ExitCode {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::Failure => ExitCode::from(1),
        }
    }
}

pub(crate) fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Actions(command) => actions::run(&command),
        Command::Check(args) => check::run(&args),
        Command::Expr(args) => expr::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Runs(args) => runs::run(&args),
        Command::Metrics(args) => metrics::run(&args),
        Command::Scan(crate::cli::ScanCommand::Secrets(args)) => scan::secrets(&args),
        Command::Serve(args) => server::serve(&args),
        Command::Runner(args) => server::runner(&args),
        Command::Workflow(crate::cli::WorkflowCommand::Run(args)) => server::dispatch(&args),
        Command::Token(command) => access::token(&command),
        Command::Audit(args) => access::audit(&args),
        Command::Secret(command) => secret::secret(&command),
        Command::Env(command) => environments::env(&command),
        Command::Deployments(args) => environments::deployments(&args),
        Command::Oidc(command) => secret::oidc(&command),
        Command::Hooks(command) => access::hooks(&command),
        Command::Repo(command) => repo::run(&command),
        Command::Pr(command) => pr::run(&command),
        Command::Status(args) => pr::status(&args),
        Command::Hook { hook } => git_hook::run(hook),
        Command::Fmt(crate::cli::FmtCommand::Terraform(args)) => terraform::fmt(&args),
        Command::Terraform(command) => terraform_flow::run(&command),
        Command::App(command) => app::run(&command),
    }
}
