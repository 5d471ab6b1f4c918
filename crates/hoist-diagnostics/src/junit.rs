//! JUnit XML, for CI systems that show test reports: one test suite per gate run, one test
//! case per checked file, which fails with its errors (warnings are listed in its output).

use crate::FileReport;

/// `files` are every file the gate checked (clean ones pass); `reports` hold the findings.
pub fn render_junit(suite: &str, files: &[String], reports: &[FileReport]) -> String {
    let failures = files
        .iter()
        .filter(|f| reports.iter().any(|r| &r.path == *f && r.error_count() > 0))
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"{0}\" tests=\"{1}\" failures=\"{failures}\">\n  <testsuite name=\"{0}\" tests=\"{1}\" failures=\"{failures}\">\n",
        escape(suite),
        files.len()
    ));
    for file in files {
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\"",
            escape(suite),
            escape(file)
        ));
        let report = reports.iter().find(|r| &r.path == file);
        let Some(report) = report.filter(|r| !r.diagnostics.is_empty()) else {
            out.push_str("/>\n");
            continue;
        };
        out.push_str(">\n");
        let line = |d: &crate::Diagnostic| {
            format!(
                "{}:{}:{}: {}: {} [{}]",
                file,
                d.span.start.line,
                d.span.start.column,
                d.severity.as_str(),
                d.message,
                d.code
            )
        };
        let errors: Vec<String> = report
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(line)
            .collect();
        let warnings: Vec<String> = report
            .diagnostics
            .iter()
            .filter(|d| !d.is_error())
            .map(line)
            .collect();
        if !errors.is_empty() {
            out.push_str(&format!(
                "      <failure message=\"{} error(s)\">{}</failure>\n",
                errors.len(),
                escape(&errors.join("\n"))
            ));
        }
        if !warnings.is_empty() {
            out.push_str(&format!(
                "      <system-out>{}</system-out>\n",
                escape(&warnings.join("\n"))
            ));
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
