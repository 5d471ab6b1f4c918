//! End-to-end tests of the `hoist` binary: real processes, real files, real git repositories.

#![allow(clippy::unwrap_used)] // a panic is how a test reports failure

mod check;
mod expr;
mod run;
mod scan;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) fn hoist(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub(crate) fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub(crate) fn pipeline(kind: &str) -> PathBuf {
    workspace_root()
        .join("crates/hoist-workflow/tests/data/pipeline")
        .join(kind)
}
