//! Every fixture in `tests/data/junit/` against its line in `expected.txt`.

use std::path::Path;

fn check(file: &str, expect: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/junit");
    let xml = std::fs::read_to_string(dir.join(file)).expect("fixture");
    let got = match hoist_metrics::junit::parse(&xml) {
        Ok(c) => format!(
            "{} {} {} {} {}",
            c.total, c.passed, c.failed, c.skipped, c.duration_ms
        ),
        Err(e) => format!("error {e}"),
    };
    assert_eq!(got, expect, "{file}");
}

#[test]
fn fixtures_count_as_expected() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/junit");
    let expected = std::fs::read_to_string(dir.join("expected.txt")).expect("expected.txt");
    let mut checked = 0;
    for line in expected
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (file, expect) = line.split_once(": ").expect("`file: expectation`");
        check(file, expect);
        checked += 1;
    }
    let fixtures = std::fs::read_dir(&dir)
        .expect("dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "xml"))
        })
        .count();
    assert_eq!(checked, fixtures, "every fixture has an expectation");
}

#[test]
fn arbitrary_text_never_panics() {
    let seeds = [
        "<testsuite tests=\"x\"",
        "<testcase time=\"-1\"/>",
        "<a><testcase>",
        "\u{0}<",
        "<testsuite tests=\"99999999999999999999999\"/>",
    ];
    for s in seeds {
        let _ = hoist_metrics::junit::parse(s);
    }
    // Every prefix of a real report.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/junit");
    let xml = std::fs::read_to_string(dir.join("pytest.xml")).expect("fixture");
    for (i, _) in xml.char_indices() {
        let _ = hoist_metrics::junit::parse(&xml[..i]);
    }
}
