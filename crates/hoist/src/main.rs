//! The `hoist` binary: parses the command line and hands over to a command module.
//!
//! Exit codes: 0 when all is well, 1 when the checked thing failed (errors found, run failed),
//! 2 on usage or tool errors.

use std::process::ExitCode;

use clap::Parser;

mod action_fetch;
mod app_catalog;
mod app_live;
mod app_operation;
mod cli;
mod clock;
mod commands;
mod config;
mod gate_report;
mod history;
mod migration_proof;
mod output;
mod project;
mod reconciler;
mod remote;
mod shellcheck;
mod table;
mod view;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version to stdout with exit 0, usage errors with exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match commands::run(cli) {
        Ok(code) => code.into(),
        Err(e) => {
            output::error(&format!("{e:#}"));
            ExitCode::from(2)
        }
    }
}
