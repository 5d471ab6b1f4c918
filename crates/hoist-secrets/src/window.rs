//! Which rules may search only near their keywords: when every match of a rule's regex
//! contains one of its keywords and matches are no longer than some bound, a match lies
//! within that bound of a keyword, so the regex need not run over the rest of the file.
//!
//! The search keeps gitleaks' whole-text semantics: a search limited to a range (with
//! look-around still seeing the text around it) finds exactly the whole-text matches that lie
//! in the range, leftmost-first, because each of those matches lies in one merged window.

use regex_syntax::hir::{Hir, HirKind};

/// The longest match, in bytes, when every match contains one of `keywords` (lower-cased);
/// `None` when either cannot be shown from the pattern, and the rule searches whole texts.
pub(crate) fn keyword_window(source: &str, keywords: &[String]) -> Option<usize> {
    if keywords.is_empty() || keywords.iter().any(|k| !k.is_ascii()) {
        return None;
    }
    let hir = regex_syntax::Parser::new().parse(source).ok()?;
    let max = hir.properties().maximum_len()?;
    requires_keyword(&hir, keywords).then_some(max)
}

/// Whether every string `hir` matches contains one of `keywords`.
fn requires_keyword(hir: &Hir, keywords: &[String]) -> bool {
    if let Some(set) = strings(hir) {
        return all_contain(&set, keywords);
    }
    match hir.kind() {
        HirKind::Capture(c) => requires_keyword(&c.sub, keywords),
        HirKind::Repetition(r) if r.min >= 1 => requires_keyword(&r.sub, keywords),
        HirKind::Alternation(subs) => subs.iter().all(|s| requires_keyword(s, keywords)),
        HirKind::Concat(subs) => {
            // A keyword may also be spelled across neighbouring pieces (`passw` `(?:or)?` `d`).
            (0..subs.len()).any(|i| {
                if requires_keyword(&subs[i], keywords) {
                    return true;
                }
                let mut run = vec![String::new()];
                for sub in &subs[i..] {
                    let Some(next) = strings(sub) else {
                        return false;
                    };
                    let Some(joined) = product(&run, &next) else {
                        return false;
                    };
                    run = joined;
                    if all_contain(&run, keywords) {
                        return true;
                    }
                }
                false
            })
        }
        _ => false,
    }
}

/// Keyword matching folds ASCII case only; the regex's case-insensitive classes may also hold
/// `ſ` (s) and `K` (Kelvin sign, k), so texts holding those are searched whole (see
/// [`folds_to_ascii`]) and the analysis reads them as their ASCII letters.
fn fold(c: char) -> Option<char> {
    match c {
        '\u{17F}' => Some('s'),
        '\u{212A}' => Some('k'),
        c if c.is_ascii() => Some(c.to_ascii_lowercase()),
        _ => None,
    }
}

/// Whether `text` holds a character that case-folds to an ASCII letter without being ASCII.
pub(crate) fn folds_to_ascii(text: &str) -> bool {
    text.contains(['\u{17F}', '\u{212A}'])
}

const MAX_STRINGS: usize = 256;

fn all_contain(set: &[String], keywords: &[String]) -> bool {
    !set.is_empty()
        && set
            .iter()
            .all(|s| keywords.iter().any(|k| s.contains(k.as_str())))
}

/// Every `a` followed by every `b`, if not too many.
fn product(a: &[String], b: &[String]) -> Option<Vec<String>> {
    if a.len() * b.len() > MAX_STRINGS {
        return None;
    }
    let mut out: Vec<String> = a
        .iter()
        .flat_map(|x| b.iter().map(move |y| format!("{x}{y}")))
        .collect();
    out.sort();
    out.dedup();
    Some(out)
}

/// The finite set of lower-cased strings `hir` matches, if small; `None` otherwise.
fn strings(hir: &Hir) -> Option<Vec<String>> {
    let set = match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => vec![String::new()],
        HirKind::Literal(lit) => {
            let text = std::str::from_utf8(&lit.0).ok()?;
            vec![text.chars().map(|c| fold(c).unwrap_or(c)).collect()]
        }
        HirKind::Class(regex_syntax::hir::Class::Unicode(class)) => {
            let mut chars = Vec::new();
            for range in class.iter() {
                if u32::from(range.end()) - u32::from(range.start()) > 8 {
                    return None;
                }
                for c in range.start()..=range.end() {
                    let c = fold(c)?.to_string();
                    if !chars.contains(&c) {
                        chars.push(c);
                    }
                }
            }
            chars
        }
        HirKind::Class(_) => return None,
        HirKind::Capture(c) => strings(&c.sub)?,
        HirKind::Repetition(r) if r.max == Some(1) => {
            let mut set = strings(&r.sub)?;
            if r.min == 0 {
                set.push(String::new());
            }
            set
        }
        HirKind::Repetition(_) => return None,
        HirKind::Alternation(subs) => {
            let mut set = Vec::new();
            for s in subs {
                set.extend(strings(s)?);
            }
            set
        }
        HirKind::Concat(subs) => {
            let mut set = vec![String::new()];
            for s in subs {
                set = product(&set, &strings(s)?)?;
            }
            set
        }
    };
    let mut set = set;
    set.sort();
    set.dedup();
    (set.len() <= MAX_STRINGS).then_some(set)
}

#[cfg(test)]
mod tests {
    use super::keyword_window;

    fn check(pattern: &str, keywords: &[&str], expect: Option<usize>) {
        let keywords: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
        assert_eq!(keyword_window(pattern, &keywords), expect, "{pattern}");
    }

    #[test]
    fn bounded_patterns_that_spell_a_keyword() {
        check(r"ghp_[0-9a-zA-Z]{36}", &["ghp_"], Some(40));
        // Bytes: case-insensitive classes hold `K` (3 bytes) and `ſ` (2).
        check(
            r"(?i)(?:api|key)[=:]([a-z0-9]{8})",
            &["api", "key"],
            Some(30),
        );
        check(
            r"(?i)passw(?:or)?d=([a-z]{4})",
            &["passwd", "password"],
            Some(23),
        );
        check(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b", &["akia", "asia"], Some(20));
    }

    #[test]
    fn patterns_that_may_miss_a_keyword_or_are_unbounded() {
        // A branch without the keyword.
        check(r"(?:key|val)=[a-z]{4}", &["key"], None);
        // Unbounded length.
        check(r"key=[a-z]+", &["key"], None);
        // The keyword is only a prefix of what the pattern spells in another case.
        check(r"(?i)tok", &["token"], None);
        check(r"[a-z]{4}", &[], None);
    }
}
