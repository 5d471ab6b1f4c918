//! Replaces secret values and `::add-mask::` values with `***` in everything shown or stored.

use std::sync::{Arc, RwLock};

use aho_corasick::{AhoCorasick, MatchKind};

/// A shared, growing set of values to hide. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Masker {
    inner: Arc<RwLock<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    values: Vec<String>,
    matcher: Option<AhoCorasick>,
}

impl Masker {
    /// Adds a value to hide. Multi-line values are also hidden line by line, as GitHub does,
    /// since output is processed a line at a time.
    pub fn add(&self, value: &str) {
        let mut candidates: Vec<&str> = vec![value.trim_end_matches(['\r', '\n'])];
        if value.contains('\n') {
            candidates.extend(value.lines().map(str::trim_end));
        }
        let Ok(mut inner) = self.inner.write() else {
            return;
        };
        let mut changed = false;
        for c in candidates {
            // Very short values would mask ordinary text everywhere; GitHub skips them too.
            if c.len() < 2 || inner.values.iter().any(|v| v == c) {
                continue;
            }
            inner.values.push(c.to_owned());
            changed = true;
        }
        if changed {
            inner.matcher = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&inner.values)
                .ok();
        }
    }

    pub fn mask(&self, text: &str) -> String {
        let Ok(inner) = self.inner.read() else {
            return text.to_owned();
        };
        match &inner.matcher {
            Some(m) => m.replace_all(text, &vec!["***"; inner.values.len()]),
            None => text.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Masker;

    #[test]
    fn masks_every_occurrence_longest_first() {
        let m = Masker::default();
        m.add("abc");
        m.add("abcdef");
        m.add("x");
        assert_eq!(m.mask("abcdef abc x"), "*** *** x");
        m.add("line1\nline2\n");
        assert_eq!(m.mask("got line2"), "got ***");
    }
}
