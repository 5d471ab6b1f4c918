//! Finding secrets in text: a keyword prefilter, then the rules' regexes, entropy and
//! allowlists, gitleaks' semantics throughout.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::config::{Allowlist, Config, RegexTarget, Rule};
use crate::decode::{Passes, Span};

/// gitleaks' default `--max-decode-depth`.
pub const DEFAULT_DECODE_DEPTH: usize = 5;

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
    /// The line (or lines) of the match, as in the file; a long line is cut to the part
    /// around the match, with `…` where it was cut.
    pub line: String,
    /// For a match in decoded text, where the text it was decoded from is in `line` (so that
    /// redaction hides the encoded form too).
    pub encoded: Option<std::ops::Range<usize>>,
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

    /// The encodings the secret was hidden behind (from its `decoded:…` tags) joined by `+`,
    /// in gitleaks' order (percent, unicode, hex, base64), not the order they were nested in;
    /// `None` for a secret found as it is.
    pub fn decoded_from(&self) -> Option<String> {
        let encodings: Vec<&str> = self
            .tags
            .iter()
            .filter_map(|t| t.strip_prefix("decoded:"))
            .collect();
        (!encodings.is_empty()).then(|| encodings.join("+"))
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
        if let Some(encoded) = self.encoded.take()
            && self.line.get(encoded.clone()).is_some()
        {
            self.line.replace_range(encoded, &masked);
        }
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
    /// How many times encoded text is decoded and scanned again.
    max_decode_depth: usize,
    /// Whether an allowlist matches its regexes against the line.
    line_allowlists: bool,
}

/// The text a scan started from, with its line starts once a finding needs them.
struct Original<'t> {
    text: &'t str,
    lines: std::cell::OnceCell<LineIndex>,
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
        let line_allowlists = config
            .allowlists
            .iter()
            .chain(config.rules.iter().flat_map(|r| &r.allowlists))
            .any(|a| a.regex_target == RegexTarget::Line && !a.regexes.is_empty());
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
            max_decode_depth: DEFAULT_DECODE_DEPTH,
            line_allowlists,
        }
    }

    /// How many passes of decoding follow the scan of a text as it is (gitleaks'
    /// `--max-decode-depth`); 0 scans only the text as it is.
    pub fn with_max_decode_depth(mut self, depth: usize) -> Self {
        self.max_decode_depth = depth;
        self
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

    /// Every finding in `text`, the content of file `path`: in the text as it is, then in
    /// what its encoded parts decode to, pass after pass up to the decode depth.
    pub fn scan(&self, path: &str, text: &str, commit: Option<&CommitInfo>) -> Vec<Finding> {
        let mut findings = self.path_findings(path, commit);
        let original = Original {
            text,
            lines: std::cell::OnceCell::new(),
        };
        self.scan_pass(path, &original, text, None, commit, &mut findings);
        let mut passes = Passes::default();
        let mut current = std::borrow::Cow::Borrowed(text);
        for _ in 0..self.max_decode_depth {
            let Some(next) = passes.decode(&current) else {
                break;
            };
            current = std::borrow::Cow::Owned(next);
            self.scan_pass(
                path,
                &original,
                &current,
                Some(&passes),
                commit,
                &mut findings,
            );
        }
        drop_generic_duplicates(findings)
    }

    /// Path-only rules report the file itself.
    fn path_findings(&self, path: &str, commit: Option<&CommitInfo>) -> Vec<Finding> {
        let mut findings = Vec::new();
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
                    encoded: None,
                    entropy: 0.0,
                    tags: rule.tags.clone(),
                    commit: commit.cloned(),
                    stable: None,
                };
                if !self.allowed(rule, &f, &f.line) {
                    findings.push(f);
                }
            }
        }
        findings
    }

    /// The rules' findings in `current`: the original text, or the text a decoding pass
    /// produced, where only matches overlapping that pass's segments are new.
    fn scan_pass(
        &self,
        path: &str,
        original: &Original,
        current: &str,
        passes: Option<&Passes>,
        commit: Option<&CommitInfo>,
        findings: &mut Vec<Finding>,
    ) {
        let mut candidates: Vec<usize> = self.always.clone();
        // Every keyword occurrence, by pattern: (start, end).
        let mut hits: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.owners.len()];
        if let Some(ac) = &self.keywords {
            for m in ac.find_overlapping_iter(current.as_bytes()) {
                let p = m.pattern().as_usize();
                if hits[p].is_empty() {
                    candidates.extend(&self.owners[p]);
                }
                hits[p].push((m.start(), m.end()));
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let whole_text = !self.keyword_windows || crate::window::folds_to_ascii(current);
        // The newlines of decoded text, once a finding in it needs its line.
        let newlines: std::cell::OnceCell<Vec<usize>> = std::cell::OnceCell::new();
        for i in candidates {
            let rule = &self.config.rules[i];
            if rule.skip_report {
                continue;
            }
            if rule.path.as_ref().is_some_and(|p| !p.get().is_match(path)) {
                continue;
            }
            let Some(regex) = &rule.regex else { continue };
            let mut ranges = match rule.keyword_reach() {
                Some(reach) if !whole_text => windows(
                    current,
                    self.patterns_of[i].iter().map(|&p| &hits[p]),
                    reach,
                ),
                _ => vec![(0, current.len())],
            };
            // In decoded text a window away from every segment holds nothing new.
            if let Some(passes) = passes {
                ranges.retain(|&(s, e)| !passes.overlapping(Span::new(s, e)).is_empty());
            }
            let searcher = regex.searcher();
            let matches = ranges.into_iter().flat_map(|(start, end)| {
                searcher.captures_iter(regex_automata::Input::new(current).range(start..end))
            });
            for caps in matches {
                let Some(span) = caps.get_match() else {
                    continue;
                };
                if span.is_empty() {
                    continue;
                }
                // Where the match was in the original text, and the line allowlists see.
                let (at, decoded_line, tags) = match passes {
                    None => (Span::new(span.start(), span.end()), None, None),
                    Some(passes) => {
                        let here = Span::new(span.start(), span.end());
                        let segments = passes.overlapping(here);
                        if segments.is_empty() {
                            continue;
                        }
                        // Only allowlists with `regexTarget = "line"` read it, and on a long
                        // line it costs a scan per match.
                        let line = if self.line_allowlists {
                            let newlines = newlines.get_or_init(|| {
                                memchr::memchr_iter(b'\n', current.as_bytes()).collect()
                            });
                            Passes::line(current, newlines, segments)
                        } else {
                            ""
                        };
                        let tags = Passes::tags(segments);
                        (passes.to_original(here), Some(line), Some(tags))
                    }
                };
                let secret = secret_of(rule, &caps, current);
                if secret.is_empty() {
                    continue;
                }
                let entropy = shannon_entropy(secret);
                if rule.entropy.is_some_and(|min| entropy <= min) {
                    continue;
                }
                let text = original.text;
                let index = original.lines.get_or_init(|| LineIndex::new(text));
                let (start_line, start_column) = index.position(text, at.start);
                let (end_line, end_column) =
                    index.position(text, at.end.saturating_sub(1).max(at.start));
                if index.allow_comment(text, start_line, end_line) {
                    continue;
                }
                let line_text = index.lines_text(text, start_line, end_line);
                let line_start = index.starts[start_line - 1];
                let (excerpt, in_excerpt) =
                    excerpt(line_text, at.start - line_start, at.end - line_start);
                let mut rule_tags = rule.tags.clone();
                rule_tags.extend(tags.into_iter().flatten());
                let f = Finding {
                    rule_id: rule.id.clone(),
                    description: rule.description.clone(),
                    file: path.to_owned(),
                    start_line,
                    end_line,
                    start_column,
                    end_column,
                    matched: current[span.range()].to_owned(),
                    secret: secret.to_owned(),
                    line: excerpt,
                    encoded: passes.and(Some(in_excerpt)),
                    entropy: entropy as f32,
                    tags: rule_tags,
                    commit: commit.cloned(),
                    stable: None,
                };
                if !self.allowed(rule, &f, decoded_line.unwrap_or(line_text)) {
                    findings.push(f);
                }
            }
        }
    }

    /// Whether an allowlist of the rule or a global one lets `f` through; `line` is what
    /// `regexTarget = "line"` sees (the decoded line for a finding in decoded text).
    fn allowed(&self, rule: &Rule, f: &Finding, line: &str) -> bool {
        rule.allowlists.iter().any(|a| allows(a, f, line))
            || self
                .config
                .allowlists
                .iter()
                .filter(|a| {
                    a.target_rules.is_empty() || a.target_rules.iter().any(|t| t == &rule.id)
                })
                .any(|a| allows(a, f, line))
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

fn allows(a: &Allowlist, f: &Finding, line: &str) -> bool {
    let commit = (!a.commits.is_empty()).then(|| {
        f.commit
            .as_ref()
            .is_some_and(|c| a.commits.iter().any(|x| x.eq_ignore_ascii_case(&c.sha)))
    });
    let path = (!a.paths.is_empty()).then(|| a.paths.iter().any(|p| p.get().is_match(&f.file)));
    let regex = (!a.regexes.is_empty()).then(|| {
        let target = match a.regex_target {
            RegexTarget::Secret => f.secret.as_str(),
            RegexTarget::Match => f.matched.as_str(),
            RegexTarget::Line => line,
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

/// How much of a long line a finding keeps around its match, on each side.
const EXCERPT_CONTEXT: usize = 200;
/// The most of a long line a finding keeps: a minified file can hold thousands of findings
/// on one line of megabytes.
const EXCERPT_MAX: usize = 2048;

/// `line` cut to the part around `start..end` (byte offsets in it) when it is long, with `…`
/// where it was cut, and where `start..end` is in what is kept.
fn excerpt(line: &str, start: usize, end: usize) -> (String, std::ops::Range<usize>) {
    let (start, end) = (start.min(line.len()), end.min(line.len()));
    if line.len() <= EXCERPT_MAX {
        return (line.to_owned(), start..end);
    }
    let mut from = start.saturating_sub(EXCERPT_CONTEXT);
    while !line.is_char_boundary(from) {
        from -= 1;
    }
    let mut to = end
        .saturating_add(EXCERPT_CONTEXT)
        .min(from + EXCERPT_MAX)
        .min(line.len())
        .max(from);
    while !line.is_char_boundary(to) {
        to += 1;
    }
    let lead = if from > 0 { "…" } else { "" };
    let tail = if to < line.len() { "…" } else { "" };
    let kept = format!("{lead}{}{tail}", &line[from..to]);
    let at = |i: usize| lead.len() + i.clamp(from, to) - from;
    (kept, at(start)..at(end))
}

/// Byte offsets of line starts, built once per file that has a candidate match.
struct LineIndex {
    starts: Vec<usize>,
    /// The last position asked for (byte offset, its column, its line's start): matches come
    /// in order, so the next column counts on from there, not from the line's start, which
    /// on a minified line of megabytes with many findings would be quadratic.
    last: std::cell::Cell<(usize, usize, usize)>,
    /// Whether the last lines asked about hold an allow comment (first line, last line).
    allow_comment: std::cell::Cell<Option<(usize, usize, bool)>>,
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
        Self {
            starts,
            last: std::cell::Cell::new((0, 1, 0)),
            allow_comment: std::cell::Cell::new(None),
        }
    }

    /// 1-based line and character column of byte `offset`.
    fn position(&self, text: &str, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|s| *s <= offset);
        let start = self.starts[line - 1];
        let (last, last_column, last_start) = self.last.get();
        let (from, base) = if last_start == start && last <= offset {
            (last, last_column)
        } else {
            (start, 1)
        };
        let column = text
            .get(from..offset)
            .map_or(offset - from, |s| s.chars().count())
            + base;
        self.last.set((offset, column, start));
        (line, column)
    }

    /// Whether lines `first..=last` hold a `gitleaks:allow` or `hoist:allow` comment.
    fn allow_comment(&self, text: &str, first: usize, last: usize) -> bool {
        if let Some((f, l, allowed)) = self.allow_comment.get()
            && (f, l) == (first, last)
        {
            return allowed;
        }
        let lines = self.lines_text(text, first, last);
        let allowed = lines.contains("gitleaks:allow") || lines.contains("hoist:allow");
        self.allow_comment.set(Some((first, last, allowed)));
        allowed
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
    use super::{EXCERPT_CONTEXT, EXCERPT_MAX, excerpt, shannon_entropy};

    #[test]
    fn long_lines_are_cut_around_the_match() {
        // A short line is kept whole.
        assert_eq!(excerpt("k = abc", 4, 7), ("k = abc".to_owned(), 4..7));
        // A long one keeps the match and some context, and says where it was cut.
        let line = format!("{}SECRET{}", "é".repeat(3000), "x".repeat(3000));
        let start = "é".repeat(3000).len();
        let (kept, at) = excerpt(&line, start, start + 6);
        assert_eq!(&kept[at.clone()], "SECRET");
        assert!(kept.starts_with('…') && kept.ends_with('…'), "{kept}");
        assert!(kept.len() <= EXCERPT_MAX + 2 * '…'.len_utf8() + 2);
        assert!(kept.len() >= 2 * EXCERPT_CONTEXT);
        // A match longer than the limit is kept from its start.
        let (kept, at) = excerpt(&line, 10, line.len() - 10);
        assert!(kept.len() <= EXCERPT_MAX + 2 * '…'.len_utf8() + 2);
        assert_eq!(at.start, 10);
        assert_eq!(at.end, kept.len() - '…'.len_utf8());
    }

    #[test]
    fn entropy_of_known_strings() {
        assert_eq!(shannon_entropy(""), 0.0);
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("ab") - 1.0).abs() < 1e-9);
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-9);
    }
}
