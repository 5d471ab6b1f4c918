//! SARIF 2.1.0 output, the format code-scanning viewers load.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::{FileReport, Severity};

/// Describes a rule id that may appear in results, for the SARIF `tool.driver.rules` table.
#[derive(Clone, Debug)]
pub struct SarifRule {
    pub id: &'static str,
    pub description: &'static str,
}

/// Renders reports as a SARIF 2.1.0 log with a single run.
pub fn render_sarif(
    tool_name: &str,
    tool_version: &str,
    rules: &[SarifRule],
    reports: &[FileReport],
) -> String {
    let mut rule_index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rule_values = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        rule_index.insert(r.id, i);
        rule_values.push(json!({
            "id": r.id,
            "name": r.id,
            "shortDescription": { "text": r.description },
        }));
    }
    let mut results = Vec::new();
    for report in reports {
        for d in &report.diagnostics {
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "note",
            };
            let mut text = d.message.clone();
            if let Some(hint) = &d.hint {
                text.push_str(" (hint: ");
                text.push_str(hint);
                text.push(')');
            }
            let mut result = json!({
                "ruleId": d.code,
                "level": level,
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri_for(&report.path) },
                        "region": {
                            "startLine": d.span.start.line.max(1),
                            "startColumn": d.span.start.column.max(1),
                            "endLine": d.span.end.line.max(d.span.start.line).max(1),
                            "endColumn": end_column(d),
                        }
                    }
                }],
            });
            if let Some(i) = rule_index.get(d.code) {
                result["ruleIndex"] = json!(i);
            }
            results.push(result);
        }
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": tool_name,
                    "version": tool_version,
                    "informationUri": "https://example.invalid/hoist",
                    "rules": rule_values,
                }
            },
            "results": results,
        }]
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}

fn end_column(d: &crate::Diagnostic) -> u32 {
    // SARIF requires endColumn > startColumn on a single-line region.
    if d.span.end.line == d.span.start.line && d.span.end.column > d.span.start.column {
        d.span.end.column
    } else if d.span.end.line > d.span.start.line {
        d.span.end.column.max(1)
    } else {
        d.span.start.column.max(1) + 1
    }
}

/// SARIF wants a URI reference; relative paths stay relative, with `/` separators and
/// percent-encoding for the few characters that would break a URI.
fn uri_for(path: &str) -> Value {
    let mut out = String::with_capacity(path.len());
    for c in path.replace('\\', "/").chars() {
        match c {
            ' ' => out.push_str("%20"),
            '#' => out.push_str("%23"),
            '?' => out.push_str("%3F"),
            '%' => out.push_str("%25"),
            c => out.push(c),
        }
    }
    Value::String(out)
}
