//! Running shellcheck on the `run:` scripts of a workflow, as actionlint does, and mapping its
//! findings back to the workflow file's lines.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::Context;
use hoist_diagnostics::Diagnostic;
use hoist_workflow::model::Workflow;
use hoist_workflow::shell_scripts::shell_scripts;

/// Findings that the workflow's context explains rather than the script: files sourced from
/// the repository (SC1091), variables set by `env:` (SC2154), and the constant words that
/// `${{ }}` placeholders make (SC2050, SC2194, SC2157).
const EXCLUDED: &str = "SC1091,SC2154,SC2050,SC2194,SC2157";

/// Where shellcheck is, if it is installed.
pub(crate) fn find() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("shellcheck"))
        .find(|p| p.is_file())
}

/// shellcheck's findings in every `bash`/`sh` script of the workflow (`text` is the file).
pub(crate) fn check(
    shellcheck: &std::path::Path,
    workflow: &Workflow,
    text: &str,
) -> anyhow::Result<Vec<Diagnostic>> {
    let locator = hoist_workflow::shell_scripts::Locator::new(text);
    let mut out = Vec::new();
    for script in shell_scripts(workflow) {
        let mut child = Command::new(shellcheck)
            .args(["--format=json1", "--severity=info", "--exclude", EXCLUDED])
            .arg(format!("--shell={}", script.shell))
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot run `{}`", shellcheck.display()))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A script shellcheck stops reading early is still judged on what it read.
            let _ = stdin.write_all(script.text.as_bytes());
        }
        let output = child
            .wait_with_output()
            .context("shellcheck did not finish")?;
        // Exit 1 means findings; anything else without JSON is shellcheck failing.
        let report: serde_json::Value = match serde_json::from_slice(&output.stdout) {
            Ok(v) => v,
            Err(_) => anyhow::bail!(
                "shellcheck failed on job `{}` step {}: {}",
                script.job,
                script.step.index + 1,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        };
        for c in report["comments"].as_array().into_iter().flatten() {
            let (Some(line), Some(column), Some(code)) =
                (c["line"].as_u64(), c["column"].as_u64(), c["code"].as_u64())
            else {
                continue;
            };
            let message = c["message"].as_str().unwrap_or_default();
            out.push(
                script
                    .diagnostic(
                        &locator,
                        line as usize,
                        column as usize,
                        "shellcheck",
                        format!("SC{code}: {message}"),
                    )
                    .with_hint(format!("see https://www.shellcheck.net/wiki/SC{code}")),
            );
        }
    }
    Ok(out)
}
