//! The example pipeline that mirrors the seed document: clean as written, and every planted
//! error found at its line and column in the broken copy.

use crate::{check_snapshot, data_dir, render_check};

fn workflows(kind: &str) -> Vec<std::path::PathBuf> {
    let dir = data_dir()
        .join("pipeline")
        .join(kind)
        .join(".github/workflows");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn seed_pipeline_checks_clean() {
    let files = workflows("valid");
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "ci.yml",
        "reusable-build.yml",
        "ci-remote.yml",
        "infra-terraform.yml",
        "db-guardrails.yml",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} is missing from the example"
        );
    }
    for file in &files {
        let (rendered, count) = render_check(file, &file.display().to_string());
        assert_eq!(count, 0, "{rendered}");
    }
}

#[test]
fn broken_pipeline_reports_every_planted_error() {
    let mut all = String::new();
    for file in workflows("broken") {
        let name = format!(
            ".github/workflows/{}",
            file.file_name().unwrap().to_string_lossy()
        );
        all.push_str(&render_check(&file, &name).0);
    }
    let snapshot = data_dir().join("pipeline/broken.expected");
    check_snapshot(&snapshot, &all).unwrap();
    // The planted errors, by position and rule, independent of the wording in the snapshot.
    let planted = [
        ("api-router-service.yml:14:3", "missing-key"),
        ("api-router-service.yml:15:9", "function-unavailable"),
        ("ci-remote.yml:33:11", "reusable-workflow"),
        ("ci-remote.yml:35:7", "reusable-workflow"),
        ("ci.yml:24:27", "undefined-step"),
        ("ci.yml:40:13", "context-unavailable"),
        ("ci.yml:66:12", "needs-unknown-job"),
        ("ci.yml:67:5", "unknown-key"),
        ("ci.yml:73:27", "function-arguments"),
        ("ci.yml:87:33", "needs-not-dependency"),
        ("ci.yml:96:35", "expression-syntax"),
        ("db-guardrails.yml:7:3", "unknown-event"),
        ("db-guardrails.yml:32:12", "needs-cycle"),
        ("infra-terraform.yml:10:16", "invalid-cron"),
        ("infra-terraform.yml:32:13", "duplicate-step-id"),
        ("infra-terraform.yml:44:104", "undefined-matrix-key"),
    ];
    for (at, code) in planted {
        let found = all
            .lines()
            .any(|l| l.contains(at) && l.ends_with(&format!("[{code}]")));
        assert!(found, "planted `{code}` at {at} was not reported:\n{all}");
    }
}
