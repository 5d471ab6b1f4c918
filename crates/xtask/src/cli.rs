//! The command line of `cargo xtask`.

use clap::{Parser, Subcommand};

/// Hoist's developer commands.
///
/// Test dependencies are pinned in `crates/hoist-testbed/src/tools.rs` and installed into a
/// cache outside the checkout: `$HOIST_DEV_CACHE`, else `$XDG_CACHE_HOME/hoist-dev`, else
/// `~/.cache/hoist-dev`.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Install what is missing, then run the whole test suite with nextest.
    ///
    /// Arguments after `--` go to `cargo nextest run` unchanged, e.g.
    /// `cargo xtask test -- --no-fail-fast`.
    Test(TestArgs),
    /// Install every missing test dependency, and nothing else.
    ///
    /// Idempotent: what is installed at its pinned version is left alone. System commands
    /// come from Debian's packages (apt-get, as root or through sudo); the pinned tools from
    /// crates.io and PyPI.
    Setup,
    /// List each test dependency: found or missing, its version and where it is.
    ///
    /// Exit code 0 when everything is present, 1 when something is missing.
    Doctor {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Args)]
pub(crate) struct TestArgs {
    /// Run only this: a workspace crate (`hoist-secrets`), a nextest filterset
    /// (`test(/^upload::/)`), or a substring of test names. Repeatable.
    #[arg(long, value_name = "CRATE|FILTER")]
    pub(crate) only: Vec<String>,
    /// Passed to `cargo nextest run` as they are.
    #[arg(last = true, value_name = "NEXTEST ARGS")]
    pub(crate) nextest_args: Vec<String>,
}
