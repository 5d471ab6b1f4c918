//! Every file in `data/check/` is checked; its diagnostics must equal the `.expected` file
//! beside it. Files named `valid-*` must produce no diagnostic at all.

use crate::{check_snapshot, data_dir, render_check};

#[test]
fn check_fixtures_match_their_expected_diagnostics() {
    let dir = data_dir().join("check");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 40,
        "the fixture suite has {} files, fewer than 40",
        files.len()
    );
    let mut failures = Vec::new();
    let (mut valid, mut invalid) = (0, 0);
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let (rendered, count) = render_check(file, &name);
        if name.starts_with("valid-") {
            valid += 1;
            if count != 0 {
                failures.push(format!("{name} should be clean but reports:\n{rendered}"));
            }
            continue;
        }
        invalid += 1;
        if count == 0 {
            failures.push(format!(
                "{name} is an invalid fixture but nothing was reported"
            ));
        }
        if let Err(e) = check_snapshot(&file.with_extension("expected"), &rendered) {
            failures.push(e);
        }
    }
    assert!(
        valid >= 15 && invalid >= 25,
        "{valid} valid and {invalid} invalid fixtures"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Every code a fixture produces is in the SARIF rule table, so no rule ships unlisted.
#[test]
fn every_reported_code_is_registered() {
    let dir = data_dir().join("check");
    let registered: Vec<&str> = hoist_workflow::RULES.iter().map(|r| r.id).collect();
    let mut unregistered = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "yml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let parsed = hoist_workflow::check_workflow(&text, &crate::Directory(dir.clone()));
        for d in parsed.diagnostics {
            if !registered.contains(&d.code) {
                unregistered.insert(d.code);
            }
        }
    }
    assert!(unregistered.is_empty(), "not in RULES: {unregistered:?}");
}
