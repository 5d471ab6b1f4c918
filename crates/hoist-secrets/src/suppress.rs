//! Known findings to leave out: `.gitleaksignore` fingerprints and a baseline report.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use crate::detect::Finding;

/// A fingerprint that survives rebases and moved lines: the file, the rule and a hash of the
/// secret (never the secret itself), without commit or line.
pub fn stable_fingerprint(f: &Finding) -> String {
    if let Some(s) = &f.stable {
        return s.clone();
    }
    let mut h = Sha256::new();
    h.update(f.file.as_bytes());
    h.update([0]);
    h.update(f.rule_id.as_bytes());
    h.update([0]);
    h.update(f.secret.as_bytes());
    let digest = h.finalize();
    format!(
        "hoist1:{}",
        digest
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

/// What to leave out of a scan's findings.
#[derive(Debug, Default)]
pub struct Suppressions {
    /// gitleaks fingerprints: `commit:file:rule:line` or `file:rule:line`.
    fingerprints: HashSet<String>,
    stable: HashSet<String>,
    /// Baseline entries from tools without stable fingerprints: (file, rule, line, secret).
    legacy: HashSet<(String, String, usize, String)>,
}

impl Suppressions {
    /// Adds the fingerprints of a `.gitleaksignore` file (`#` starts a comment).
    pub fn add_ignore_file(&mut self, text: &str) {
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if !line.is_empty() {
                self.fingerprints.insert(line.to_owned());
            }
        }
    }

    /// Adds the findings of a baseline report (this tool's or gitleaks' JSON).
    pub fn add_baseline(&mut self, json: &str) -> Result<usize, String> {
        let items: Vec<serde_json::Value> =
            serde_json::from_str(json).map_err(|e| format!("not a JSON report: {e}"))?;
        for item in &items {
            let text = |k: &str| {
                item.get(k)
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            if let Some(stable) = item
                .get("HoistFingerprint")
                .and_then(serde_json::Value::as_str)
            {
                self.stable.insert(stable.to_owned());
            } else {
                let line = item
                    .get("StartLine")
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(0) as usize;
                self.legacy
                    .insert((text("File"), text("RuleID"), line, text("Secret")));
            }
        }
        Ok(items.len())
    }

    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty() && self.stable.is_empty() && self.legacy.is_empty()
    }

    /// Whether `f` (not yet redacted) is known and should not be reported.
    pub fn suppresses(&self, f: &Finding) -> bool {
        if self.fingerprints.contains(&f.fingerprint()) {
            return true;
        }
        // A `file:rule:line` entry also covers the same finding in any commit.
        if f.commit.is_some()
            && self
                .fingerprints
                .contains(&format!("{}:{}:{}", f.file, f.rule_id, f.start_line))
        {
            return true;
        }
        self.stable.contains(&stable_fingerprint(f))
            || self.legacy.contains(&(
                f.file.clone(),
                f.rule_id.clone(),
                f.start_line,
                f.secret.clone(),
            ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::CommitInfo;

    fn finding(line: usize, commit: Option<&str>) -> Finding {
        Finding {
            rule_id: "r".into(),
            description: String::new(),
            file: "a.txt".into(),
            start_line: line,
            end_line: line,
            start_column: 1,
            end_column: 5,
            matched: "x".into(),
            secret: "s3cr3t".into(),
            line: String::new(),
            encoded: None,
            entropy: 0.0,
            tags: Vec::new(),
            commit: commit.map(|c| CommitInfo {
                sha: c.into(),
                ..CommitInfo::default()
            }),
            stable: None,
        }
    }

    #[test]
    fn ignore_files_and_baselines() {
        let mut s = Suppressions::default();
        s.add_ignore_file("# known\nabc:a.txt:r:3\na.txt:r:7 # fixture\n");
        assert!(s.suppresses(&finding(3, Some("abc"))));
        assert!(!s.suppresses(&finding(3, Some("def"))));
        assert!(s.suppresses(&finding(7, None)));
        assert!(s.suppresses(&finding(7, Some("any"))));
        let mut b = Suppressions::default();
        let stable = stable_fingerprint(&finding(1, None));
        b.add_baseline(&format!("[{{\"HoistFingerprint\": \"{stable}\"}}]"))
            .unwrap();
        assert!(
            b.suppresses(&finding(42, Some("rebased"))),
            "survives moved lines and new commits"
        );
        let mut g = Suppressions::default();
        g.add_baseline(r#"[{"File": "a.txt", "RuleID": "r", "StartLine": 5, "Secret": "s3cr3t"}]"#)
            .unwrap();
        assert!(g.suppresses(&finding(5, None)) && !g.suppresses(&finding(6, None)));
        assert!(Suppressions::default().add_baseline("{").is_err());
        let mut redacted = finding(1, None);
        redacted.redact(100);
        assert_eq!(
            stable_fingerprint(&redacted),
            stable,
            "redaction keeps the stable fingerprint"
        );
    }
}
