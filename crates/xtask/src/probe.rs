//! What is installed: finding each test dependency and reading its version, without changing
//! anything. Shared by `setup` (to know what to install) and `doctor` (to report it).

use std::path::{Path, PathBuf};
use std::process::Command;

use hoist_testbed::tools::{self, Tool, is_executable};

/// Where a pinned tool was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Found {
    /// Installed by setup into its own directory of the cache.
    Cache(PathBuf),
    /// A copy elsewhere on `PATH` that reports the pinned version.
    OnPath(PathBuf),
    /// Not usable: missing, or only other versions (the paths and versions found, if any).
    Missing { other: Option<(PathBuf, String)> },
}

/// The stamp that marks a tool's directory as completely installed. Written last, so an
/// install that was interrupted is redone, never taken as present.
pub(crate) fn stamp(tool: &Tool) -> PathBuf {
    tool.dir().join(".installed")
}

/// The path of `program` inside the tool's cache directory.
pub(crate) fn cached_program(tool: &Tool, relative: &str) -> PathBuf {
    tool.dir().join(relative)
}

pub(crate) fn find(tool: &Tool) -> Found {
    let (program, relative) = tool.programs[0];
    let cached = cached_program(tool, relative);
    if stamp(tool).is_file()
        && tool
            .programs
            .iter()
            .all(|(_, r)| cached_program(tool, r).is_file())
    {
        return Found::Cache(cached);
    }
    match path_outside_cache(program) {
        Some(path) => match version_of(tool, &path) {
            Some(output) if reports_version(&output, tool.version) => Found::OnPath(path),
            Some(output) => Found::Missing {
                other: Some((path, first_line(&output))),
            },
            None => Found::Missing {
                other: Some((path, "(does not run)".into())),
            },
        },
        None => Found::Missing { other: None },
    }
}

/// `program` on `PATH`, leaving out the cache's own links (they are what setup makes).
fn path_outside_cache(program: &str) -> Option<PathBuf> {
    let bin = tools::bin_dir();
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|dir| dir != &bin)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

/// What the program prints when asked for its version (stdout and stderr), or `None` when it
/// cannot be run.
pub(crate) fn version_of(tool: &Tool, program: &Path) -> Option<String> {
    let out = Command::new(program)
        .args(tool.version_args)
        .output()
        .ok()?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Some(text)
}

/// Whether `output` names `version` as a whole version (so `0.9.14` is not found in
/// `0.9.143`).
pub(crate) fn reports_version(output: &str, version: &str) -> bool {
    output.match_indices(version).any(|(at, _)| {
        let before = output[..at].chars().next_back();
        let after = &output[at + version.len()..];
        let digit_next = |s: &str| s.starts_with(|c: char| c.is_ascii_digit());
        // A version goes on with a digit, or a dot and a digit; a dot ending a sentence does
        // not continue it.
        let continues = digit_next(after) || after.strip_prefix('.').is_some_and(digit_next);
        !before.is_some_and(|c| c.is_ascii_digit() || c == '.') && !continues
    })
}

pub(crate) fn first_line(text: &str) -> String {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::reports_version;

    #[test]
    fn versions_are_matched_whole() {
        let check = |output: &str, version: &str, expect: bool| {
            assert_eq!(
                reports_version(output, version),
                expect,
                "{output:?} ~ {version:?}"
            );
        };
        check(
            "cargo-nextest 0.9.143 (60fa45f63 2026-08-04)",
            "0.9.143",
            true,
        );
        check(
            "cargo-nextest 0.9.143 (60fa45f63 2026-08-04)",
            "0.9.14",
            false,
        );
        check("cargo-nextest 10.9.143", "0.9.143", false);
        check("8.30.1\n", "8.30.1", true);
        check("gitleaks version 8.30.1.", "8.30.1", true);
        check("8.30.10", "8.30.1", false);
        check("8.30.1.2", "8.30.1", false);
        check("s3s-fs 0.14.1", "0.14.1", true);
        check("", "0.14.1", false);
    }
}
