//! Printing a gate's file reports (`hoist check`, `hoist check migrations`) in the format the
//! user asked for, so every gate writes text, JSON, SARIF and JUnit alike.

use hoist_diagnostics::{
    FileReport, SarifRule, render_human, render_json, render_junit, render_sarif,
};

use crate::cli::Format;
use crate::output;

/// What a gate is called in machine output: the JUnit suite and the SARIF rule table.
pub(crate) struct Gate<'a> {
    pub(crate) suite: &'a str,
    pub(crate) rules: &'a [SarifRule],
}

/// Prints `reports` to stdout as `format`. Text is followed by `summary` on stderr, so machine
/// output never mixes with it; `checked` names every file read, since JUnit counts the files
/// without findings as passing cases.
pub(crate) fn print(
    gate: &Gate<'_>,
    format: Format,
    checked: &[String],
    reports: &[FileReport],
    summary: &str,
) {
    match format {
        Format::Text => {
            let out: String = reports.iter().map(render_human).collect();
            output::stdout(&out);
            output::stderr(summary);
        }
        Format::Json => output::stdout(&render_json(reports)),
        Format::Sarif => output::stdout(&render_sarif(
            "hoist",
            env!("CARGO_PKG_VERSION"),
            gate.rules,
            reports,
        )),
        Format::Junit => output::stdout(&render_junit(gate.suite, checked, reports)),
    }
}
