//! Maps a position inside a scalar's value back to the source, so that an error in an
//! expression inside a block scalar points at the right line and column.
//!
//! A [`Locator`] answers in time proportional to the line the position is on, not to the file
//! or the scalar: checking a workflow looks up every `${{ }}` of a long `run:` script, and
//! thousands of look-ups must not each rescan it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use hoist_diagnostics::{Position, Span};

use crate::tree::Node;

/// The source span of `needle`, which occurs in `node`'s value at character `offset`.
///
/// For one look-up; a caller with many keeps one [`Locator`].
pub fn locate_in_scalar(source: &str, node: &Node, offset: usize, needle: &str) -> Span {
    Locator::new(source).locate_in_scalar(node, offset, needle)
}

/// Like [`locate_in_scalar`], for a scalar known only by its span and value.
pub fn locate_in_span(source: &str, span: Span, value: &str, offset: usize, needle: &str) -> Span {
    Locator::new(source).locate_in_span(span, value, offset, needle)
}

/// Finds positions of a scalar's value in one source text, remembering what it learnt about
/// each scalar.
#[derive(Debug)]
pub struct Locator<'a> {
    source: &'a str,
    /// Byte offset where each line starts.
    line_starts: Vec<usize>,
    /// Per scalar (by its start), where each line of its value stands in the source.
    scalars: RefCell<HashMap<Position, Rc<ValueLines>>>,
}

/// The lines of a scalar's value, and for each the place in the source where that very text
/// stands (a block scalar's lines, a one-line plain scalar), if it stands there verbatim.
#[derive(Debug)]
struct ValueLines {
    /// Byte offset of each value line within the value.
    starts: Vec<usize>,
    /// 1-based source line and byte offset within it, per value line.
    places: Vec<Option<(usize, usize)>>,
    /// Byte offset of each character of the value (and of its end), unless it is ASCII and
    /// the two are the same.
    char_bytes: Option<Vec<usize>>,
}

impl ValueLines {
    fn byte_of(&self, value: &str, char_offset: usize) -> usize {
        match &self.char_bytes {
            None => char_offset.min(value.len()),
            Some(bytes) => bytes.get(char_offset).copied().unwrap_or(value.len()),
        }
    }
}

impl<'a> Locator<'a> {
    pub fn new(source: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        Self {
            source,
            line_starts,
            scalars: RefCell::new(HashMap::new()),
        }
    }

    /// 1-based line `n`, without its line ending (empty past the end).
    fn line(&self, n: usize) -> &'a str {
        let Some(&start) = n.checked_sub(1).and_then(|i| self.line_starts.get(i)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(n)
            .map_or(self.source.len(), |&e| e - 1);
        let line = &self.source[start..end.max(start)];
        line.strip_suffix('\r').unwrap_or(line)
    }

    /// See [`locate_in_scalar`].
    pub fn locate_in_scalar(&self, node: &Node, offset: usize, needle: &str) -> Span {
        match node.as_str() {
            Some(value) => self.locate_in_span(node.span, value, offset, needle),
            None => Span::on_line(node.span.start, needle.chars().count().max(1) as u32),
        }
    }

    /// The source span of the `len` characters at character `offset` of `node`'s value.
    pub fn locate_chars_in_scalar(&self, node: &Node, offset: usize, len: usize) -> Span {
        let Some(value) = node.as_str() else {
            return Span::on_line(node.span.start, len.max(1) as u32);
        };
        let lines = self.value_lines(node.span, value);
        let start = lines.byte_of(value, offset);
        let end = lines.byte_of(value, offset + len.max(1));
        self.locate_with(
            &lines,
            node.span,
            value,
            start,
            &value[start..end.max(start)],
        )
    }

    /// See [`locate_in_span`]. Where the value line holding the needle stands verbatim in the
    /// source, the answer is exact. Otherwise (folded or escaped text) the n-th occurrence of
    /// the needle in the value is taken to be the n-th in the source, and where the needle
    /// crosses a line break of the source, the scalar's start is the answer.
    pub fn locate_in_span(&self, span: Span, value: &str, offset: usize, needle: &str) -> Span {
        let fallback = Span::on_line(span.start, needle.chars().count().max(1) as u32);
        if needle.is_empty() {
            return fallback;
        }
        let lines = self.value_lines(span, value);
        let byte_offset = lines.byte_of(value, offset);
        self.locate_with(&lines, span, value, byte_offset, needle)
    }

    fn locate_with(
        &self,
        lines: &ValueLines,
        span: Span,
        value: &str,
        byte_offset: usize,
        needle: &str,
    ) -> Span {
        let fallback = Span::on_line(span.start, needle.chars().count().max(1) as u32);
        if needle.is_empty() {
            return fallback;
        }
        let i = lines.starts.partition_point(|&s| s <= byte_offset) - 1;
        let line_end = lines.starts.get(i + 1).map_or(value.len(), |&e| e - 1);
        if let Some((line_no, at)) = lines.places[i]
            && byte_offset + needle.len() <= line_end
        {
            let column_byte = at + (byte_offset - lines.starts[i]);
            let line = self.line(line_no);
            if line
                .get(column_byte..)
                .is_some_and(|rest| rest.starts_with(needle))
            {
                let column = line[..column_byte].chars().count() as u32 + 1;
                return Span::on_line(
                    Position::new(line_no as u32, column),
                    needle.chars().count() as u32,
                );
            }
        }
        self.nth_occurrence(span, value, byte_offset, needle)
            .unwrap_or(fallback)
    }

    fn value_lines(&self, span: Span, value: &str) -> Rc<ValueLines> {
        if let Some(known) = self.scalars.borrow().get(&span.start) {
            return known.clone();
        }
        let lines = Rc::new(self.map_value_lines(span, value));
        self.scalars.borrow_mut().insert(span.start, lines.clone());
        lines
    }

    /// Walks the value's lines and the scalar's source lines together: each value line is
    /// looked for on the next few source lines, so the walk is linear in the scalar's size.
    fn map_value_lines(&self, span: Span, value: &str) -> ValueLines {
        // How far ahead of the previous match a value line may stand: block scalars keep
        // lines one to one, so a short window only costs time on text that is not verbatim.
        const WINDOW: usize = 2;
        let first = span.start.line.max(1) as usize;
        let last = span.end.line.max(span.start.line) as usize;
        let mut starts = vec![0];
        starts.extend(value.match_indices('\n').map(|(i, _)| i + 1));
        let mut places = Vec::with_capacity(starts.len());
        let mut cursor = first;
        for (i, &start) in starts.iter().enumerate() {
            let end = starts.get(i + 1).map_or(value.len(), |&e| e - 1);
            let text = &value[start..end];
            let mut place = None;
            for line_no in cursor..=(cursor + WINDOW).min(last) {
                let line = self.line(line_no);
                // On the scalar's first line, only from its own column on.
                let from = if line_no == first {
                    byte_of_char(line, (span.start.column as usize).saturating_sub(1))
                } else {
                    0
                };
                if let Some(pos) = line[from..].find(text)
                    && (!text.is_empty() || line[from..].trim().is_empty())
                {
                    place = Some((line_no, from + pos));
                    cursor = line_no + 1;
                    break;
                }
            }
            places.push(place);
        }
        let char_bytes = (!value.is_ascii()).then(|| {
            value
                .char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(value.len()))
                .collect()
        });
        ValueLines {
            starts,
            places,
            char_bytes,
        }
    }

    /// The n-th occurrence of `needle` in the source lines of the scalar, where n counts the
    /// occurrences before `byte_offset` in the value.
    fn nth_occurrence(
        &self,
        span: Span,
        value: &str,
        byte_offset: usize,
        needle: &str,
    ) -> Option<Span> {
        let nth = value[..byte_offset].matches(needle).count();
        let first = span.start.line.max(1) as usize;
        let last = span.end.line.max(span.start.line) as usize;
        let mut seen = 0;
        for line_no in first..=last.min(self.line_starts.len()) {
            let line = self.line(line_no);
            let from = if line_no == first {
                byte_of_char(line, (span.start.column as usize).saturating_sub(1))
            } else {
                0
            };
            for (pos, _) in line[from..].match_indices(needle) {
                if seen == nth {
                    let column = line[..from + pos].chars().count() as u32 + 1;
                    return Some(Span::on_line(
                        Position::new(line_no as u32, column),
                        needle.chars().count() as u32,
                    ));
                }
                seen += 1;
            }
        }
        None
    }
}

/// The byte offset of character `n` of `line` (its end when shorter).
fn byte_of_char(line: &str, n: usize) -> usize {
    line.char_indices().nth(n).map_or(line.len(), |(i, _)| i)
}
