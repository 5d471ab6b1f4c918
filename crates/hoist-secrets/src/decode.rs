//! Encoded text decoded in passes, the way gitleaks 8.30 does before it scans again: runs of
//! percent escapes, Unicode escapes (`\u0041`, `U+0041`), hex of 32 digits or more and
//! base64 (standard with padding, or URL-safe without) of 16 characters or more are replaced
//! by what they decode to, and the result is decoded again, up to a depth.
//!
//! Every pass keeps its segments: where each run was in the text it came from, where its
//! decoded value sits in the new text, and where it came from in the original text. A match
//! in decoded text is reported at that original place, and only when it overlaps a segment
//! of the pass that found it (otherwise an earlier pass already saw it).

mod codec;
mod runs;

/// How a segment is encoded, in gitleaks' order of precedence (highest first): when two
/// runs touch, the lower one waits for the next pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Encoding {
    Percent,
    Unicode,
    Hex,
    Base64,
}

impl Encoding {
    const ALL: [Encoding; 4] = [
        Encoding::Percent,
        Encoding::Unicode,
        Encoding::Hex,
        Encoding::Base64,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Encoding::Percent => "percent",
            Encoding::Unicode => "unicode",
            Encoding::Hex => "hex",
            Encoding::Base64 => "base64",
        }
    }

    fn precedence(self) -> u8 {
        match self {
            Encoding::Percent => 4,
            Encoding::Unicode => 3,
            Encoding::Hex => 2,
            Encoding::Base64 => 1,
        }
    }

    fn bit(self) -> u8 {
        1 << (4 - self.precedence())
    }

    /// The encodings whose bits are set in `bits`, in gitleaks' order.
    fn among(bits: u8) -> impl Iterator<Item = Encoding> {
        Encoding::ALL
            .into_iter()
            .filter(move |e| bits & e.bit() != 0)
    }

    fn decode(self, encoded: &str) -> Option<String> {
        let decoded = match self {
            Encoding::Percent => codec::percent(encoded)?,
            Encoding::Unicode => codec::unicode(encoded),
            Encoding::Hex => codec::hex(encoded)?,
            Encoding::Base64 => codec::base64(encoded)?,
        };
        (!decoded.is_empty()).then_some(decoded)
    }
}

/// A byte range. Two spans overlap when they share a byte or touch, as in gitleaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    pub fn overlaps(self, other: Span) -> bool {
        other.start <= self.end && other.end >= self.start
    }

    fn contains(self, other: Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    fn merge(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// `inner`, which overlaps this decoded span, moved onto `encoded`: the part inside
    /// becomes all of `encoded`, what sticks out on either side is kept.
    fn onto(self, encoded: Span, inner: Span) -> Span {
        Span::new(
            encoded
                .start
                .saturating_sub(self.start.saturating_sub(inner.start)),
            encoded.end + inner.end.saturating_sub(self.end),
        )
    }
}

/// One encoded run that a pass decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// The encodings it went through, its own and those of the segments it was cut from.
    encodings: u8,
    /// The pass that decoded it, from 1.
    pub depth: usize,
    /// Where it was in the original text.
    pub original: Span,
    /// Where it was in the text the pass decoded.
    pub encoded: Span,
    /// Where its decoded value is in the text the pass produced.
    pub decoded: Span,
    pub value: String,
}

impl Segment {
    pub fn encodings(&self) -> impl Iterator<Item = Encoding> + '_ {
        Encoding::among(self.encodings)
    }
}

/// The passes of decoding over one text so far.
#[derive(Debug, Default)]
pub struct Passes {
    passes: Vec<Vec<Segment>>,
}

impl Passes {
    /// Decodes `text`, the text the last pass produced (the original text at first), and
    /// returns the next text; `None` when nothing in it decodes.
    pub fn decode(&mut self, text: &str) -> Option<String> {
        let mut segments = Vec::new();
        let mut out = String::new();
        let mut copied = 0;
        let depth = self.passes.len() + 1;
        for (encoding, encoded) in runs(text) {
            let Some(value) = encoding.decode(&text[encoded.start..encoded.end]) else {
                continue;
            };
            if out.is_empty() {
                out.reserve(text.len());
            }
            out.push_str(&text[copied..encoded.start]);
            let decoded = Span::new(out.len(), out.len() + value.len());
            out.push_str(&value);
            copied = encoded.end;
            let inherited = self.overlapping(encoded);
            segments.push(Segment {
                encodings: inherited
                    .iter()
                    .fold(encoding.bit(), |bits, p| bits | p.encodings),
                depth,
                original: self.to_original(encoded),
                encoded,
                decoded,
                value,
            });
        }
        if segments.is_empty() {
            return None;
        }
        out.push_str(&text[copied..]);
        self.passes.push(segments);
        Some(out)
    }

    /// The segments of the last pass.
    pub fn last(&self) -> &[Segment] {
        self.passes.last().map_or(&[], Vec::as_slice)
    }

    /// The segments of the last pass that `span` (of the last pass's text) overlaps.
    pub fn overlapping(&self, span: Span) -> &[Segment] {
        overlapping(self.last(), span)
    }

    /// Where `span` of the last pass's text was in the original text: wholly inside one
    /// segment, that segment's original place; across segments, the union of theirs with
    /// the parts outside them carried along.
    pub fn to_original(&self, span: Span) -> Span {
        let mut span = span;
        for pass in self.passes.iter().rev() {
            let mut encoded: Option<Span> = None;
            for p in overlapping(pass, span) {
                if p.decoded.contains(span) {
                    return p.original;
                }
                let moved = p.decoded.onto(p.encoded, span);
                encoded = Some(encoded.map_or(moved, |e| e.merge(moved)));
            }
            match encoded {
                Some(e) => span = e,
                None => return span,
            }
        }
        span
    }

    /// gitleaks' tags for a match overlapping `segments`: `decoded:<encoding>` for every
    /// encoding they went through, then `decode-depth:<n>`.
    pub fn tags<'s>(segments: impl IntoIterator<Item = &'s Segment>) -> Vec<String> {
        let mut bits = 0;
        let mut depth = 0;
        for s in segments {
            bits |= s.encodings;
            depth = s.depth;
        }
        let mut tags: Vec<String> = Encoding::among(bits)
            .map(|e| format!("decoded:{}", e.name()))
            .collect();
        tags.push(format!("decode-depth:{depth}"));
        tags
    }

    /// The decoded line around `segments` in `text` (the last pass's text), which allowlists
    /// with `regexTarget = "line"` see; `newlines` are the offsets of the text's newlines, in
    /// order. As gitleaks, it keeps the newline before it.
    pub fn line<'t, 's>(
        text: &'t str,
        newlines: &[usize],
        segments: impl IntoIterator<Item = &'s Segment>,
    ) -> &'t str {
        let Some(span) = segments.into_iter().map(|s| s.decoded).reduce(Span::merge) else {
            return text;
        };
        // The last newline at or before the start, and the first at or after the end.
        let before = newlines.partition_point(|&n| n <= span.start);
        let start = before.checked_sub(1).map_or(0, |i| newlines[i]);
        let after = newlines.partition_point(|&n| n < span.end);
        let end = newlines.get(after).map_or(text.len(), |&n| n);
        text.get(start..end).unwrap_or(text)
    }
}

/// The segments of one pass whose decoded values `span` overlaps. A pass's segments are in
/// order and apart, so a binary search finds the first.
fn overlapping(segments: &[Segment], span: Span) -> &[Segment] {
    let first = segments.partition_point(|s| s.decoded.end < span.start);
    let past = segments.partition_point(|s| s.decoded.start <= span.end);
    &segments[first..past.max(first)]
}

/// The runs of `text` worth decoding, in order: every encoded-looking run, less those that
/// touch a neighbour of higher precedence (left for the next pass).
fn runs(text: &str) -> Vec<(Encoding, Span)> {
    let found = runs::find(text);
    if found.len() == 1 {
        return found;
    }
    let outranked_by = |j: usize, i: usize| {
        found[j].1.overlaps(found[i].1) && found[j].0.precedence() > found[i].0.precedence()
    };
    let waits = |i: usize| {
        (i > 0 && outranked_by(i - 1, i)) || (i + 1 < found.len() && outranked_by(i + 1, i))
    };
    (0..found.len())
        .filter(|&i| !waits(i))
        .map(|i| found[i])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{Encoding, Passes, Span, runs};

    /// `(encoding, encoded text, decoded text)` for every segment one pass decodes in `text`.
    fn check(text: &str, expect: &[(Encoding, &str, &str)]) {
        let mut passes = Passes::default();
        passes.decode(text);
        let got: Vec<(Encoding, String, String)> = passes
            .last()
            .iter()
            .map(|s| {
                let encoding = s.encodings().next().unwrap_or(Encoding::Base64);
                let encoded = text[s.encoded.start..s.encoded.end].to_owned();
                (encoding, encoded, s.value.clone())
            })
            .collect();
        let expect: Vec<(Encoding, String, String)> = expect
            .iter()
            .map(|(e, enc, dec)| (*e, (*enc).to_owned(), (*dec).to_owned()))
            .collect();
        assert_eq!(got, expect, "{text}");
    }

    #[test]
    fn base64_standard_and_url_safe() {
        // "my-deploy-token-value" in standard base64, inside an assignment.
        check(
            "token: bXktZGVwbG95LXRva2VuLXZhbHVl ok",
            &[(
                Encoding::Base64,
                "bXktZGVwbG95LXRva2VuLXZhbHVl",
                "my-deploy-token-value",
            )],
        );
        // Padding is required for the standard alphabet...
        check(
            "x=c2VjcmV0LXZhbHVlLTEyMw==",
            &[(
                Encoding::Base64,
                "c2VjcmV0LXZhbHVlLTEyMw==",
                "secret-value-123",
            )],
        );
        // ...and the URL-safe one is unpadded: "??>>secret??>>" has `-` and `_` there.
        check(
            "Pz8-PnNlY3JldD8_Pj4",
            &[(Encoding::Base64, "Pz8-PnNlY3JldD8_Pj4", "??>>secret??>>")],
        );
        // Decodes to bytes that are not printable: left alone.
        check("AAECAwQFBgcICQoLDA0ODw==", &[]);
        // Long identifiers without digits or `+/-_` are not tried.
        check("averyveryverylongidentifiername", &[]);
    }

    #[test]
    fn hex_percent_and_unicode() {
        // "this is a hex secret." in hex.
        check(
            "v=74686973206973206120686578207365637265742e",
            &[(
                Encoding::Hex,
                "74686973206973206120686578207365637265742e",
                "this is a hex secret.",
            )],
        );
        // An odd number of digits does not decode.
        check("74686973206973206120686578207365637265742", &[]);
        // A percent run reaches from the first escape to the last on its line.
        check("a%3Db%26c", &[(Encoding::Percent, "%3Db%26", "=b&")]);
        // A control character makes the run not decode.
        check("%00%41", &[]);
        check(
            r#"s = "\u0068\u0069\\u0021""#,
            &[(Encoding::Unicode, r"\u0068\u0069\\u0021", "hi!")],
        );
        check(
            "U+0068 U+0069 U+00E9 end",
            &[(Encoding::Unicode, "U+0068 U+0069 U+00E9 ", "hié")],
        );
        // A surrogate names no character.
        check(
            r"\uD800\u0041",
            &[(Encoding::Unicode, r"\uD800\u0041", "\u{FFFD}A")],
        );
    }

    #[test]
    fn a_run_touching_a_higher_precedence_run_waits() {
        // The base64-looking run ends where a percent escape starts: percent goes first,
        // and the next pass sees the base64 with its padding.
        let text = "c2VjcmV0LXZhbHVlLTEyMw%3D%3D";
        let found = runs(text);
        assert_eq!(found, vec![(Encoding::Percent, Span::new(22, 28))]);
        let mut passes = Passes::default();
        let once = passes.decode(text);
        assert_eq!(once.as_deref(), Some("c2VjcmV0LXZhbHVlLTEyMw=="));
        let twice = passes.decode("c2VjcmV0LXZhbHVlLTEyMw==");
        assert_eq!(twice.as_deref(), Some("secret-value-123"));
    }

    #[test]
    fn the_line_of_a_segment_keeps_the_newline_before_it() {
        let mut passes = Passes::default();
        let text = passes
            .decode("first\nk = dG9rZW46IGhlbGxvLXdvcmxkLTEyMzQ1 end\nlast")
            .unwrap_or_default();
        let newlines: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
        assert_eq!(
            Passes::line(&text, &newlines, passes.last()),
            "\nk = token: hello-world-12345 end"
        );
        // On the first line there is no newline before.
        let text = passes
            .decode("dG9rZW46IGhlbGxvLXdvcmxkLTEyMzQ1")
            .unwrap_or_default();
        assert_eq!(
            Passes::line(&text, &[], passes.last()),
            "token: hello-world-12345"
        );
    }

    #[test]
    fn matches_map_back_to_the_original_text() {
        // base64 of base64 of "key: hunter2-hunter2-hunter2".
        let inner = "a2V5OiBodW50ZXIyLWh1bnRlcjItaHVudGVyMg==";
        let outer = "YTJWNU9pQm9kVzUwWlhJeUxXaDFiblJsY2pJdGFIVnVkR1Z5TWc9PQ==";
        let text = format!("x = {outer} y");
        let mut passes = Passes::default();
        let first = passes.decode(&text).unwrap_or_default();
        assert_eq!(first, format!("x = {inner} y"));
        let second = passes.decode(&first).unwrap_or_default();
        assert_eq!(second, "x = key: hunter2-hunter2-hunter2 y");
        let whole = Span::new(4, 4 + outer.len());
        // A match inside the twice-decoded value maps to the whole outer run.
        let at = second.find("hunter2").unwrap_or_default();
        assert_eq!(passes.to_original(Span::new(at, at + 7)), whole);
        // One that starts before it keeps its start outside.
        assert_eq!(
            passes.to_original(Span::new(2, at + 7)),
            Span::new(2, whole.end)
        );
        assert_eq!(
            Passes::tags(passes.overlapping(Span::new(at, at + 7))),
            vec!["decoded:base64", "decode-depth:2"]
        );
        // Text outside every segment stays where it is.
        assert_eq!(passes.to_original(Span::new(0, 1)), Span::new(0, 1));
    }
}
