//! Running `apt-get` (and the few other commands that change the system) as root, or through
//! `sudo -n` when setup runs as another user; otherwise saying exactly what to run by hand.

use std::process::{Command, Stdio};

use anyhow::{Result, bail};
use hoist_testbed::tools;

/// A command that runs `program` with root's rights, non-interactively.
pub(crate) fn privileged(program: &str, by_hand: &str) -> Result<Command> {
    if nix::unistd::geteuid().is_root() {
        return Ok(Command::new(program));
    }
    let Some(sudo) = tools::search_path("sudo") else {
        bail!("setup needs root or sudo for this\n  hint: run `{by_hand}` by hand");
    };
    let mut c = Command::new(sudo);
    c.args(["-n", program]);
    Ok(c)
}

/// `apt-get ARGS` with root's rights, without questions.
pub(crate) fn apt_get(args: &[&str], by_hand: &str) -> Result<Command> {
    if tools::search_path("apt-get").is_none() {
        bail!("this machine has no apt-get\n  hint: {by_hand}");
    }
    let mut c = privileged("apt-get", by_hand)?;
    c.args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null());
    Ok(c)
}

/// Runs a command to its end; a failure shows its stderr and the hint.
pub(crate) fn run(mut command: Command, hint: &str) -> Result<()> {
    let out = command
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run `{}`: {e}", shown(&command)))?;
    if !out.status.success() {
        bail!(
            "`{}` failed ({}):\n{}\n  hint: {hint}",
            shown(&command),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim_end()
        );
    }
    Ok(())
}

/// A command as a person would type it.
pub(crate) fn shown(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
