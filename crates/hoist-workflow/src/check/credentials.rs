//! A registry password written into the workflow is in the repository for everyone who can
//! read it; it belongs in a secret.

use hoist_diagnostics::Diagnostic;

use super::RuleContext;
use crate::lower::is_expression;
use crate::model::Container;

pub(super) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for job in ctx.workflow.jobs.values() {
        let containers = job
            .container
            .iter()
            .map(|c| ("`container`".to_owned(), c))
            .chain(
                job.services
                    .iter()
                    .map(|(n, c)| (format!("service `{n}`"), c)),
            );
        for (what, container) in containers {
            check_container(&what, container, out);
        }
    }
}

fn check_container(what: &str, container: &Container, out: &mut Vec<Diagnostic>) {
    let Some(password) = container
        .credentials
        .as_ref()
        .and_then(|c| c.get("password"))
    else {
        return;
    };
    let literal = password.as_str().is_some_and(|p| !p.is_empty()) && !is_expression(password);
    if literal {
        out.push(
            Diagnostic::warning(
                "hardcoded-credentials",
                password.span,
                format!("the registry password of {what} is written in the workflow"),
            )
            .with_hint(
                "store it as a secret and write `password: ${{ secrets.REGISTRY_PASSWORD }}`",
            ),
        );
    }
}
