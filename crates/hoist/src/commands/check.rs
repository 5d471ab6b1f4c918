//! `hoist check`: validate workflow files.

use anyhow::bail;

use crate::cli::CheckArgs;
use crate::commands::Outcome;

pub(crate) fn run(_args: &CheckArgs) -> anyhow::Result<Outcome> {
    bail!("`hoist check` is not available in this build yet")
}
