//! Maps a position inside a scalar's value back to the source, so that an error in an
//! expression inside a block scalar points at the right line and column.

use hoist_diagnostics::{Position, Span};

use crate::tree::Node;

/// The source span of `needle`, which occurs in `node`'s value at character `offset`.
///
/// Searches the source lines the node covers for the same occurrence of `needle` (the n-th
/// occurrence in the value is taken to be the n-th in the source). Falls back to the node's
/// start when the needle crosses a line break in the source (folded scalars) or was escaped.
pub fn locate_in_scalar(source: &str, node: &Node, offset: usize, needle: &str) -> Span {
    match node.as_str() {
        Some(value) => locate_in_span(source, node.span, value, offset, needle),
        None => Span::on_line(node.span.start, needle.chars().count().max(1) as u32),
    }
}

/// Like [`locate_in_scalar`], for a scalar known only by its span and value.
pub fn locate_in_span(source: &str, span: Span, value: &str, offset: usize, needle: &str) -> Span {
    let fallback = Span::on_line(span.start, needle.chars().count().max(1) as u32);
    if needle.is_empty() {
        return fallback;
    }
    let byte_offset = value
        .char_indices()
        .nth(offset)
        .map_or(value.len(), |(i, _)| i);
    let nth = value[..byte_offset].matches(needle).count();
    let first = span.start.line as usize;
    let last = span.end.line.max(span.start.line) as usize;
    let mut seen = 0;
    for (index, line) in source.lines().enumerate().skip(first.saturating_sub(1)) {
        let line_no = index + 1;
        if line_no > last {
            break;
        }
        // On the first line, only look from the node's own column on.
        let from_char = if line_no == first {
            (span.start.column as usize).saturating_sub(1)
        } else {
            0
        };
        let from_byte = line
            .char_indices()
            .nth(from_char)
            .map_or(line.len(), |(i, _)| i);
        for (pos, _) in line[from_byte..].match_indices(needle) {
            if seen == nth {
                let column = line[..from_byte + pos].chars().count() as u32 + 1;
                return Span::on_line(
                    Position::new(line_no as u32, column),
                    needle.chars().count() as u32,
                );
            }
            seen += 1;
        }
    }
    fallback
}
