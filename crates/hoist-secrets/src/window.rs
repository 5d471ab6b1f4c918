//! Which rules may search only near their keywords: when every match of a rule's regex
//! contains one of its keywords and matches are no longer than some bound, a match lies
//! within that bound of a keyword, so the regex need not run over the rest of the file.
//!
//! Some patterns are unbounded only in a run of one byte class after the keyword, like
//! gitleaks' `generic-api-key` (`key … = [a-z0-9][a-z0-9+/]{11,}`). Their windows end where
//! that run ends: a bounded lead after the keyword, then every byte the class accepts, then
//! a bounded trail ([`Reach::Tail`]).
//!
//! The search keeps gitleaks' whole-text semantics: a search limited to a range (with
//! look-around still seeing the text around it) finds exactly the whole-text matches that lie
//! in the range, leftmost-first, because each of those matches lies in one merged window.

use regex_syntax::hir::{Hir, HirKind};

/// How far from a keyword hit a rule's matches can reach, in bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Every match lies within this many bytes of a hit, on either side.
    Bounded(usize),
    /// A match starts at most `before` bytes before a hit's end. It ends within `lead` bytes
    /// after `before` bytes past the hit's start, plus the run of bytes in `class` that
    /// follows, plus `trail` bytes.
    Tail {
        before: usize,
        lead: usize,
        class: Box<[bool; 256]>,
        trail: usize,
    },
}

impl Reach {
    /// The byte range to search for the matches that may hold the keyword hit `start..end`.
    pub(crate) fn around(&self, text: &[u8], start: usize, end: usize) -> (usize, usize) {
        match self {
            Reach::Bounded(n) => (start.saturating_sub(*n), end.saturating_add(*n)),
            Reach::Tail {
                before,
                lead,
                class,
                trail,
            } => {
                let mut p = start.saturating_add(before + lead).min(text.len());
                while p < text.len() && class[usize::from(text[p])] {
                    p += 1;
                }
                (end.saturating_sub(*before), p.saturating_add(*trail))
            }
        }
    }
}

/// How far from a keyword matches can reach, when every match contains one of `keywords`
/// (lower-cased); `None` when that cannot be shown from the pattern, and the rule searches
/// whole texts.
pub(crate) fn keyword_reach(source: &str, keywords: &[String]) -> Option<Reach> {
    if keywords.is_empty() || keywords.iter().any(|k| !k.is_ascii()) {
        return None;
    }
    let hir = regex_syntax::Parser::new().parse(source).ok()?;
    if let Some(max) = hir.properties().maximum_len() {
        return requires_keyword(&hir, keywords).then_some(Reach::Bounded(max));
    }
    // Unbounded: a concatenation whose keyword piece and everything before it are bounded,
    // and whose rest has a tail shape.
    let HirKind::Concat(subs) = peel(&hir).kind() else {
        return None;
    };
    let i = subs.iter().position(|s| requires_keyword(s, keywords))?;
    let before = subs[..=i]
        .iter()
        .try_fold(0usize, |acc, s| Some(acc + s.properties().maximum_len()?))?;
    match concat_shape(&subs[i + 1..])? {
        Shape::Bounded(n) => Some(Reach::Bounded(before + n)),
        Shape::Tail { lead, class, trail } => Some(Reach::Tail {
            before,
            lead,
            class,
            trail,
        }),
    }
}

fn peel(hir: &Hir) -> &Hir {
    match hir.kind() {
        HirKind::Capture(c) => peel(&c.sub),
        _ => hir,
    }
}

/// The lengths a piece of pattern can match: bounded, or a bounded lead, a run of one byte
/// class, and a bounded trail.
enum Shape {
    Bounded(usize),
    Tail {
        lead: usize,
        class: Box<[bool; 256]>,
        trail: usize,
    },
}

fn concat_shape(subs: &[Hir]) -> Option<Shape> {
    subs.iter().try_fold(Shape::Bounded(0), |acc, s| {
        Some(match (acc, shape(s)?) {
            (Shape::Bounded(a), Shape::Bounded(b)) => Shape::Bounded(a + b),
            (Shape::Bounded(a), Shape::Tail { lead, class, trail }) => Shape::Tail {
                lead: a + lead,
                class,
                trail,
            },
            (Shape::Tail { lead, class, trail }, Shape::Bounded(b)) => Shape::Tail {
                lead,
                class,
                trail: trail + b,
            },
            (Shape::Tail { .. }, Shape::Tail { .. }) => return None,
        })
    })
}

fn shape(hir: &Hir) -> Option<Shape> {
    if let Some(max) = hir.properties().maximum_len() {
        return Some(Shape::Bounded(max));
    }
    match hir.kind() {
        HirKind::Capture(c) => shape(&c.sub),
        HirKind::Concat(subs) => concat_shape(subs),
        // A branch that ends by `lead` is covered by a scan that starts there; a branch's run
        // is covered by scanning for any branch's class.
        HirKind::Alternation(subs) => {
            let mut lead = 0;
            let mut class = Box::new([false; 256]);
            let mut trail = 0;
            for s in subs {
                // A repeated class, even bounded, is covered by scanning for its class: as a
                // tail it costs no lead (`[\w.=-]{10,150}` would otherwise add 600 bytes).
                let branch = match class_run(s) {
                    Some(class) => Shape::Tail {
                        lead: 0,
                        class,
                        trail: 0,
                    },
                    None => shape(s)?,
                };
                match branch {
                    Shape::Bounded(n) => lead = lead.max(n),
                    Shape::Tail {
                        lead: l,
                        class: c,
                        trail: t,
                    } => {
                        lead = lead.max(l);
                        trail = trail.max(t);
                        for (b, inside) in c.iter().enumerate() {
                            class[b] |= inside;
                        }
                    }
                }
            }
            Some(Shape::Tail { lead, class, trail })
        }
        HirKind::Repetition(r) if r.max.is_none() => Some(Shape::Tail {
            lead: 0,
            class: byte_class(&r.sub)?,
            trail: 0,
        }),
        _ => None,
    }
}

/// The bytes of a repeated one-character class (`[a-z]{3,9}`, `\w+`), if `hir` is one.
fn class_run(hir: &Hir) -> Option<Box<[bool; 256]>> {
    match peel(hir).kind() {
        HirKind::Repetition(r) => byte_class(&r.sub),
        _ => None,
    }
}

/// The bytes that can occur in what a one-character `hir` matches: a character class's
/// ASCII members, and every non-ASCII byte when it holds non-ASCII characters.
fn byte_class(hir: &Hir) -> Option<Box<[bool; 256]>> {
    let mut class = Box::new([false; 256]);
    match hir.kind() {
        HirKind::Class(regex_syntax::hir::Class::Unicode(c)) => {
            for range in c.iter() {
                let (lo, hi) = (u32::from(range.start()), u32::from(range.end()));
                for b in lo..=hi.min(0x7F) {
                    class[b as usize] = true;
                }
                if hi >= 0x80 {
                    class[0x80..].fill(true);
                }
            }
        }
        HirKind::Class(regex_syntax::hir::Class::Bytes(c)) => {
            for range in c.iter() {
                for b in range.start()..=range.end() {
                    class[usize::from(b)] = true;
                }
            }
        }
        HirKind::Literal(lit) if lit.0.len() == 1 => class[usize::from(lit.0[0])] = true,
        _ => return None,
    }
    Some(class)
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
    // Most texts are ASCII, which `is_ascii` tells a word at a time; a search for the two
    // characters goes one character at a time.
    !text.is_ascii() && text.contains(['\u{17F}', '\u{212A}'])
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
    use super::{Reach, keyword_reach};

    fn check(pattern: &str, keywords: &[&str], expect: Option<usize>) {
        let keywords: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
        let reach = keyword_reach(pattern, &keywords);
        assert_eq!(reach, expect.map(Reach::Bounded), "{pattern}");
    }

    /// The window a tail-shaped pattern gives for the keyword hit `hit` in `text`.
    fn tail_window(pattern: &str, keywords: &[&str], text: &str, hit: &str) -> (usize, usize) {
        let keywords: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
        let reach = keyword_reach(pattern, &keywords).expect("a reach");
        assert!(matches!(reach, Reach::Tail { .. }), "{reach:?}");
        let start = text.find(hit).expect("hit");
        reach.around(text.as_bytes(), start, start + hit.len())
    }

    #[test]
    fn tails_end_where_the_run_of_their_class_ends() {
        // before = 4 (the literal `key=`), lead = 0, class [a-z], trail = 1 (`;`).
        let text = "xx key=abcdefghij; more text";
        assert_eq!(tail_window(r"key=[a-z]+;", &["key"], text, "key"), (2, 18));
        // The prefix before the keyword widens the start, not the end.
        assert_eq!(
            tail_window(r"[0-9]{0,2}key=[a-z]+;", &["key"], "12key=ab;", "key"),
            (0, 9)
        );
        // Alternation: a bounded branch is covered by the lead, a run by the class.
        let p = r"key=(?:(?:12){1,3}|[a-z][a-z]+)";
        assert_eq!(tail_window(p, &["key"], "key=abcdef 123", "key"), (0, 10));
        assert_eq!(tail_window(p, &["key"], "key=121212 x", "key"), (0, 10));
        // A bounded repeated class in an alternation is scanned for, not added to the lead.
        let p = r"key=(?:[0-9]{6,40}|[a-z][a-z]+)";
        assert_eq!(tail_window(p, &["key"], "key=123456789 x", "key"), (0, 13));
        assert_eq!(tail_window(p, &["key"], "key=abc 123", "key"), (0, 7));
        // Non-ASCII members of the class let the run go on through any non-ASCII byte.
        assert_eq!(tail_window(r"key=\w+", &["key"], "key=aé b", "key"), (0, 7));
    }

    #[test]
    fn gitleaks_generic_api_key_has_a_tail() {
        let pattern = r#"(?i)[\w.-]{0,50}?(?:access|auth|(?-i:[Aa]pi|API)|credential|creds|key|passw(?:or)?d|secret|token)(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}([\w.=-]{10,150}|[a-z0-9][a-z0-9+/]{11,}={0,3})(?:[\x60'"\s;]|\\[nr]|$)"#;
        let keywords = [
            "access",
            "api",
            "auth",
            "key",
            "credential",
            "creds",
            "passwd",
            "password",
            "secret",
            "token",
        ];
        let keywords: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
        match keyword_reach(pattern, &keywords) {
            Some(Reach::Tail { class, .. }) => {
                assert!(
                    class[usize::from(b'+')]
                        && class[usize::from(b'Z')]
                        && !class[usize::from(b' ')]
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn shapes_that_are_not_tails() {
        // Two unbounded runs after the keyword.
        check(r"key=[a-z]+:[0-9]+", &["key"], None);
        // An unbounded run before the keyword.
        check(r"[a-z]+key=[0-9]{4}", &["key"], None);
        // A repeated group, not a class.
        check(r"key=(?:ab)+", &["key"], None);
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
    fn patterns_that_may_miss_a_keyword() {
        // A branch without the keyword.
        check(r"(?:key|val)=[a-z]{4}", &["key"], None);
        check(r"(?:key|val)=[a-z]+", &["key"], None);
        // The keyword is only a prefix of what the pattern spells in another case.
        check(r"(?i)tok", &["token"], None);
        check(r"[a-z]{4}", &[], None);
    }
}
