//! `cargo xtask`: Hoist's developer commands. `test` is the README's one test command: it
//! installs every missing test dependency (pinned in `hoist-testbed`'s tool table) into a
//! cache outside the checkout, then runs the suite with nextest.
// A developer tool whose output is its progress lines.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod apt;
mod cli;
mod debian_source;
mod doctor;
mod install;
mod probe;
mod test;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Setup => {
            let started = Instant::now();
            let outcome = install::setup(false)?;
            summary(&outcome, started);
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor { json } => Ok(if doctor::run(json)? {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }),
        Command::Test(args) => {
            let started = Instant::now();
            let outcome = install::setup(true)?;
            summary(&outcome, started);
            let code = test::run(&args, &workspace_root())?;
            // nextest's own codes (100 for failed tests) become Hoist's: 1 failed, 2 broken.
            Ok(ExitCode::from(match code {
                0 => 0,
                100 => 1,
                _ => 2,
            }))
        }
    }
}

fn summary(outcome: &install::Outcome, started: Instant) {
    if outcome.installed.is_empty() {
        say(&format!(
            "test dependencies: all {} present in {} (`cargo xtask doctor` lists them)",
            outcome.present,
            hoist_testbed::tools::cache_dir().display()
        ));
    } else {
        say(&format!(
            "test dependencies: installed {} in {}; {} were present",
            outcome.installed.join(", "),
            install::elapsed(started),
            outcome.present
        ));
    }
}

/// The workspace this xtask was built from.
fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A progress line, on stderr so that `--json` output stays clean.
pub(crate) fn say(line: &str) {
    eprintln!("xtask: {line}");
}

/// A line of a command's result, on stdout.
pub(crate) fn say_out(line: &str) {
    println!("{line}");
}
