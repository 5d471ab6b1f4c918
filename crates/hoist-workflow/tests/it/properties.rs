//! The parser and checker never panic, whatever the input.

use hoist_workflow::{NoOtherWorkflows, check_workflow};
use proptest::prelude::*;

const SNIPPETS: &[&str] = &[
    "on: push\n",
    "jobs:\n",
    "  build:\n",
    "    runs-on: x\n",
    "    steps:\n",
    "      - run: echo ${{ github.sha }}\n",
    "      - uses: a/b@v1\n",
    "    needs: [a, b]\n",
    "    if: ${{ always() }}\n",
    "    strategy:\n",
    "      matrix:\n",
    "        os: [a, b]\n",
    "        include:\n",
    "          - os: c\n",
    "  schedule:\n",
    "    - cron: '* * * *'\n",
    "    with:\n",
    "      x: ${{ matrix.os }}\n",
    "&a ",
    "*a\n",
    "'",
    "\"",
    "${{",
    "}}",
    ": ",
    "- ",
    "\t",
    "[",
    "{",
];

/// The number of cases: `PROPTEST_CASES` for a long fuzzing run, else a CI-sized default.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(3000), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,300}") {
        let _ = check_workflow(&src, &NoOtherWorkflows);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = check_workflow(&String::from_utf8_lossy(&bytes), &NoOtherWorkflows);
    }

    #[test]
    fn workflow_shaped_text_never_panics(parts in proptest::collection::vec(0..SNIPPETS.len(), 0..40)) {
        let src: String = parts.iter().map(|i| SNIPPETS[*i]).collect();
        let _ = check_workflow(&src, &NoOtherWorkflows);
    }
}
