//! Every file in `data/check/` is checked; its diagnostics must equal the `.expected` file
//! beside it. Files named `valid-*` must produce no diagnostic at all.

use hoist_workflow::check_workflow;

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

/// A workflow of `length` UTF-16 code units: a valid file padded with a comment of `pad`.
fn workflow_of_length(length: usize, pad: char) -> String {
    let head =
        "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n# ";
    let room = length - head.encode_utf16().count();
    let mut text = head.to_owned();
    text.extend(std::iter::repeat_n(pad, room / pad.len_utf16()));
    text.extend(std::iter::repeat_n('x', room % pad.len_utf16()));
    assert_eq!(text.encode_utf16().count(), length);
    text
}

/// GitHub reads at most 1,048,576 characters as .NET counts them (UTF-16 code units): the
/// limit itself passes, one more fails at the first line, and the count is not of bytes.
#[test]
fn files_longer_than_github_reads_are_refused_at_their_first_line() {
    let codes = |text: &str| -> Vec<(String, u32)> {
        check_workflow(text, &hoist_workflow::NoOtherWorkflows)
            .diagnostics
            .iter()
            .map(|d| (d.code.to_string(), d.span.start.line))
            .collect()
    };
    const LIMIT: usize = 1024 * 1024;
    assert_eq!(codes(&workflow_of_length(LIMIT, 'x')), vec![]);
    // `é` is two bytes but one code unit: 1.9 MB of them is still within the limit.
    assert_eq!(codes(&workflow_of_length(LIMIT, 'é')), vec![]);
    assert_eq!(
        codes(&workflow_of_length(LIMIT + 1, 'x')),
        vec![("max-file-size".to_owned(), 1)]
    );
    // An emoji is two code units, so half as many of them pass the limit.
    assert_eq!(
        codes(&workflow_of_length(LIMIT + 2, '🚀')),
        vec![("max-file-size".to_owned(), 1)]
    );
    let parsed = check_workflow(
        &workflow_of_length(LIMIT + 1, 'x'),
        &hoist_workflow::NoOtherWorkflows,
    );
    assert!(
        parsed.diagnostics[0]
            .message
            .contains("The maximum file size of 1048576 characters has been exceeded"),
        "{}",
        parsed.diagnostics[0].message
    );
}
