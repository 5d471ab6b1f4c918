//! End-to-end tests of the `hoist` binary: real processes, real files, real git repositories.

#![allow(clippy::unwrap_used)] // a panic is how a test reports failure

mod actions;
mod apps;
mod background;
mod cancel;
mod check;
mod environments;
mod expr;
mod grants;
mod hosted;
mod metrics;
mod mirrors;
mod project;
mod replicas;
mod rerun_remote;
mod run;
mod scan;
mod secrets;
mod server;
mod server_processes;
mod terraform;
mod terraform_example;
mod terraform_flow;
mod webhooks;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) fn hoist(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

/// Runs `git` in `dir`; a failure fails the test with git's message.
pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Fails the test, showing both outputs, unless the command exited with code 0.
pub(crate) fn assert_succeeded(o: &Output) {
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(o), stderr(o));
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

/// Fails the test, listing every violation, unless `log` validates against the SARIF 2.1.0
/// schema (`tests/data/sarif`).
pub(crate) fn assert_valid_sarif(log: &serde_json::Value) {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif/sarif-schema-2.1.0.json");
    // The published schema's `language` patterns have a stray `]`
    // (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`) that the meta-schema rejects as a regex;
    // they are replaced by what they mean. Hoist does not write `language`.
    let text = std::fs::read_to_string(path).unwrap().replace(
        r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#,
        r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#,
    );
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    // The schema does reject logs: a wrong version and an unknown property.
    assert!(!validator.is_valid(&serde_json::json!({"version": "2.0.0", "runs": []})));
    assert!(!validator.is_valid(&serde_json::json!({"version": "2.1.0", "runs": [], "x": 1})));
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
}
