//! Numbers as GitHub reads and prints them, which is how JavaScript does.

/// Parses like JavaScript's `Number(string)`: surrounding white space is ignored, the empty
/// string is 0, and `0x`/`0o`/`0b` prefixes, exponents and `Infinity` are understood.
/// Returns `None` where JavaScript gives `NaN`.
pub fn parse_js_number(s: &str) -> Option<f64> {
    let t = s.trim_matches(is_js_whitespace);
    if t.is_empty() {
        return Some(0.0);
    }
    let bytes = t.as_bytes();
    if bytes.len() > 2 && bytes[0] == b'0' {
        let radix = match bytes[1] {
            b'x' | b'X' => Some(16),
            b'o' | b'O' => Some(8),
            b'b' | b'B' => Some(2),
            _ => None,
        };
        if let Some(radix) = radix {
            let mut value = 0.0f64;
            for c in t[2..].chars() {
                let d = c.to_digit(radix)?;
                value = value * f64::from(radix) + f64::from(d);
            }
            return Some(value);
        }
    }
    let (sign, rest) = match bytes[0] {
        b'+' => (1.0, &t[1..]),
        b'-' => (-1.0, &t[1..]),
        _ => (1.0, t),
    };
    if rest == "Infinity" {
        return Some(sign * f64::INFINITY);
    }
    if !is_decimal_literal(rest) {
        return None;
    }
    rest.parse::<f64>().ok().map(|v| sign * v)
}

/// `digits [. digits] [e [+-] digits]` or `. digits [exponent]`, with at least one digit in
/// the mantissa. Rust's float parser also takes `inf` and `nan`, which JavaScript does not.
fn is_decimal_literal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut mantissa_digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        mantissa_digits += i - frac_start;
    }
    if mantissa_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

/// JavaScript's white space and line terminators, which `Number()` trims.
pub fn is_js_whitespace(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// Prints a number as GitHub does when converting it to a string: at most 15 decimal places,
/// trailing zeros dropped (`0.84551240822557006` prints as `0.84551240822557`), `-0` as `0`.
pub fn coerce_string(n: f64) -> String {
    if n == 0.0 {
        return "0".to_owned();
    }
    if !n.is_finite() {
        return to_js_string(n);
    }
    // `toFixed(15)` then back to a number: rounds away noise below 1e-15.
    let fixed = format!("{n:.15}");
    let rounded = fixed.parse::<f64>().unwrap_or(n);
    to_js_string(rounded)
}

/// JavaScript's `Number.prototype.toString()`: the shortest digits that round-trip, in plain
/// notation between 1e-7 and 1e21 and in exponent notation outside.
pub fn to_js_string(n: f64) -> String {
    if n.is_nan() {
        return "NaN".to_owned();
    }
    if n.is_infinite() {
        return if n > 0.0 {
            "Infinity".to_owned()
        } else {
            "-Infinity".to_owned()
        };
    }
    if n == 0.0 {
        return "0".to_owned();
    }
    let sign = if n < 0.0 { "-" } else { "" };
    // `{:e}` gives the shortest round-trip digits as `d.ddde±x`.
    let sci = format!("{:e}", n.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    let k = digits.len() as i32;
    let point = exp + 1; // position of the decimal point relative to the digits
    let body = if k <= point && point <= 21 {
        let mut s = digits.clone();
        s.extend(std::iter::repeat_n('0', (point - k) as usize));
        s
    } else if 0 < point && point <= 21 {
        format!(
            "{}.{}",
            &digits[..point as usize],
            &digits[point as usize..]
        )
    } else if -6 < point && point <= 0 {
        format!("0.{}{}", "0".repeat((-point) as usize), digits)
    } else {
        let e = point - 1;
        let esign = if e < 0 { '-' } else { '+' };
        if k == 1 {
            format!("{digits}e{esign}{}", e.abs())
        } else {
            format!("{}.{}e{esign}{}", &digits[..1], &digits[1..], e.abs())
        }
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_javascript() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1"),
            (-2.0, "-2"),
            (0.5, "0.5"),
            (123456.789, "123456.789"),
            (1e21, "1e+21"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (123e20, "1.23e+22"),
            (100.0, "100"),
        ];
        for (n, expect) in cases {
            assert_eq!(to_js_string(*n), *expect, "{n}");
        }
    }

    #[test]
    fn coerces_with_fifteen_decimals() {
        // Written as text: the literal has more digits than an f64 holds, which is the point.
        let n: f64 = "0.84551240822557006".parse().unwrap();
        assert_eq!(coerce_string(n), "0.84551240822557");
        assert_eq!(coerce_string(-0.0), "0");
        assert_eq!(coerce_string(0.1 + 0.2), "0.3");
    }

    #[test]
    fn parses_like_javascript() {
        let cases: &[(&str, Option<f64>)] = &[
            ("", Some(0.0)),
            (" 12 ", Some(12.0)),
            ("0x1F", Some(31.0)),
            ("0o10", Some(8.0)),
            ("0b101", Some(5.0)),
            ("-0x1F", None),
            ("1.", Some(1.0)),
            (".5", Some(0.5)),
            (".", None),
            ("1e", None),
            ("inf", None),
            ("nan", None),
            ("-Infinity", Some(f64::NEG_INFINITY)),
            ("1_000", None),
        ];
        for (s, expect) in cases {
            assert_eq!(parse_js_number(s), *expect, "{s:?}");
        }
    }
}
