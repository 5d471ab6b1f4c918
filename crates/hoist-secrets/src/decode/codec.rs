//! The four decoders, with gitleaks' rules for what counts as decoded: printable ASCII
//! (tab to `~`) out of percent escapes, hex and base64; any character out of Unicode escapes.

use base64::Engine as _;

fn printable(b: u8) -> bool {
    (0x09..0x7f).contains(&b)
}

/// `%XX` escapes decoded, everything between them kept; an escape of a byte that is not
/// printable ASCII rejects the run.
pub(super) fn percent(encoded: &str) -> Option<String> {
    let b = encoded.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let escape = (b[i] == b'%' && i + 2 < b.len())
            .then(|| Some(nibble(b[i + 1])? << 4 | nibble(b[i + 2])?))
            .flatten();
        match escape {
            Some(byte) if !printable(byte) => return None,
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
    // Only ASCII bytes replaced ASCII escapes; the rest is copied whole.
    String::from_utf8(out).ok()
}

fn nibble(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// `U+XXXX` code points (separated by spaces) or `\uXXXX` escapes as the characters they
/// name; a surrogate, which names none, becomes U+FFFD as in Go.
pub(super) fn unicode(encoded: &str) -> String {
    let digits: Vec<&str> = if encoded.starts_with('U') {
        encoded
            .split_ascii_whitespace()
            .filter_map(|p| p.strip_prefix("U+"))
            .collect()
    } else {
        encoded
            .split('\\')
            .filter_map(|p| p.get(1..5).filter(|_| p.len() == 5))
            .collect()
    };
    digits
        .into_iter()
        .filter_map(|d| u32::from_str_radix(d, 16).ok())
        .map(|c| char::from_u32(c).unwrap_or('\u{FFFD}'))
        .collect()
}

/// Hex digits in pairs; a run without a decimal digit is more likely a word than hex.
pub(super) fn hex(encoded: &str) -> Option<String> {
    let b = encoded.as_bytes();
    if !b.len().is_multiple_of(2) || !b.iter().any(u8::is_ascii_digit) {
        return None;
    }
    let bytes: Option<Vec<u8>> = b
        .chunks(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?).filter(|&c| printable(c)))
        .collect();
    String::from_utf8(bytes?).ok()
}

/// Standard base64 with its padding, else URL-safe without; trailing bits need not be zero,
/// as Go's decoders allow. A run with no digit and none of `+/-_` is taken for a word.
pub(super) fn base64(encoded: &str) -> Option<String> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    if !encoded
        .bytes()
        .any(|c| c.is_ascii_digit() || b"+/-_".contains(&c))
    {
        return None;
    }
    // The first character of every group of four holds the top six bits of a byte, which
    // for ASCII are below 32: `A`-`Z` or `a`-`f` in either alphabet. Most identifiers fail
    // this before any decoding.
    if !encoded
        .bytes()
        .step_by(4)
        .all(|c| c.is_ascii_uppercase() || (b'a'..=b'f').contains(&c))
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
    let printable = |b: &Vec<u8>| b.iter().all(|&c| printable(c));
    let bytes = STANDARD
        .decode(encoded)
        .ok()
        .filter(printable)
        .or_else(|| URL_SAFE.decode(encoded).ok().filter(printable))?;
    String::from_utf8(bytes).ok()
}
