//! Step ids must be unique within a job.

use hoist_diagnostics::Diagnostic;

use super::RuleContext;

pub(super) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for job in ctx.workflow.jobs.values() {
        for (i, step) in job.steps.iter().enumerate() {
            let Some(id) = &step.id else { continue };
            if let Some(first) = job.steps[..i].iter().find(|s| {
                s.id.as_ref()
                    .is_some_and(|x| x.value.eq_ignore_ascii_case(&id.value))
            }) {
                out.push(
                    Diagnostic::error(
                        "duplicate-step-id",
                        id.span,
                        format!(
                            "step id `{}` is already used by step {} of job `{}`",
                            id.value,
                            first.index + 1,
                            job.id
                        ),
                    )
                    .with_hint("step ids must be unique within a job"),
                );
            }
        }
    }
}
