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
        let _ = BUILTIN.scan("f", &text, None);
    }
}

/// One scanner of the built-in rules for every case: building it (not scanning) was most of
/// the property's time.
static BUILTIN: std::sync::LazyLock<Scanner> =
    std::sync::LazyLock::new(|| Scanner::new(hoist_secrets::builtin_config()));

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

/// Decoding passes keep their bookkeeping straight on any text: every segment's decoded value
/// sits where it says in the next text, and every place maps back inside the original.
#[test]
fn decoding_maps_every_place_back_into_the_original() {
    use hoist_secrets::decode::{Passes, Span};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let deepest = AtomicUsize::new(0);
    for_texts_like(
        // Encodings of "key=ghp_…" (base64 once and twice, hex, percent, Unicode) among
        // pieces that look encoded but are not, and characters of more than one byte.
        "(a2V5PWdocF9BMWIyQzNkNEU1ZjZHN2g4STlqMEsxbDJNM240TzVwNlE3cjg=|YTJWNVBXZG9jRjlCTVdJeVF6TmtORVUxWmpaSE4yZzRTVGxxTUVzeGJESk5NMjQwVHpWd05sRTNjamc9|6b65793d6768705f4131623243336434|%6B%65%79%3D|\\\\u006b\\\\u0065|U\\+006B |%|\\\\|U\\+|==|[A-Za-z0-9+/_-]{1,20}|é|\n| ){0,40}",
        |text| {
            let mut passes = Passes::default();
            let mut current = text.clone();
            while let Some(next) = passes.decode(&current) {
                for s in passes.last() {
                    prop_assert_eq!(
                        next.get(s.decoded.start..s.decoded.end),
                        Some(s.value.as_str())
                    );
                    prop_assert!(current.get(s.encoded.start..s.encoded.end).is_some());
                    prop_assert!(
                        s.original.start <= s.original.end && s.original.end <= text.len()
                    );
                }
                for at in (0..next.len()).step_by(7) {
                    let o = passes.to_original(Span::new(at, (at + 5).min(next.len())));
                    prop_assert!(
                        o.start <= o.end && o.end <= text.len(),
                        "{:?} in {:?}",
                        o,
                        text
                    );
                }
                deepest.fetch_max(
                    passes.last().first().map_or(0, |s| s.depth),
                    Ordering::Relaxed,
                );
                current = next;
            }
            Ok(())
        },
    );
    assert!(
        deepest.load(Ordering::Relaxed) >= 2,
        "the texts hold nested encodings"
    );
}
