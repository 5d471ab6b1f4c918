//! A `pull_request_target` workflow runs with the base repository's secrets and a write
//! token; checking out the pull request's head there runs the contributor's code with them.

use hoist_diagnostics::Diagnostic;

use super::RuleContext;
use crate::model::ActionRef;

/// What `ref:` may hold that names the pull request's own code.
const HEAD_REFS: &[&str] = &[
    "github.event.pull_request.head.sha",
    "github.event.pull_request.head.ref",
    "github.head_ref",
    "refs/pull/",
];

pub(super) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    if !ctx.workflow.on.events.contains_key("pull_request_target") {
        return;
    }
    for job in ctx.workflow.jobs.values() {
        for step in &job.steps {
            let is_checkout = matches!(
                step.uses.as_ref().map(|u| &u.value),
                Some(ActionRef::Repository { owner, repo, .. })
                    if owner == "actions" && repo == "checkout"
            );
            let Some((_, reference)) = step.with.get("ref").filter(|_| is_checkout) else {
                continue;
            };
            let Some(text) = reference.as_str() else {
                continue;
            };
            if HEAD_REFS.iter().any(|h| text.contains(h)) {
                out.push(
                    Diagnostic::warning(
                        "untrusted-checkout",
                        reference.span,
                        "this `pull_request_target` workflow checks out the pull request's code, which then runs with the repository's secrets and a write token",
                    )
                    .with_hint("use `on: pull_request` for building contributed code, or keep the checkout of the base and treat the head as data only"),
                );
            }
        }
    }
}
