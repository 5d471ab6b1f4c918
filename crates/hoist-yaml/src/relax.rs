//! GitHub reads workflows with a libyaml-compatible parser, which does not hold the lines of a
//! flow collection (`[...]`, `{...}`) to the indentation of the block around it: a closing `]`
//! at the parent key's column, or an item on a line of its own further left, is accepted.
//! `saphyr-parser` follows the YAML specification and refuses such lines. When a file does
//! not parse, [`relax_flow_indentation`] indents exactly those lines enough for the
//! specification and records how much, so the tree's positions can be moved back to the
//! user's columns.

use hoist_diagnostics::{Position, Span};

use crate::tree::{Node, NodeKind};

/// The re-indented text, and for each line (0-based) the spaces added at its start.
#[derive(Debug)]
pub(crate) struct Relaxed {
    pub(crate) text: String,
    padding: Vec<u32>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
}

/// `None` when no line needs to move.
pub(crate) fn relax_flow_indentation(source: &str) -> Option<Relaxed> {
    let mut out = String::with_capacity(source.len() + 64);
    let mut padding = Vec::new();
    let mut depth = 0usize;
    let mut quote = Quote::None;
    // The indentation of the line a flow collection opened on; its lines must go deeper.
    let mut flow_indent = 0usize;
    // Inside a block scalar (`|`, `>`): the indentation of its header line.
    let mut block_scalar: Option<usize> = None;
    let mut changed = false;
    for line in source.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let blank = line.trim().is_empty();
        if let Some(header) = block_scalar {
            if blank || indent > header {
                out.push_str(line);
                padding.push(0);
                continue;
            }
            block_scalar = None;
        }
        let mut pad = 0;
        if (depth > 0 || quote != Quote::None) && !blank && indent <= flow_indent {
            pad = flow_indent + 1 - indent;
            changed = true;
        }
        padding.push(pad as u32);
        out.extend(std::iter::repeat_n(' ', pad));
        out.push_str(line);

        // Follow quotes, brackets and comments through the line.
        let content = line.trim_end_matches(['\n', '\r']);
        let bytes = content.as_bytes();
        let mut prev_significant = None::<u8>;
        let mut i = indent;
        while i < bytes.len() {
            let c = bytes[i];
            match quote {
                Quote::Single => {
                    if c == b'\'' {
                        if bytes.get(i + 1) == Some(&b'\'') {
                            i += 1;
                        } else {
                            quote = Quote::None;
                        }
                    }
                }
                Quote::Double => {
                    if c == b'\\' {
                        i += 1;
                    } else if c == b'"' {
                        quote = Quote::None;
                    }
                }
                Quote::None => {
                    // A quote opens a scalar only where a scalar may begin.
                    let at_start = matches!(
                        prev_significant,
                        None | Some(b'[' | b'{' | b',' | b':' | b'-' | b'?')
                    ) && (i == 0
                        || bytes[i - 1] == b' '
                        || matches!(bytes[i - 1], b'[' | b'{' | b','));
                    match c {
                        b'#' if i == 0 || bytes[i - 1] == b' ' || bytes[i - 1] == b'\t' => break,
                        b'\'' if at_start => quote = Quote::Single,
                        b'"' if at_start => quote = Quote::Double,
                        b'[' | b'{' if at_start || depth > 0 => {
                            if depth == 0 {
                                flow_indent = indent + pad;
                            }
                            depth += 1;
                        }
                        b']' | b'}' if depth > 0 => depth -= 1,
                        _ => {}
                    }
                }
            }
            if c != b' ' && c != b'\t' {
                prev_significant = Some(c);
            }
            i += 1;
        }
        if depth == 0 && quote == Quote::None && is_block_scalar_header(content) {
            block_scalar = Some(indent + pad);
        }
    }
    changed.then_some(Relaxed { text: out, padding })
}

/// Whether the line ends with a block scalar indicator (`key: |`, `- >-`, `run: |2`), a
/// comment after it allowed.
fn is_block_scalar_header(line: &str) -> bool {
    let without_comment = match line.find(" #") {
        Some(at) => &line[..at],
        None => line,
    };
    let t = without_comment.trim_end();
    let indicator = t.trim_end_matches(|c: char| c == '+' || c == '-' || c.is_ascii_digit());
    (indicator.ends_with('|') || indicator.ends_with('>'))
        && indicator[..indicator.len() - 1]
            .chars()
            .last()
            .is_none_or(|c| c == ' ' || c == ':' || c == '-')
}

impl Relaxed {
    fn position(&self, p: Position) -> Position {
        let pad = self
            .padding
            .get(p.line.saturating_sub(1) as usize)
            .copied()
            .unwrap_or(0);
        Position::new(p.line, p.column.saturating_sub(pad).max(1))
    }

    pub(crate) fn span(&self, s: Span) -> Span {
        Span::new(self.position(s.start), self.position(s.end))
    }

    /// Moves every position of the tree back to the user's columns.
    pub(crate) fn restore(&self, node: &mut Node) {
        node.span = self.span(node.span);
        match &mut node.kind {
            NodeKind::Scalar(_) => {}
            NodeKind::Sequence(items) => items.iter_mut().for_each(|n| self.restore(n)),
            NodeKind::Mapping(pairs) => {
                for (k, v) in pairs {
                    self.restore(k);
                    self.restore(v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::relax_flow_indentation;

    fn check(source: &str, expect: Option<&str>) {
        let relaxed = relax_flow_indentation(source).map(|r| r.text);
        assert_eq!(relaxed.as_deref(), expect, "{source:?}");
    }

    #[test]
    fn indents_only_flow_lines_left_of_their_collection() {
        check("a:\n  os: [ x,\n  y ]\n", Some("a:\n  os: [ x,\n   y ]\n"));
        check(
            "a:\n  env: {A: 1,\n  B: 2\n  }\n",
            Some("a:\n  env: {A: 1,\n   B: 2\n   }\n"),
        );
        // Deep enough already, or not in a flow collection: untouched.
        check("a:\n  os: [\n    x\n    ]\n", None);
        check("a: [x]\nb: 1\n", None);
        // Brackets in block scalars, quotes and comments do not count.
        check("run: |\n  echo [\nb: 1\n", None);
        check("a: 'it''s [' \nb: 1\n", None);
        check("a: echo # [\nb: 1\n", None);
        check("a: \"[\"\nb: 1\n", None);
        check("a: don't [\n", None);
    }
}
