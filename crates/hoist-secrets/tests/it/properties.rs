//! The configuration loader and the scanner never panic, whatever they are given.

use hoist_secrets::Scanner;
use proptest::prelude::*;

use crate::{gitleaks_config, load};

/// The number of cases: `PROPTEST_CASES` for a long fuzzing run, else a CI-sized default.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const PIECES: &[&str] = &[
    "[[rules]]\n",
    "id = 'r'\n",
    "regex = '''",
    "'''\n",
    "(a|b",
    "{2,",
    "}",
    "[",
    "]",
    "\\",
    "secretGroup = 9\n",
    "entropy = 3.5\n",
    "keywords = ['x']\n",
    "[[allowlists]]\n",
    "condition = 'AND'\n",
    "regexTarget = 'line'\n",
    "stopwords = ['a']\n",
    "[extend]\n",
    "useDefault = true\n",
    "path = 'nope.toml'\n",
    "\"",
    "=",
    "\n",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(2000), ..ProptestConfig::default() })]

    #[test]
    fn config_loader_never_panics(parts in proptest::collection::vec(0..PIECES.len(), 0..30)) {
        let text: String = parts.iter().map(|i| PIECES[*i]).collect();
        let _ = load("fuzz.toml", &text);
    }

    #[test]
    fn arbitrary_config_text_never_panics(text in "\\PC{0,200}") {
        let _ = load("fuzz.toml", &text);
    }

    #[test]
    fn scanner_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = Scanner::new(hoist_secrets::builtin_config()).scan("f", &text, None);
    }
}

/// Runs `property` on texts generated from the regex `shape` (proptest's string strategy).
fn for_texts_like(
    shape: &str,
    property: impl Fn(String) -> Result<(), proptest::test_runner::TestCaseError>,
) {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: cases(300),
        ..ProptestConfig::default()
    });
    runner.run(&shape, property).unwrap();
}

#[test]
fn gitleaks_rules_never_panic_on_random_text() {
    let scanner = Scanner::new(gitleaks_config());
    for_texts_like(
        "(key|token|secret|AKIA|ghp_|xoxb-|=|:|\"|'|[A-Za-z0-9]{1,12}| |\n){0,60}",
        |text| {
            let _ = scanner.scan("f.txt", &text, None);
            Ok(())
        },
    );
}

/// Searching only around keywords finds exactly what searching whole texts finds.
#[test]
fn keyword_windows_change_no_finding() {
    let windowed = Scanner::new(gitleaks_config());
    let whole = Scanner::new(gitleaks_config()).searching_whole_texts();
    for_texts_like(
        "(api_key|KEY|token|Secret|passwd|password|auth|AKIA|ghp_|xoxb-|glpat-|sk-|=|: |:=|\"|'|`|;|[A-Za-z0-9]{4,40}|[a-f0-9]{32}|é|ſ|\u{212A}| |\t|\n|\\\\n){0,80}",
        |text| {
            let a = windowed.scan("f.txt", &text, None);
            let b = whole.scan("f.txt", &text, None);
            prop_assert_eq!(a, b, "{:?}", text);
            Ok(())
        },
    );
}
