//! `hoist expr`.

use crate::{hoist, stderr, stdout};

fn with_contexts(json: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ctx.json"), json).unwrap();
    dir
}

#[test]
fn evaluates_against_a_context_file() {
    let dir = with_contexts(
        r#"{"github": {"ref": "refs/heads/main", "event": {"commits": [{"id": "a"}, {"id": "b"}]}}, "matrix": {"os": "linux"}}"#,
    );
    let cases = [
        (
            "startsWith(github.ref, 'refs/heads/') && 'branch' || 'tag'",
            "\"branch\"",
        ),
        ("github.event.commits.*.id", "[\n  \"a\",\n  \"b\"\n]"),
        ("matrix.os == 'LINUX'", "true"),
        ("format('{0}', 0.84551240822557006)", "\"0.84551240822557\""),
        ("fromJSON('0.84551240822557006')", "0.8455124082255701"),
        ("NaN", "NaN"),
        ("github.nothing", "null"),
    ];
    for (expr, expect) in cases {
        let out = hoist(&["expr", expr, "--context-file", "ctx.json"], dir.path());
        assert_eq!(out.status.code(), Some(0), "{expr}: {}", stderr(&out));
        assert_eq!(stdout(&out).trim_end(), expect, "{expr}");
    }
}

#[test]
fn templates_interpolate() {
    let dir = with_contexts(r#"{"matrix": {"service": "api"}}"#);
    let out = hoist(
        &[
            "expr",
            "--template",
            "build-${{ matrix.service }}-${{ fromJSON('[1]') }}",
            "-c",
            "ctx.json",
        ],
        dir.path(),
    );
    assert_eq!(stdout(&out).trim_end(), "\"build-api-Array\"");
}

#[test]
fn errors_show_position_and_exit_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = hoist(&["expr", "1 = < 2"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("Unexpected symbol: '='. Located at position 3 within expression: 1 = < 2"),
        "{err}"
    );
    assert!(err.contains("  | 1 = < 2\n  |   ^\n"), "{err}");
    let missing = hoist(&["expr", "github.sha"], dir.path());
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("Unrecognized named-value: 'github'"));
    let eval = hoist(&["expr", "format('{0}')"], dir.path());
    assert_eq!(eval.status.code(), Some(1));
    assert!(stderr(&eval).contains("references more arguments than were supplied"));
}

#[test]
fn bad_context_files_are_usage_errors() {
    let dir = with_contexts("[1, 2]");
    let out = hoist(&["expr", "1", "-c", "ctx.json"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("must hold a JSON object keyed by context name"),
        "{}",
        stderr(&out)
    );
    std::fs::write(dir.path().join("ctx.json"), "{\n  \"github\": ,\n}").unwrap();
    let out = hoist(&["expr", "1", "-c", "ctx.json"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not valid JSON at line 2, column"),
        "{}",
        stderr(&out)
    );
    let out = hoist(&["expr", "1", "-c", "missing.json"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read context file `missing.json`"));
}

#[test]
fn expressions_and_templates_may_start_with_a_hyphen() {
    let dir = with_contexts(r#"{"matrix": {"n": 2}}"#);
    let cases: [&[&str]; 4] = [
        &["expr", "-1"],
        &["expr", "-c", "ctx.json", "-1 < matrix.n"],
        &["expr", "-2 < matrix.n", "-c", "ctx.json"],
        &["expr", "--template", "-${{ matrix.n }}-", "-c", "ctx.json"],
    ];
    let expected = ["-1", "true", "true", "\"-2-\""];
    for (args, expect) in cases.iter().zip(expected) {
        let out = hoist(args, dir.path());
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert_eq!(stdout(&out).trim_end(), expect, "{args:?}");
    }
}
