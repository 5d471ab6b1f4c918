//! Workflow commands GitHub disabled or deprecated (`::set-output`, `::save-state`,
//! `::set-env`, `::add-path`) written in `run:` scripts: the step runs, but the command does
//! nothing (or warns), so what it was meant to pass on is lost.

use hoist_diagnostics::Diagnostic;

use super::RuleContext;

/// The command, and what replaces it.
const DEPRECATED: &[(&str, &str)] = &[
    ("set-output", "echo \"name=value\" >> \"$GITHUB_OUTPUT\""),
    ("save-state", "echo \"name=value\" >> \"$GITHUB_STATE\""),
    ("set-env", "echo \"NAME=value\" >> \"$GITHUB_ENV\""),
    ("add-path", "echo \"/some/dir\" >> \"$GITHUB_PATH\""),
];

pub(super) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for job in ctx.workflow.jobs.values() {
        for step in &job.steps {
            let Some(run) = &step.run else { continue };
            for (command, replacement) in DEPRECATED {
                let needle = format!("::{command}");
                for (byte, _) in run.value.match_indices(&needle) {
                    // `::set-env` is a prefix of nothing else, but `::set-output-x` is not it.
                    let next = run.value[byte + needle.len()..].chars().next();
                    if next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-') {
                        continue;
                    }
                    let offset = run.value[..byte].chars().count();
                    let span = ctx
                        .locator
                        .locate_in_span(run.span, &run.value, offset, &needle);
                    out.push(
                        Diagnostic::warning(
                            "deprecated-command",
                            span,
                            format!("the `::{command}` workflow command is deprecated and disabled on GitHub"),
                        )
                        .with_hint(format!("write `{replacement}` instead")),
                    );
                }
            }
        }
    }
}
