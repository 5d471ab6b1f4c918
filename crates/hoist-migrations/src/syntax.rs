//! Every statement of a migration must parse as PostgreSQL, checked with squawk's parser
//! (which agrees with PostgreSQL's own on nearly all of its regression statements).

use hoist_diagnostics::{Diagnostic, Position, Span};

use crate::layout::Part;

/// Syntax errors of one part of a file, at their line and column in the file.
pub(crate) fn check(
    text: &str,
    part: &Part,
    parse: &squawk_syntax::Parse<squawk_syntax::SourceFile>,
) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = Vec::new();
    for error in parse.errors() {
        let offset = part.start + u32::from(error.range().start()) as usize;
        let at = position(text, offset);
        // The parser's later errors on a line follow from its first; one is enough.
        if out.last().is_some_and(|d| d.span.start.line == at.line) {
            continue;
        }
        out.push(
            Diagnostic::error(
                "migration-syntax",
                Span::on_line(at, 1),
                format!("invalid PostgreSQL: {}", error.message()),
            )
            .with_hint("the statement must parse as PostgreSQL would parse it"),
        );
    }
    out
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
pub(crate) fn position(text: &str, offset: usize) -> Position {
    let offset = offset.min(text.len());
    let mut at = offset;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
    let column = before[line_start..].chars().count() + 1;
    Position::new(line as u32, column as u32)
}
