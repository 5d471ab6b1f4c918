//! Human-readable and JSON renderings of diagnostics.

use std::fmt::Write;

use crate::{Diagnostic, FileReport};

/// Renders diagnostics the way rustc and actionlint do:
///
/// ```text
/// ci.yml:12:5: error: unknown key `run-on` in job `build` [unknown-key]
///    |
/// 12 |     run-on: ubuntu-latest
///    |     ^^^^^^
///    = hint: did you mean `runs-on`?
/// ```
pub fn render_human(report: &FileReport) -> String {
    let mut out = String::new();
    for d in &report.diagnostics {
        render_one(&mut out, report, d);
    }
    out
}

fn render_one(out: &mut String, report: &FileReport, d: &Diagnostic) {
    let start = d.span.start;
    let _ = writeln!(
        out,
        "{}:{}:{}: {}: {} [{}]",
        report.path,
        start.line,
        start.column,
        d.severity.as_str(),
        d.message,
        d.code
    );
    if let Some(line) = report.line_text(start.line) {
        let number = start.line.to_string();
        let pad = " ".repeat(number.len());
        let _ = writeln!(out, "{pad} |");
        let _ = writeln!(out, "{number} | {}", line.replace('\t', " "));
        let line_chars = line.chars().count() as u32;
        let col = start.column.max(1);
        let end_col = if d.span.end.line == start.line && d.span.end.column > col {
            d.span.end.column.min(line_chars + 1)
        } else {
            // Multi-line spans underline to the end of the first line.
            line_chars + 1
        };
        let width = end_col.saturating_sub(col).max(1);
        let _ = writeln!(
            out,
            "{pad} | {}{}",
            " ".repeat(col as usize - 1),
            "^".repeat(width as usize)
        );
        if let Some(hint) = &d.hint {
            let _ = writeln!(out, "{pad} = hint: {hint}");
        }
    } else if let Some(hint) = &d.hint {
        let _ = writeln!(out, "  = hint: {hint}");
    }
}

/// Renders all reports as one JSON array of objects, one per diagnostic.
pub fn render_json(reports: &[FileReport]) -> String {
    let mut items = Vec::new();
    for report in reports {
        for d in &report.diagnostics {
            items.push(serde_json::json!({
                "path": report.path,
                "line": d.span.start.line,
                "column": d.span.start.column,
                "end_line": d.span.end.line,
                "end_column": d.span.end.column,
                "severity": d.severity.as_str(),
                "code": d.code,
                "message": d.message,
                "hint": d.hint,
            }));
        }
    }
    let mut s = serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_owned());
    s.push('\n');
    s
}
