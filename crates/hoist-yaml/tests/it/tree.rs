//! The tree keeps positions, reports problems as diagnostics and never panics.

use expect_test::{Expect, expect};
use hoist_yaml::{Locator, Node, NodeKind, locate_in_scalar, parse};
use proptest::prelude::*;

/// Renders the tree as one line per node, `line:col kind value`, then the diagnostics.
fn check(input: &str, expect: Expect) {
    let parsed = parse(input);
    let mut out = String::new();
    if let Some(root) = &parsed.root {
        dump(root, 0, &mut out);
    }
    for d in &parsed.diagnostics {
        out.push_str(&format!(
            "! {}:{} {} [{}]\n",
            d.span.start.line, d.span.start.column, d.message, d.code
        ));
    }
    expect.assert_eq(&out);
}

fn dump(node: &Node, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    let at = format!("{}:{}", node.span.start.line, node.span.start.column);
    match &node.kind {
        NodeKind::Scalar(s) => out.push_str(&format!("{pad}{at} {:?} {:?}\n", s.style, s.value)),
        NodeKind::Sequence(items) => {
            out.push_str(&format!("{pad}{at} seq\n"));
            for i in items {
                dump(i, depth + 1, out);
            }
        }
        NodeKind::Mapping(pairs) => {
            out.push_str(&format!("{pad}{at} map\n"));
            for (k, v) in pairs {
                dump(k, depth + 1, out);
                dump(v, depth + 2, out);
            }
        }
    }
}

#[test]
fn keeps_positions_of_every_node() {
    check(
        "on: push\njobs:\n  build:\n    runs-on: [ubuntu-latest, 'self-hosted']\n",
        expect![[r#"
            1:1 map
              1:1 Plain "on"
                1:5 Plain "push"
              2:1 Plain "jobs"
                3:3 map
                  3:3 Plain "build"
                    4:5 map
                      4:5 Plain "runs-on"
                        4:14 seq
                          4:15 Plain "ubuntu-latest"
                          4:30 SingleQuoted "self-hosted"
        "#]],
    );
}

#[test]
fn reports_duplicate_keys_and_keeps_the_first() {
    check(
        "name: a\nname: b\n",
        expect![[r#"
            1:1 map
              1:1 Plain "name"
                1:7 Plain "a"
            ! 2:1 key `name` is already defined at line 1 [duplicate-key]
        "#]],
    );
}

#[test]
fn resolves_anchors_and_aliases() {
    check(
        "defaults: &d\n  shell: bash\nother: *d\n",
        expect![[r#"
            1:1 map
              1:1 Plain "defaults"
                1:11 map
                  2:3 Plain "shell"
                    2:10 Plain "bash"
              3:1 Plain "other"
                1:11 map
                  2:3 Plain "shell"
                    2:10 Plain "bash"
        "#]],
    );
}

#[test]
fn multi_line_strings_as_github_reads_them() {
    check(
        "a: |\n  one\n  two\nb: >-\n  one\n  two\nc: 'it''s'\n",
        expect![[r#"
            1:1 map
              1:1 Plain "a"
                2:3 Literal "one\ntwo\n"
              4:1 Plain "b"
                5:3 Folded "one two"
              7:1 Plain "c"
                7:4 SingleQuoted "it's"
        "#]],
    );
}

#[test]
fn syntax_errors_become_diagnostics() {
    check(
        "jobs:\n  build:\n    steps: [a, b\n",
        expect![[r#"
            ! 4:1 invalid YAML: while parsing a flow sequence, expected ',' or ']' [yaml-syntax]
        "#]],
    );
}

#[test]
fn alias_bombs_are_refused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..8 {
        let prev = format!("*a{}", i - 1);
        let items = [prev.as_str(); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{items}]\n"));
    }
    let parsed = parse(&text);
    assert!(
        parsed
            .diagnostics
            .iter()
            .any(|d| d.message.contains("aliases expand"))
    );
}

#[test]
fn locates_text_inside_block_scalars() {
    let src = "run: |\n  echo hi\n  echo ${{ matrix.x }}\n";
    let root = parse(src).root.unwrap();
    let node = root.get("run").unwrap();
    let value = node.as_str().unwrap();
    let offset = value.find("${{").unwrap();
    let span = locate_in_scalar(src, node, offset, "${{ matrix.x }}");
    assert_eq!((span.start.line, span.start.column), (3, 8));
}

#[test]
fn one_locator_finds_every_expression_of_every_scalar_style() {
    // Each case: a document, the key of the scalar, and for every `${{` of its value the
    // (line, column) where it stands in the source.
    let check = |src: &str, key: &str, expect: &[(u32, u32)]| {
        let root = parse(src).root.unwrap();
        let node = root.get(key).unwrap();
        let value = node.as_str().unwrap();
        let locator = Locator::new(src);
        let found: Vec<(u32, u32)> = value
            .match_indices("${{")
            .map(|(byte, _)| {
                let offset = value[..byte].chars().count();
                let a = locator.locate_in_scalar(node, offset, "${{");
                let b = locator.locate_chars_in_scalar(node, offset, 3);
                assert_eq!(a, b, "{src:?}");
                (a.start.line, a.start.column)
            })
            .collect();
        assert_eq!(found, expect, "{src:?}");
    };
    // Literal block: the same expression on many lines, non-ASCII text before some, a blank
    // line and a line indented deeper.
    check(
        "k: 1\nrun: |\n  a ${{ x }}\n  é ${{ x }} ${{ x }}\n\n    ${{ x }}\n  ü\n  ${{ x }}\n",
        "run",
        &[(3, 5), (4, 5), (4, 14), (6, 5), (8, 3)],
    );
    // Folded block: lines are joined with spaces in the value, still found line by line.
    check(
        "run: >\n  a ${{ x }}\n  b ${{ x }}\n",
        "run",
        &[(2, 5), (3, 5)],
    );
    // Plain, single- and double-quoted scalars, one line and several.
    check("run: echo ${{ x }} ${{ y }}\n", "run", &[(1, 11), (1, 20)]);
    check("run: 'it''s ${{ x }}'\n", "run", &[(1, 13)]);
    check("run: \"a\\tb ${{ x }}\"\n", "run", &[(1, 12)]);
    check(
        "run: echo ${{ x }}\n  and ${{ y }}\n",
        "run",
        &[(1, 11), (2, 7)],
    );
}

#[test]
fn reads_core_schema_types() {
    let root = parse("a: true\nb: 'true'\nc: 0x1f\nd: 1.5e3\ne: ~\nf: 12abc\n")
        .root
        .unwrap();
    assert_eq!(root.get("a").unwrap().as_bool(), Some(true));
    assert_eq!(root.get("b").unwrap().as_bool(), None);
    assert_eq!(root.get("c").unwrap().as_number(), Some(31.0));
    assert_eq!(root.get("d").unwrap().as_number(), Some(1500.0));
    assert!(root.get("e").unwrap().is_null());
    assert_eq!(root.get("f").unwrap().as_number(), None);
}

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
    fn arbitrary_text_never_panics(src in "\\PC{0,200}") {
        let _ = parse(&src);
    }

    #[test]
    fn yaml_shaped_text_never_panics(
        src in "([a-z]{1,5}|: |- |\n|  |\\[|\\]|\\{|\\}|, |&a |\\*a|'|\"|\\||>|#|---\n){0,40}"
    ) {
        let _ = parse(&src);
    }
}

/// A manifest stream: every document, empty ones left out, spans relative to the whole text.
fn check_stream(input: &str, expect: Expect) {
    let parsed = hoist_yaml::parse_stream(input);
    let mut out = String::new();
    for (i, doc) in parsed.documents.iter().enumerate() {
        out.push_str(&format!("# document {i}\n"));
        dump(doc, 0, &mut out);
    }
    for d in &parsed.diagnostics {
        out.push_str(&format!(
            "! {}:{} {} [{}]\n",
            d.span.start.line, d.span.start.column, d.message, d.code
        ));
    }
    expect.assert_eq(&out);
}

#[test]
fn streams_keep_every_document() {
    check_stream(
        "---\nkind: A\n---\n# only a comment\n---\nkind: B\n...\n---\n[1]\n",
        expect![[r#"
            # document 0
            2:1 map
              2:1 Plain "kind"
                2:7 Plain "A"
            # document 1
            6:1 map
              6:1 Plain "kind"
                6:7 Plain "B"
            # document 2
            9:1 seq
              9:2 Plain "1"
        "#]],
    );
    check_stream(
        "kind: A\n---\nkind: [\n",
        expect![[r##"
            # document 0
            1:1 map
              1:1 Plain "kind"
                1:7 Plain "A"
            ! 4:1 invalid YAML: while parsing a node, did not find expected node content [yaml-syntax]
        "##]],
    );
}
