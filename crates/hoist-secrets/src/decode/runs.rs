//! Finding the runs of text that look encoded, with the semantics of gitleaks' one combined
//! pattern (leftmost-first, alternatives in order of precedence):
//!
//! ```text
//! %[0-9A-Fa-f]{2}(?:.*%[0-9A-Fa-f]{2})?                                  percent
//! (?:U\+[a-fA-F0-9]{4}(?:\s|$))+ | (?i)(?:\\{1,2}u[a-fA-F0-9]{4})+      unicode
//! [0-9A-Fa-f]{32,}                                                       hex
//! [\w/+-]{16,}={0,2}                                                     base64
//! ```
//!
//! written as a scanner that skips what cannot begin a match: a regex engine spends most of
//! its time here building automaton states for the counted repetitions, and this runs on
//! every byte of every scanned file. A test checks the scanner against the pattern on random
//! text.

use super::{Encoding, Span};

/// `[\w/+-]`, with Go's ASCII `\w`.
const BASE64_SHAPED: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || matches!(b, b'_' | b'/' | b'+' | b'-');
        c += 1;
    }
    t
};

fn base64_shaped(c: u8) -> bool {
    BASE64_SHAPED[usize::from(c)]
}

/// Go's `\s`: `[\t\n\f\r ]`.
fn space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0C | b'\r' | b' ')
}

fn hex_pair(b: &[u8], at: usize) -> bool {
    at + 2 <= b.len() && b[at].is_ascii_hexdigit() && b[at + 1].is_ascii_hexdigit()
}

/// Every match of the pattern in `text`, in order, with the alternative that matched.
///
/// A match can only begin at `%`, `\`, `U+`, or where 16 base64-shaped bytes follow. The
/// first three are found with `memchr` (`+`, then a look back for `U`); the last by looking
/// at the text eight bytes at a time, since a run of 16 holds a whole aligned word of eight.
pub(super) fn find(text: &str) -> Vec<(Encoding, Span)> {
    let b = text.as_bytes();
    let mut found = Vec::new();
    let mut p = 0;
    // The next `%`, `\\` or `+` at or after `p`; the length of the text when there is none.
    let next_special =
        |p: usize| memchr::memchr3(b'%', b'\\', b'+', &b[p..]).map_or(b.len(), |i| p + i);
    let mut special = next_special(0);
    while p < b.len() {
        if special < p {
            special = next_special(p);
        }
        let limit = special;
        let hit = if let Some((start, end)) = long_run(b, p, limit) {
            match shaped_at(b, start, end) {
                Some(hit) => hit,
                None => {
                    p = end;
                    continue;
                }
            }
        } else {
            let q = special;
            if q == b.len() {
                break;
            }
            let hit = match b[q] {
                b'%' => percent_at(b, q).map(|end| (q, Encoding::Percent, end)),
                b'\\' => escapes_at(b, q).map(|end| (q, Encoding::Unicode, end)),
                // `+`: a code point if `U` is before it, in a run that may be base64 too.
                _ if q > p && b[q - 1] == b'U' => {
                    let start = run_start(b, q - 1, p);
                    let end = run_end(b, q);
                    match shaped_at(b, start, end) {
                        Some(hit) => Some(hit),
                        None => {
                            p = end;
                            continue;
                        }
                    }
                }
                _ => None,
            };
            match hit {
                Some(hit) => hit,
                None => {
                    p = q + 1;
                    continue;
                }
            }
        };
        let (start, encoding, end) = hit;
        found.push((encoding, Span::new(start, end)));
        p = end;
    }
    found
}

/// The first run of 16 or more base64-shaped bytes that starts at or after `p` and no later
/// than `limit`, as `start..end` (cut at `p`). (A run can start at `limit` when it is `+`.)
fn long_run(b: &[u8], p: usize, limit: usize) -> Option<(usize, usize)> {
    // A run starting before `limit` holds a whole word before `limit + 16`.
    let stop = limit.saturating_add(16).min(b.len());
    let mut w = p & !7;
    while w + 8 <= stop {
        let word = u64::from_le_bytes(b[w..w + 8].try_into().unwrap_or_default());
        if !all_base64_shaped(word) {
            w += 8;
            continue;
        }
        let start = run_start(b, w.max(p), p);
        if start > limit {
            return None;
        }
        let end = run_end(b, w + 8);
        if end - start >= 16 {
            return Some((start, end));
        }
        // The byte at `end` is not base64-shaped, so neither is its word.
        w = (end & !7) + 8;
    }
    None
}

/// Whether all eight bytes of `word` are base64-shaped: a test of the range `+`..`z` on all
/// of them at once rules out most words of code (spaces, brackets, quotes), then each byte.
fn all_base64_shaped(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low = word & !HIGH;
    // Per byte, without carries: the high bit says `low >= '+'`, then `low <= 'z'`.
    let at_least = low + ONES * u64::from(0x80 - b'+');
    let at_most = !(low + ONES * u64::from(0x7F - b'z'));
    at_least & at_most & !word & HIGH == HIGH && word.to_le_bytes().into_iter().all(base64_shaped)
}

/// Where the run of base64-shaped bytes holding `at` starts, not before `floor`.
fn run_start(b: &[u8], at: usize, floor: usize) -> usize {
    b[floor..at]
        .iter()
        .rposition(|&c| !base64_shaped(c))
        .map_or(floor, |i| floor + i + 1)
}

/// Where the run of base64-shaped bytes going on at `from` ends.
fn run_end(b: &[u8], from: usize) -> usize {
    b[from..]
        .iter()
        .position(|&c| !base64_shaped(c))
        .map_or(b.len(), |i| from + i)
}

/// The leftmost match that starts inside the run of base64-shaped bytes `start..run_end`:
/// where it starts, what it is and where it ends. A run of 16 or more matches at its start
/// (hex, if 32 hex digits begin it, else base64 unless `U+XXXX` does); a shorter run can
/// only hold code points.
fn shaped_at(b: &[u8], start: usize, run_end: usize) -> Option<(usize, Encoding, usize)> {
    for q in start..run_end {
        if b[q] == b'U'
            && let Some(end) = code_points_at(b, q)
        {
            return Some((q, Encoding::Unicode, end));
        }
        if run_end - q < 16 {
            continue;
        }
        let hex = b[q..run_end]
            .iter()
            .position(|c| !c.is_ascii_hexdigit())
            .unwrap_or(run_end - q);
        if hex >= 32 {
            return Some((q, Encoding::Hex, q + hex));
        }
        let padding = b[run_end..]
            .iter()
            .take(2)
            .take_while(|&&c| c == b'=')
            .count();
        return Some((q, Encoding::Base64, run_end + padding));
    }
    None
}

/// `%XX`, stretched to the last `%XX` on the same line.
fn percent_at(b: &[u8], p: usize) -> Option<usize> {
    if !hex_pair(b, p + 1) {
        return None;
    }
    let from = p + 3;
    let line_end = b[from..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |i| from + i);
    let last = (from..line_end.saturating_sub(2))
        .rev()
        .find(|&s| b[s] == b'%' && hex_pair(b, s + 1));
    Some(last.map_or(from, |s| s + 3))
}

/// One or more `\uXXXX` or `\\uXXXX` escapes (`u` in either case), back to back.
fn escapes_at(b: &[u8], p: usize) -> Option<usize> {
    let mut q = p;
    loop {
        let u = if b.get(q + 1) == Some(&b'\\') {
            q + 2
        } else {
            q + 1
        };
        let escape = b.get(q) == Some(&b'\\')
            && b.get(u).is_some_and(|c| c.eq_ignore_ascii_case(&b'u'))
            && u + 5 <= b.len()
            && b[u + 1..u + 5].iter().all(u8::is_ascii_hexdigit);
        if !escape {
            break;
        }
        q = u + 5;
    }
    (q > p).then_some(q)
}

/// One or more `U+XXXX`, each followed by a space (which it takes) or the end of the text.
fn code_points_at(b: &[u8], p: usize) -> Option<usize> {
    let mut q = p;
    while q + 6 <= b.len()
        && b[q] == b'U'
        && b[q + 1] == b'+'
        && b[q + 2..q + 6].iter().all(u8::is_ascii_hexdigit)
    {
        match b.get(q + 6) {
            None => q += 6,
            Some(&c) if space(c) => q += 7,
            Some(_) => break,
        }
    }
    (q > p).then_some(q)
}

#[cfg(test)]
mod tests {
    use super::find;
    use crate::decode::{Encoding, Span};

    /// gitleaks' pattern, spelled for Rust's regex (ASCII `\s`), as the reference.
    fn reference(text: &str) -> Vec<(Encoding, Span)> {
        static PATTERN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(concat!(
            r"(?P<percent>%[0-9A-Fa-f]{2}(?:.*%[0-9A-Fa-f]{2})?)",
            r"|(?P<unicode>(?:(?:U\+[a-fA-F0-9]{4}(?:[\t\n\x0C\r ]|$))+|(?i)(?:\\{1,2}u[a-fA-F0-9]{4})+))",
            r"|(?P<hex>[0-9A-Fa-f]{32,})",
            r"|(?P<base64>[0-9A-Za-z_/+-]{16,}={0,2})",
            ))
            .unwrap()
        });
        PATTERN
            .captures_iter(text)
            .map(|c| {
                let m = c.get(0).unwrap();
                let encoding = if c.name("percent").is_some() {
                    Encoding::Percent
                } else if c.name("unicode").is_some() {
                    Encoding::Unicode
                } else if c.name("hex").is_some() {
                    Encoding::Hex
                } else {
                    Encoding::Base64
                };
                (encoding, Span::new(m.start(), m.end()))
            })
            .collect()
    }

    #[test]
    fn edges() {
        for text in [
            "",
            "%4",
            "%41",
            "a%41b%4x%42c%\n%43",
            "\\\\\\u0041\\U0042\\u004",
            "U+0041 U+0042  U+0043\tU+0044",
            "U+0041",
            "xU+0041U+0042 ",
            "0123456789abcdef0123456789abcdef0123zz==",
            "0123456789abcdef0123456789abcdeZ===",
            "short_run U+00e9",
            "é%C3%A9é c2VjcmV0LXZhbHVlLTEyMw%3D%3D",
        ] {
            assert_eq!(find(text), reference(text), "{text:?}");
        }
    }

    /// Random text over an alphabet of the pieces that matter.
    #[test]
    fn same_as_the_pattern_on_random_text() {
        let pieces = [
            "%",
            "4",
            "1",
            "a",
            "F",
            "g",
            "z",
            "0",
            "9",
            "U",
            "+",
            "u",
            "\\",
            " ",
            "\n",
            "\t",
            "=",
            "/",
            "-",
            "_",
            "é",
            "%41",
            "U+0041 ",
            "\\u0041",
            "0123456789abcdef",
            "QUJDREVGR0g",
            "zzzzzzzz",
        ];
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = (next() % 80) as usize;
            let text: String = (0..len)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect();
            assert_eq!(find(&text), reference(&text), "{text:?}");
        }
    }
}
