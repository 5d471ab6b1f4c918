//! Finding secrets in text: a keyword prefilter, then the rules' regexes, entropy and
//! allowlists, gitleaks' semantics throughout.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::config::{Allowlist, Config, RegexTarget, Rule};

/// The commit a finding was introduced in, for git scans.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommitInfo {
    pub sha: String,
    pub author: String,
    pub email: String,
    pub date: String,
    pub message: String,
}

/// A secret found in a file.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub rule_id: String,
    pub description: String,
    pub file: String,
    /// 1-based.
    pub start_line: usize,
    pub end_line: usize,
    /// 1-based, in characters.
    pub start_column: usize,
    pub end_column: usize,
    /// What the rule's regex matched.
    pub matched: String,
    /// The secret part of the match.
    pub secret: String,
    /// The whole line (or lines) of the match.
    pub line: String,
    pub entropy: f32,
    pub tags: Vec<String>,
    pub commit: Option<CommitInfo>,
    /// The stable fingerprint, kept when the secret is redacted.
    pub stable: Option<String>,
}

impl Finding {
    /// gitleaks' fingerprint: `commit:file:rule:line`, or `file:rule:line` outside git.
    pub fn fingerprint(&self) -> String {
        match &self.commit {
            Some(c) => format!(
                "{}:{}:{}:{}",
                c.sha, self.file, self.rule_id, self.start_line
            ),
            None => format!("{}:{}:{}", self.file, self.rule_id, self.start_line),
        }
    }

    /// Hides the secret in `secret`, `matched` and `line`: 100 (%) replaces it with
    /// `REDACTED`; less keeps that share of the beginning visible.
    pub fn redact(&mut self, percent: u8) {
        if self.secret.is_empty() || percent == 0 {
            return;
        }
        if self.stable.is_none() {
            self.stable = Some(crate::suppress::stable_fingerprint(self));
        }
        let masked = if percent >= 100 {
            "REDACTED".to_owned()
        } else {
            let keep = self.secret.chars().count() * usize::from(100 - percent) / 100;
            format!("{}...", self.secret.chars().take(keep).collect::<String>())
        };
        self.matched = self.matched.replace(&self.secret, &masked);
        self.line = self.line.replace(&self.secret, &masked);
        self.secret = masked;
    }
}

/// Shannon entropy of `s`, in bits per character.
pub fn shannon_entropy(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut total = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&n| {
            let p = n as f64 / total as f64;
            -p * p.log2()
        })
        .sum()
}

/// Scans text with a configuration. Cheap to share between threads.
#[derive(Debug)]
pub struct Scanner {
    config: Config,
    keywords: Option<AhoCorasick>,
    /// For each keyword pattern, the rules that use it.
    owners: Vec<Vec<usize>>,
    /// For each rule, its keyword patterns.
    patterns_of: Vec<Vec<usize>>,
    /// Rules without keywords: they run on every file.
    always: Vec<usize>,
    /// Whether rules may search only around their keywords (see `window.rs`).
    keyword_windows: bool,
}

impl Scanner {
    pub fn new(config: Config) -> Self {
        let mut patterns: Vec<String> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        let mut patterns_of = vec![Vec::new(); config.rules.len()];
        for (i, rule) in config.rules.iter().enumerate() {
            if rule.regex.is_none() {
                continue;
            }
            if rule.keywords.is_empty() {
                always.push(i);
                continue;
            }
            for k in &rule.keywords {
                let p = match patterns.iter().position(|p| p == k) {
                    Some(p) => {
                        owners[p].push(i);
                        p
                    }
                    None => {
                        patterns.push(k.clone());
                        owners.push(vec![i]);
                        patterns.len() - 1
                    }
                };
                patterns_of[i].push(p);
            }
        }
        let keywords = (!patterns.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(&patterns)
                .ok()
        });
        Self {
            config,
            keywords: keywords.flatten(),
            owners,
            patterns_of,
            always,
            keyword_windows: true,
        }
    }

    /// A scanner whose rules always search whole texts, as gitleaks does: slower, with the
    /// same findings. For checking that the faster search changes nothing.
    pub fn searching_whole_texts(mut self) -> Self {
        self.keyword_windows = false;
        self
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether a global allowlist excludes this whole file by its path (checked before
    /// reading it).
    pub fn path_allowed(&self, path: &str) -> bool {
        self.config.allowlists.iter().any(|a| {
            a.target_rules.is_empty()
                && !a.require_all
                && a.paths.iter().any(|p| p.get().is_match(path))
        })
    }

    /// Every finding in the added lines of a patch fragment; line numbers are those of the
    /// file after the change.
    pub fn scan_fragment(&self, fragment: &crate::patch::Fragment) -> Vec<Finding> {
        let mut found = self.scan(&fragment.file, &fragment.text, fragment.commit.as_ref());
        for f in &mut found {
            f.start_line += fragment.first_line - 1;
            f.end_line += fragment.first_line - 1;
        }
        found
    }

    /// Every finding in `text`, the content of file `path`.
    pub fn scan(&self, path: &str, text: &str, commit: Option<&CommitInfo>) -> Vec<Finding> {
        let mut findings = Vec::new();
        // Path-only rules report the file itself.
        for rule in &self.config.rules {
            if rule.regex.is_none()
                && rule.path.as_ref().is_some_and(|p| p.get().is_match(path))
                && !rule.skip_report
            {
                let f = Finding {
                    rule_id: rule.id.clone(),
                    description: rule.description.clone(),
                    file: path.to_owned(),
                    start_line: 0,
                    end_line: 0,
                    start_column: 0,
                    end_column: 0,
                    matched: format!("file detected: {path}"),
                    secret: String::new(),
                    line: String::new(),
                    entropy: 0.0,
                    tags: rule.tags.clone(),
                    commit: commit.cloned(),
                    stable: None,
                };
                if !self.allowed(rule, &f) {
                    findings.push(f);
                }
            }
        }
        let mut candidates: Vec<usize> = self.always.clone();
        // Every keyword occurrence, by pattern: (start, end).
        let mut hits: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.owners.len()];
        if let Some(ac) = &self.keywords {
            for m in ac.find_overlapping_iter(text.as_bytes()) {
                let p = m.pattern().as_usize();
                if hits[p].is_empty() {
                    candidates.extend(&self.owners[p]);
                }
                hits[p].push((m.start(), m.end()));
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let whole_text = !self.keyword_windows || crate::window::folds_to_ascii(text);
        let mut lines: Option<LineIndex> = None;
        for i in candidates {
            let rule = &self.config.rules[i];
            if rule.skip_report {
                continue;
            }
            if rule.path.as_ref().is_some_and(|p| !p.get().is_match(path)) {
                continue;
            }
            let Some(regex) = &rule.regex else { continue };
            let ranges = match rule.keyword_reach() {
                Some(reach) if !whole_text => {
                    windows(text, self.patterns_of[i].iter().map(|&p| &hits[p]), reach)
                }
                _ => vec![(0, text.len())],
            };
            let searcher = regex.searcher();
            let matches = ranges.into_iter().flat_map(|(start, end)| {
                searcher.captures_iter(regex_automata::Input::new(text).range(start..end))
            });
            for caps in matches {
                let Some(span) = caps.get_match() else {
                    continue;
                };
                if span.is_empty() {
                    continue;
                }
                let whole = &text[span.range()];
                let secret = secret_of(rule, &caps, text);
                if secret.is_empty() {
                    continue;
                }
                let entropy = shannon_entropy(secret);
                if rule.entropy.is_some_and(|min| entropy <= min) {
                    continue;
                }
                let index = lines.get_or_insert_with(|| LineIndex::new(text));
                let (start_line, start_column) = index.position(text, span.start());
                let (end_line, end_column) =
                    index.position(text, span.end().saturating_sub(1).max(span.start()));
                let line_text = index.lines_text(text, start_line, end_line);
                if line_text.contains("gitleaks:allow") || line_text.contains("hoist:allow") {
                    continue;
                }
                let f = Finding {
                    rule_id: rule.id.clone(),
                    description: rule.description.clone(),
                    file: path.to_owned(),
                    start_line,
                    end_line,
                    start_column,
                    end_column,
                    matched: whole.to_owned(),
                    secret: secret.to_owned(),
                    line: line_text.to_owned(),
                    entropy: entropy as f32,
                    tags: rule.tags.clone(),
                    commit: commit.cloned(),
                    stable: None,
                };
                if !self.allowed(rule, &f) {
                    findings.push(f);
                }
            }
        }
        drop_generic_duplicates(findings)
    }

    fn allowed(&self, rule: &Rule, f: &Finding) -> bool {
        rule.allowlists.iter().any(|a| allows(a, f))
            || self
                .config
                .allowlists
                .iter()
                .filter(|a| {
                    a.target_rules.is_empty() || a.target_rules.iter().any(|t| t == &rule.id)
                })
                .any(|a| allows(a, f))
    }
}

/// A finding of a generic rule is dropped when a specific rule found the same secret (or one
/// containing it) on the same line of the same commit, as gitleaks does.
fn drop_generic_duplicates(findings: Vec<Finding>) -> Vec<Finding> {
    let is_generic = |f: &Finding| f.rule_id.to_lowercase().contains("generic");
    let keep: Vec<bool> = findings
        .iter()
        .map(|f| {
            !is_generic(f)
                || !findings.iter().any(|g| {
                    !is_generic(g)
                        && g.rule_id != f.rule_id
                        && g.start_line == f.start_line
                        && g.commit.as_ref().map(|c| &c.sha) == f.commit.as_ref().map(|c| &c.sha)
                        && g.secret.contains(&f.secret)
                })
        })
        .collect();
    findings
        .into_iter()
        .zip(keep)
        .filter_map(|(f, k)| k.then_some(f))
        .collect()
}

/// The secret of a match: the `secretGroup`, else the first non-empty capture group, else the
/// whole match (gitleaks' choice).
fn secret_of<'t>(
    rule: &Rule,
    caps: &regex_automata::util::captures::Captures,
    text: &'t str,
) -> &'t str {
    if rule.secret_group > 0 {
        return caps
            .get_group(rule.secret_group)
            .map_or("", |m| &text[m.range()]);
    }
    for g in caps.iter().skip(1).flatten() {
        if !g.is_empty() {
            return &text[g.range()];
        }
    }
    caps.get_match().map_or("", |m| &text[m.range()])
}

/// The parts of `text` within `reach` bytes of a keyword occurrence, merged, on character
/// boundaries.
fn windows<'h>(
    text: &str,
    hits: impl Iterator<Item = &'h Vec<(usize, usize)>>,
    reach: &crate::window::Reach,
) -> Vec<(usize, usize)> {
    let mut spans: Vec<(usize, usize)> = hits
        .flatten()
        .map(|&(s, e)| {
            let (start, end) = reach.around(text.as_bytes(), s, e);
            let mut start = start;
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = end.min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            (start, end)
        })
        .collect();
    spans.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (s, e) in spans {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

fn allows(a: &Allowlist, f: &Finding) -> bool {
    let commit = (!a.commits.is_empty()).then(|| {
        f.commit
            .as_ref()
            .is_some_and(|c| a.commits.iter().any(|x| x.eq_ignore_ascii_case(&c.sha)))
    });
    let path = (!a.paths.is_empty()).then(|| a.paths.iter().any(|p| p.get().is_match(&f.file)));
    let regex = (!a.regexes.is_empty()).then(|| {
        let target = match a.regex_target {
            RegexTarget::Secret => &f.secret,
            RegexTarget::Match => &f.matched,
            RegexTarget::Line => &f.line,
        };
        a.regexes.iter().any(|r| r.get().is_match(target))
    });
    let stopword = (!a.stopwords.is_empty()).then(|| {
        let secret = f.secret.to_lowercase();
        a.stopwords.iter().any(|w| secret.contains(w.as_str()))
    });
    let checks: Vec<bool> = [commit, path, regex, stopword]
        .into_iter()
        .flatten()
        .collect();
    if checks.is_empty() {
        return false;
    }
    if a.require_all {
        checks.iter().all(|c| *c)
    } else {
        checks.iter().any(|c| *c)
    }
}

/// Byte offsets of line starts, built once per file that has a candidate match.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Self { starts }
    }

    /// 1-based line and character column of byte `offset`.
    fn position(&self, text: &str, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|s| *s <= offset);
        let start = self.starts[line - 1];
        let column = text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        (line, column)
    }

    fn lines_text<'t>(&self, text: &'t str, first: usize, last: usize) -> &'t str {
        let start = self.starts[first - 1];
        let end = self
            .starts
            .get(last)
            .map_or(text.len(), |e| e.saturating_sub(1));
        text.get(start..end)
            .unwrap_or_default()
            .trim_end_matches('\r')
    }
}

#[cfg(test)]
mod tests {
    use super::shannon_entropy;

    #[test]
    fn entropy_of_known_strings() {
        assert_eq!(shannon_entropy(""), 0.0);
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("ab") - 1.0).abs() < 1e-9);
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-9);
    }
}
