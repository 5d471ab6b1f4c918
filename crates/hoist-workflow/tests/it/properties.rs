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

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,300}") {
        let _ = check_workflow(&src, &NoOtherWorkflows);
    }

    #[test]
    fn workflow_shaped_text_never_panics(parts in proptest::collection::vec(0..SNIPPETS.len(), 0..40)) {
        let src: String = parts.iter().map(|i| SNIPPETS[*i]).collect();
        let _ = check_workflow(&src, &NoOtherWorkflows);
    }
}
