//! Go RE2 patterns (what gitleaks rules are written in) as Rust `regex` patterns.
//!
//! The two dialects agree almost everywhere. Where they do not, the pattern is translated,
//! never refused:
//! - a `{` that does not start a repetition (`a{`, `{x}`) is a literal in RE2 but an error in
//!   Rust, so it is escaped;
//! - `\w`, `\d`, `\s` and `\b` are ASCII-only in RE2 but Unicode-aware in Rust, so they are
//!   spelled out as their ASCII classes (which also keeps case-insensitive patterns small).

/// Translates an RE2 pattern.
pub fn translate(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let next = chars.get(i + 1).copied();
                match (next, in_class) {
                    (Some('w'), true) => out.push_str("0-9A-Za-z_"),
                    (Some('d'), true) => out.push_str("0-9"),
                    (Some('s'), true) => out.push_str("\\t\\n\\x0C\\r "),
                    (Some('w'), false) => out.push_str("[0-9A-Za-z_]"),
                    (Some('W'), false) => out.push_str("[^0-9A-Za-z_]"),
                    (Some('d'), false) => out.push_str("[0-9]"),
                    (Some('D'), false) => out.push_str("[^0-9]"),
                    (Some('s'), false) => out.push_str("[\\t\\n\\x0C\\r ]"),
                    (Some('S'), false) => out.push_str("[^\\t\\n\\x0C\\r ]"),
                    (Some('b'), false) => out.push_str("(?-u:\\b)"),
                    (Some('B'), false) => out.push_str("(?-u:\\B)"),
                    (Some(n), _) => {
                        out.push(c);
                        out.push(n);
                    }
                    (None, _) => out.push(c),
                }
                if next.is_some() {
                    i += 1;
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // `]` right after `[` or `[^` is a literal member.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '{' if !in_class && !is_repetition(&chars[i..]) => out.push_str("\\{"),
            '}' if !in_class && !closes_repetition(&chars[..i]) => out.push_str("\\}"),
            '[' if in_class => {
                // A nested `[` is literal in RE2 unless it opens a POSIX class like `[:alpha:]`.
                if chars.get(i + 1) == Some(&':') {
                    out.push('[');
                } else {
                    out.push_str("\\[");
                }
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// `{n}`, `{n,}` or `{n,m}` at the start of `rest`.
fn is_repetition(rest: &[char]) -> bool {
    let Some(close) = rest.iter().position(|c| *c == '}') else {
        return false;
    };
    let inner: String = rest[1..close].iter().collect();
    let mut parts = inner.splitn(2, ',');
    let lo = parts.next().unwrap_or_default();
    let hi = parts.next();
    !lo.is_empty()
        && lo.chars().all(|c| c.is_ascii_digit())
        && hi.is_none_or(|h| h.chars().all(|c| c.is_ascii_digit()))
}

/// Whether the `}` after `before` closes a repetition opened with `{`.
fn closes_repetition(before: &[char]) -> bool {
    let Some(open) = before.iter().rposition(|c| *c == '{') else {
        return false;
    };
    if open > 0 && before[open - 1] == '\\' {
        return false;
    }
    let mut rest: Vec<char> = before[open..].to_vec();
    rest.push('}');
    is_repetition(&rest)
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn escapes_braces_that_are_not_repetitions() {
        assert_eq!(translate(r"a{2}b{1,}c{3,5}"), r"a{2}b{1,}c{3,5}");
        assert_eq!(translate(r"\${x}"), r"\$\{x\}");
        assert_eq!(translate(r"{{ value }}"), r"\{\{ value \}\}");
        assert_eq!(translate(r"[{}]"), r"[{}]");
        assert_eq!(translate(r"a\{"), r"a\{");
        assert_eq!(translate(r"[\w.-]+\b"), r"[0-9A-Za-z_.-]+(?-u:\b)");
        assert_eq!(translate(r"\d\s\S"), r"[0-9][\t\n\x0C\r ][^\t\n\x0C\r ]");
        for p in [r"\${x}", r"{{ value }}", r"[{}]x{2}", r"[[:alpha:]]"] {
            assert!(
                regex::Regex::new(&translate(p)).is_ok(),
                "{p} -> {}",
                translate(p)
            );
        }
    }
}
