//! Reports of findings: JSON (gitleaks' field names, so existing tooling keeps working), CSV,
//! JUnit XML and SARIF 2.1.0.

use serde_json::{Value, json};

use crate::config::Config;
use crate::detect::Finding;

/// gitleaks-compatible JSON: an array of objects with `RuleID`, `File`, `StartLine`, ...
pub fn json(findings: &[Finding]) -> String {
    let items: Vec<Value> = findings
        .iter()
        .map(|f| {
            let c = f.commit.clone().unwrap_or_default();
            json!({
                "RuleID": f.rule_id,
                "Description": f.description,
                "StartLine": f.start_line,
                "EndLine": f.end_line,
                "StartColumn": f.start_column,
                "EndColumn": f.end_column,
                "Match": f.matched,
                "Secret": f.secret,
                "File": f.file,
                "SymlinkFile": "",
                "Commit": c.sha,
                "Entropy": f.entropy,
                "Author": c.author,
                "Email": c.email,
                "Date": c.date,
                "Message": c.message,
                "Tags": f.tags,
                "Fingerprint": f.fingerprint(),
                "HoistFingerprint": crate::suppress::stable_fingerprint(f),
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// CSV with a header row, the same columns as the JSON report.
pub fn csv(findings: &[Finding]) -> String {
    let mut out = String::from(
        "RuleID,Commit,File,SymlinkFile,Secret,Match,StartLine,EndLine,StartColumn,EndColumn,Author,Message,Date,Email,Fingerprint,Tags\n",
    );
    for f in findings {
        let c = f.commit.clone().unwrap_or_default();
        let row = [
            f.rule_id.clone(),
            c.sha,
            f.file.clone(),
            String::new(),
            f.secret.clone(),
            f.matched.clone(),
            f.start_line.to_string(),
            f.end_line.to_string(),
            f.start_column.to_string(),
            f.end_column.to_string(),
            c.author,
            c.message,
            c.date,
            c.email,
            f.fingerprint(),
            f.tags.join(" "),
        ];
        out.push_str(
            &row.iter()
                .map(|v| csv_field(v))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    out
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JUnit XML: one failed test case per finding, so CI systems show findings as test failures.
pub fn junit(findings: &[Finding]) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"hoist secrets\" tests=\"{n}\" failures=\"{n}\">\n",
        n = findings.len()
    );
    for f in findings {
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}:{}\">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
            xml(&f.rule_id),
            xml(&f.file),
            f.start_line,
            xml(&format!("{}: {} found in {} line {}", f.rule_id, f.description, f.file, f.start_line)),
            xml(&f.rule_id),
            xml(&f.line)
        ));
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// SARIF 2.1.0 with the configuration's rules and a partial fingerprint per result.
pub fn sarif(findings: &[Finding], config: &Config, version: &str) -> String {
    let rules: Vec<Value> = config
        .rules
        .iter()
        .map(|r| json!({"id": r.id, "name": r.id, "shortDescription": {"text": if r.description.is_empty() { r.id.clone() } else { r.description.clone() }}}))
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let how = f
                .decoded_from()
                .map_or(String::new(), |e| format!(" (decoded from {e})"));
            let mut result = json!({
                "ruleId": f.rule_id,
                "level": "error",
                "message": {"text": format!("{} has detected a secret in {}{how}", f.rule_id, f.file)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.file.replace('\\', "/")},
                        "region": {
                            "startLine": f.start_line.max(1),
                            "startColumn": f.start_column.max(1),
                            "endLine": f.end_line.max(f.start_line).max(1),
                            "endColumn": (f.end_column + 1).max(f.start_column.max(1) + 1),
                            "snippet": {"text": f.secret},
                        }
                    }
                }],
                "partialFingerprints": {"hoist/v1": f.fingerprint()},
            });
            if let Some(i) = config.rules.iter().position(|r| r.id == f.rule_id) {
                result["ruleIndex"] = json!(i);
            }
            let mut properties = serde_json::Map::new();
            if let Some(c) = &f.commit {
                properties.extend([
                    ("commit".to_owned(), json!(c.sha)),
                    ("author".to_owned(), json!(c.author)),
                    ("email".to_owned(), json!(c.email)),
                    ("date".to_owned(), json!(c.date)),
                ]);
            }
            if !f.tags.is_empty() {
                // SARIF wants them unique.
                let mut seen = std::collections::HashSet::new();
                let mut tags = f.tags.clone();
                tags.retain(|t| seen.insert(t.clone()));
                properties.insert("tags".to_owned(), json!(tags));
            }
            if !properties.is_empty() {
                result["properties"] = Value::Object(properties);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "hoist-secrets", "version": version, "rules": rules}},
            "results": results,
        }]
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}
