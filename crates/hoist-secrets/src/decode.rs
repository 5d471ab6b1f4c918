//! Encoded segments in scanned text, found and decoded the way gitleaks 8.30 does before it
//! scans again: runs of `%XX` escapes, hex of 32 digits or more, and base64 (standard with
//! padding, or URL-safe without) of 16 characters or more. A segment decodes only to
//! printable ASCII (tab to `~`); anything else is left alone.
//!
//! This is the first part of gitleaks' decoding: one pass over a text. The scanner does not
//! use it yet; the passes to a maximum depth, and the mapping of findings in decoded text
//! back to the original lines, come next.

use std::sync::LazyLock;

use base64::Engine as _;

/// How a segment is encoded, in gitleaks' order of precedence (highest first): when two
/// segments touch, the lower one waits for the next pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Encoding {
    Percent,
    Hex,
    Base64,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Percent => "percent",
            Encoding::Hex => "hex",
            Encoding::Base64 => "base64",
        }
    }

    fn precedence(self) -> u8 {
        match self {
            Encoding::Percent => 3,
            Encoding::Hex => 2,
            Encoding::Base64 => 1,
        }
    }

    fn decode(self, encoded: &str) -> Option<String> {
        let bytes = match self {
            Encoding::Percent => percent(encoded)?,
            Encoding::Hex => hex(encoded)?,
            Encoding::Base64 => base64(encoded)?,
        };
        let printable = bytes.iter().all(|&b| (0x09..0x7f).contains(&b));
        (printable && !bytes.is_empty()).then(|| String::from_utf8(bytes).ok())?
    }
}

/// One encoded run found in a text, with what it decodes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub encoding: Encoding,
    /// Byte range of the encoded run in the text.
    pub start: usize,
    pub end: usize,
    pub decoded: String,
}

// The three shapes in one pattern, so one leftmost-first pass finds them as gitleaks does;
// `\w` is ASCII here as in Go.
static ENCODED: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?P<percent>(?:%[0-9A-Fa-f]{2})+)|(?P<hex>[0-9A-Fa-f]{32,})|(?P<base64>[0-9A-Za-z_/+-]{16,}={0,3})",
    )
    .unwrap_or_else(|_| unreachable!("a fixed pattern"))
});

/// The segments of `text` that decode, in order. A run touching a run of higher precedence
/// is left for the next pass.
pub fn segments(text: &str) -> Vec<Segment> {
    let found: Vec<(Encoding, usize, usize)> = ENCODED
        .captures_iter(text)
        .filter_map(|c| {
            let (encoding, m) = if let Some(m) = c.name("percent") {
                (Encoding::Percent, m)
            } else if let Some(m) = c.name("hex") {
                (Encoding::Hex, m)
            } else {
                (Encoding::Base64, c.name("base64")?)
            };
            Some((encoding, m.start(), m.end()))
        })
        .collect();
    let outranked = |i: usize| {
        let (encoding, start, end) = found[i];
        let touches =
            |j: usize, touching: bool| touching && found[j].0.precedence() > encoding.precedence();
        (i > 0 && touches(i - 1, found[i - 1].2 == start))
            || (i + 1 < found.len() && touches(i + 1, found[i + 1].1 == end))
    };
    (0..found.len())
        .filter(|&i| found.len() == 1 || !outranked(i))
        .filter_map(|i| {
            let (encoding, start, end) = found[i];
            Some(Segment {
                encoding,
                start,
                end,
                decoded: encoding.decode(&text[start..end])?,
            })
        })
        .collect()
}

fn percent(encoded: &str) -> Option<Vec<u8>> {
    let b = encoded.as_bytes();
    let mut out = Vec::with_capacity(b.len() / 3);
    let mut i = 0;
    while i < b.len() {
        let escape = (b[i] == b'%' && i + 2 < b.len())
            .then(|| Some(nibble(b[i + 1])? << 4 | nibble(b[i + 2])?))
            .flatten();
        match escape {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    Some(out)
}

fn nibble(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Hex digits in pairs; a run without a decimal digit is more likely a word than hex.
fn hex(encoded: &str) -> Option<Vec<u8>> {
    let b = encoded.as_bytes();
    if !b.len().is_multiple_of(2) || !b.iter().any(u8::is_ascii_digit) {
        return None;
    }
    b.chunks(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

/// Standard base64 with its padding, else URL-safe without; trailing bits need not be zero,
/// as Go's decoders allow. A run with no digit and none of `+/-_` is taken for a word.
fn base64(encoded: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    if !encoded
        .bytes()
        .any(|c| c.is_ascii_digit() || b"+/-_".contains(&c))
    {
        return None;
    }
    const STANDARD: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
    );
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone),
    );
    let printable = |b: &Vec<u8>| b.iter().all(|&c| (0x09..0x7f).contains(&c));
    STANDARD
        .decode(encoded)
        .ok()
        .filter(printable)
        .or_else(|| URL_SAFE.decode(encoded).ok().filter(printable))
}

#[cfg(test)]
mod tests {
    use super::{Encoding, segments};

    /// `(encoding, encoded text, decoded text)` for every segment of `text`.
    fn check(text: &str, expect: &[(Encoding, &str, &str)]) {
        let got: Vec<(Encoding, String, String)> = segments(text)
            .into_iter()
            .map(|s| (s.encoding, text[s.start..s.end].to_owned(), s.decoded))
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
    fn hex_and_percent() {
        // "this is a hex secret" in hex.
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
        check(
            "a%3Db%26c",
            &[
                (Encoding::Percent, "%3D", "="),
                (Encoding::Percent, "%26", "&"),
            ],
        );
        // A control character makes the segment not printable.
        check("%00%41", &[]);
    }

    #[test]
    fn a_run_touching_a_higher_precedence_run_waits() {
        // The base64-looking run ends where a percent escape starts: percent goes first.
        let text = "c2VjcmV0LXZhbHVlLTEy%3D%3D";
        let found = segments(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].encoding, found[0].decoded.as_str()),
            (Encoding::Percent, "==")
        );
    }
}
