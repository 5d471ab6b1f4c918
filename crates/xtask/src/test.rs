//! `cargo xtask test`: setup, then `cargo nextest run` with the cache's programs first on
//! `PATH`.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};
use hoist_testbed::tools;

use crate::cli::TestArgs;

/// Runs the suite; returns nextest's exit code.
pub(crate) fn run(args: &TestArgs, workspace: &Path) -> Result<i32> {
    let members = workspace_members(workspace)?;
    let nextest_args = nextest_args(args, &members);
    let path = std::env::join_paths(
        std::iter::once(tools::bin_dir()).chain(
            std::env::var_os("PATH")
                .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
                .unwrap_or_default(),
        ),
    )?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    crate::say(&format!("cargo {}", nextest_args.join(" ")));
    let status = Command::new(cargo)
        .args(&nextest_args)
        .current_dir(workspace)
        .env("PATH", path)
        // The tests look for the cache the same way; pin it for them.
        .env("HOIST_DEV_CACHE", tools::cache_dir())
        .status()
        .context("cannot run `cargo nextest`")?;
    Ok(status.code().unwrap_or(2))
}

/// The workspace's crates: the directories of `crates/` (directory = package name).
fn workspace_members(workspace: &Path) -> Result<Vec<String>> {
    let dir = workspace.join("crates");
    let mut names = Vec::new();
    for entry in
        std::fs::read_dir(&dir).with_context(|| format!("cannot read `{}`", dir.display()))?
    {
        let entry = entry?;
        if entry.path().join("Cargo.toml").is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// Translates `--only` into nextest's arguments: a crate name selects the package, a
/// filterset (anything with a parenthesis) goes to `-E`, anything else is a test-name
/// substring.
pub(crate) fn nextest_args(args: &TestArgs, members: &[String]) -> Vec<String> {
    let mut out = vec!["nextest".to_owned(), "run".to_owned()];
    let (packages, filters): (Vec<&String>, Vec<&String>) =
        args.only.iter().partition(|o| members.contains(o));
    if packages.is_empty() {
        out.push("--workspace".into());
    }
    for p in packages {
        out.extend(["-p".into(), p.clone()]);
    }
    let (sets, names): (Vec<&String>, Vec<&String>) =
        filters.into_iter().partition(|f| f.contains('('));
    for set in sets {
        out.extend(["-E".into(), set.clone()]);
    }
    out.extend(args.nextest_args.iter().cloned());
    if !names.is_empty() {
        if !args.nextest_args.iter().any(|a| a == "--") {
            out.push("--".into());
        }
        out.extend(names.into_iter().cloned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::nextest_args;
    use crate::cli::TestArgs;

    fn check(only: &[&str], passed: &[&str], expect: &str) {
        let args = TestArgs {
            only: only.iter().map(|s| s.to_string()).collect(),
            nextest_args: passed.iter().map(|s| s.to_string()).collect(),
        };
        let members = vec!["hoist".to_owned(), "hoist-secrets".to_owned()];
        assert_eq!(nextest_args(&args, &members).join(" "), expect);
    }

    #[test]
    fn only_selects_crates_filtersets_and_names() {
        check(&[], &[], "nextest run --workspace");
        check(
            &[],
            &["--no-fail-fast"],
            "nextest run --workspace --no-fail-fast",
        );
        check(&["hoist-secrets"], &[], "nextest run -p hoist-secrets");
        check(
            &["hoist", "test(/^scan::/)"],
            &[],
            "nextest run -p hoist -E test(/^scan::/)",
        );
        check(
            &["differential"],
            &["--locked"],
            "nextest run --workspace --locked -- differential",
        );
        check(
            &["upload", "hoist-secrets"],
            &[],
            "nextest run -p hoist-secrets -- upload",
        );
    }
}
