//! The `run:` scripts of a workflow as a shell linter sees them, and the way back from a
//! linter's line and column to the workflow file. Pure: the caller runs the linter
//! (`hoist check` runs shellcheck when it is installed).

use hoist_diagnostics::Diagnostic;
pub use hoist_yaml::Locator;
use hoist_yaml::Node;

use crate::model::{Spanned, Step, Workflow};

/// One `run:` script in a POSIX shell.
#[derive(Debug)]
pub struct ShellScript<'w> {
    pub job: &'w str,
    pub step: &'w Step,
    /// `bash` or `sh`, as the linter's `--shell`.
    pub shell: &'static str,
    /// The script with every `${{ }}` replaced by underscores of the same length, so that
    /// columns stay where they are and the linter sees a plain word.
    pub text: String,
    run: &'w Spanned<String>,
}

/// The scripts of every step that runs in `bash` or `sh`: its own `shell:`, else the job's or
/// workflow's `defaults.run.shell`, else the runner's default (`bash`, or PowerShell on a
/// Windows runner, which is left out).
pub fn shell_scripts(workflow: &Workflow) -> Vec<ShellScript<'_>> {
    let mut out = Vec::new();
    for (id, job) in &workflow.jobs {
        let default = job
            .defaults
            .shell
            .as_ref()
            .or(workflow.defaults.shell.as_ref());
        let windows = job.runs_on.as_ref().is_some_and(names_windows);
        for step in &job.steps {
            let Some(run) = &step.run else { continue };
            let shell = match step.shell.as_ref().or(default) {
                Some(s) => posix_shell(&s.value),
                None if windows => None,
                None => Some("bash"),
            };
            let Some(shell) = shell else { continue };
            out.push(ShellScript {
                job: id,
                step,
                shell,
                text: without_expressions(&run.value),
                run,
            });
        }
    }
    out
}

/// `bash`, `sh`, or a template starting with one of them (`bash --noprofile {0}`).
fn posix_shell(shell: &str) -> Option<&'static str> {
    let program = shell.split_whitespace().next()?.to_ascii_lowercase();
    let program = program.rsplit('/').next().unwrap_or(&program).to_owned();
    match program.as_str() {
        "bash" => Some("bash"),
        "sh" => Some("sh"),
        _ => None,
    }
}

fn names_windows(runs_on: &Node) -> bool {
    let is_windows = |s: &str| s.to_ascii_lowercase().starts_with("windows");
    match runs_on.as_sequence() {
        Some(items) => items.iter().filter_map(Node::as_str).any(is_windows),
        None => runs_on.as_str().is_some_and(is_windows),
    }
}

/// `echo ${{ x }}` → `echo ________`: one underscore per character.
fn without_expressions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let Some(len) = rest[start..].find("}}").map(|e| e + 2) else {
            break;
        };
        out.push_str(&rest[..start]);
        let chars = rest[start..start + len].chars().count();
        out.extend(std::iter::repeat_n('_', chars));
        rest = &rest[start + len..];
    }
    out.push_str(rest);
    out
}

impl ShellScript<'_> {
    /// A linter's finding at 1-based `line` and `column` of [`Self::text`], as a warning at
    /// the place in the workflow file.
    pub fn diagnostic(
        &self,
        locator: &Locator<'_>,
        line: usize,
        column: usize,
        code: &'static str,
        message: String,
    ) -> Diagnostic {
        let value = &self.run.value;
        let line_start: usize = value
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(|l| l.chars().count())
            .sum();
        let offset = line_start + column.saturating_sub(1);
        let needle: String = value.chars().skip(offset).take(1).collect();
        let span = if needle.is_empty() || needle == "\n" {
            self.run.span
        } else {
            locator.locate_in_span(self.run.span, value, offset, &needle)
        };
        Diagnostic::warning(code, span, message)
    }
}

#[cfg(test)]
mod tests {
    use super::without_expressions;

    #[test]
    fn expressions_become_underscores_of_the_same_length() {
        assert_eq!(without_expressions("echo ${{ x }} ok"), "echo ________ ok");
        assert_eq!(
            without_expressions("é${{ a }}${{ b }}"),
            "é________________"
        );
        assert_eq!(without_expressions("no ${{ end"), "no ${{ end");
    }
}
