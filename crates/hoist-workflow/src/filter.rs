//! GitHub's filter patterns for branches, tags and paths.
//!
//! `*` matches any characters but `/`; `**` matches any characters; `?` and `+` make the
//! preceding character optional or repeatable; `[a-z0-9]` matches one listed character; `\`
//! escapes. In a list, a pattern starting with `!` excludes what earlier patterns included, and
//! the last pattern that matches decides.

use regex::Regex;

/// One compiled pattern.
#[derive(Clone, Debug)]
pub struct Pattern {
    pub source: String,
    pub negated: bool,
    regex: Regex,
}

impl Pattern {
    /// Compiles a pattern, or explains what is wrong with it.
    pub fn new(source: &str) -> Result<Self, String> {
        let (negated, body) = match source.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, source),
        };
        if body.is_empty() {
            return Err(format!("filter pattern `{source}` is empty"));
        }
        let regex =
            to_regex(body).map_err(|e| format!("filter pattern `{source}` is invalid: {e}"))?;
        Ok(Self {
            source: source.to_owned(),
            negated,
            regex,
        })
    }

    pub fn is_match(&self, value: &str) -> bool {
        self.regex.is_match(value)
    }
}

fn to_regex(pattern: &str) -> Result<Regex, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut re = String::from("^");
    let mut i = 0;
    // Whether the last thing emitted can take a `?` or `+` quantifier.
    let mut quantifiable = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '*' if chars.get(i + 1) == Some(&'*') => {
                let at_segment_start = i == 0 || chars[i - 1] == '/';
                if at_segment_start && chars.get(i + 2) == Some(&'/') {
                    // `**/` also matches no directory at all.
                    re.push_str("(?:.*/)?");
                    i += 3;
                } else {
                    re.push_str(".*");
                    i += 2;
                }
                quantifiable = false;
                continue;
            }
            '*' => {
                re.push_str("[^/]*");
                quantifiable = false;
            }
            '?' | '+' => {
                if !quantifiable {
                    return Err(format!("`{c}` must follow a character it applies to"));
                }
                re.push(c);
                quantifiable = false;
            }
            '[' => {
                let close = chars[i + 1..]
                    .iter()
                    .position(|x| *x == ']')
                    .ok_or_else(|| "`[` is never closed with `]`".to_owned())?
                    + i
                    + 1;
                let inner: String = chars[i + 1..close].iter().collect();
                if inner.is_empty() {
                    return Err("`[]` lists no characters".to_owned());
                }
                re.push('[');
                for ch in inner.chars() {
                    if matches!(ch, '\\' | '^' | '[' | ']' | '&' | '~') {
                        re.push('\\');
                    }
                    re.push(ch);
                }
                re.push(']');
                i = close;
                quantifiable = true;
            }
            '\\' => {
                let next = chars
                    .get(i + 1)
                    .ok_or_else(|| "a trailing `\\` escapes nothing".to_owned())?;
                re.push_str(&regex::escape(&next.to_string()));
                i += 1;
                quantifiable = true;
            }
            c => {
                re.push_str(&regex::escape(&c.to_string()));
                quantifiable = true;
            }
        }
        i += 1;
    }
    re.push('$');
    Regex::new(&re).map_err(|e| e.to_string())
}

/// A list of patterns, matched in order.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub patterns: Vec<Pattern>,
}

impl Filter {
    /// Compiles every pattern; errors are returned with the index of the pattern.
    pub fn new<'a>(sources: impl IntoIterator<Item = &'a str>) -> Result<Self, (usize, String)> {
        let mut patterns = Vec::new();
        for (i, s) in sources.into_iter().enumerate() {
            patterns.push(Pattern::new(s).map_err(|e| (i, e))?);
        }
        Ok(Self { patterns })
    }

    /// Whether `value` is selected: the last pattern that matches it is not negated.
    pub fn selects(&self, value: &str) -> bool {
        let mut selected = false;
        for p in &self.patterns {
            if p.is_match(value) {
                selected = !p.negated;
            }
        }
        selected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(patterns: &[&str], value: &str, expect: bool) {
        let f = Filter::new(patterns.iter().copied()).unwrap();
        assert_eq!(f.selects(value), expect, "{patterns:?} on {value:?}");
    }

    #[test]
    fn follows_github_glob_semantics() {
        check(&["main"], "main", true);
        check(&["main"], "mainline", false);
        check(&["feature/*"], "feature/a", true);
        check(&["feature/*"], "feature/a/b", false);
        check(&["feature/**"], "feature/a/b", true);
        check(&["**"], "any/thing/at/all", true);
        check(&["*"], "a/b", false);
        check(&["**.js"], "src/app.js", true);
        check(&["**/README.md"], "README.md", true);
        check(&["**/README.md"], "docs/README.md", true);
        check(&["docs/**"], "docs/a/b.md", true);
        check(&["v[12].[0-9]+.[0-9]+"], "v1.10.3", true);
        check(&["v[12].[0-9]+.[0-9]+"], "v3.1.1", false);
        check(&["colou?r"], "color", true);
        check(&["colou?r"], "colour", true);
        check(&["services/api\\*"], "services/api*", true);
        check(&["services/api\\*"], "services/apix", false);
    }

    #[test]
    fn later_patterns_override_earlier_ones() {
        check(&["releases/**", "!releases/**-alpha"], "releases/v1", true);
        check(
            &["releases/**", "!releases/**-alpha"],
            "releases/v1-alpha",
            false,
        );
        check(
            &["sub/**", "!sub/deep/**", "sub/deep/keep.txt"],
            "sub/deep/keep.txt",
            true,
        );
        check(&["!docs/**"], "src/main.rs", false);
    }

    #[test]
    fn reports_invalid_patterns() {
        assert!(Pattern::new("?abc").is_err());
        assert!(Pattern::new("[abc").is_err());
        assert!(Pattern::new("!").is_err());
    }
}
