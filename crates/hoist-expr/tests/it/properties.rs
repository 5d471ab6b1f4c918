//! Properties over arbitrary input: the lexer, parser and evaluator never panic.

use hoist_expr::{Object, ParseOptions, Value, evaluate, parse, parse_condition, parse_template};
use proptest::prelude::*;

fn scope() -> Object {
    let json = serde_json::json!({
        "github": {"event": {"commits": [{"id": "a"}, {"id": "b"}]}, "ref": "refs/heads/main"},
        "matrix": {"service": "api", "os": ["linux", "mac"]},
        "env": {"X": "1"},
    });
    match Value::from_json(&json) {
        Value::Object(o) => (*o).clone(),
        _ => unreachable!(),
    }
}

fn exercise(src: &str) {
    let ctx = scope();
    if let Ok(e) = parse(src, &ParseOptions::ANY_CONTEXT) {
        let _ = evaluate(e.as_ref(), &ctx);
    }
    if let Ok(t) = parse_template(src, &ParseOptions::ANY_CONTEXT) {
        let _ = t.evaluate(&ctx);
    }
    let _ = parse_condition(src, &ParseOptions::ANY_CONTEXT);
}

/// The number of cases: `PROPTEST_CASES` for a long fuzzing run, else a CI-sized default.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(4000), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,60}") {
        exercise(&src);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        exercise(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn expression_shaped_text_never_panics(
        src in "([a-z]{1,6}|'[^']{0,4}'|[0-9.e+-]{1,5}|[()\\[\\],.!*<>=&|]{1,2}| |\\$\\{\\{|\\}\\}){0,25}"
    ) {
        exercise(&src);
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let deep = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
    let err = parse(&deep, &ParseOptions::ANY_CONTEXT).unwrap_err();
    assert!(err.message.contains("depth"), "{}", err.message);
    let bangs = format!("{}true", "!".repeat(10_000));
    assert!(parse(&bangs, &ParseOptions::ANY_CONTEXT).is_err());
}
