//! Script injection: event fields that whoever triggers the workflow writes (a pull request's
//! title, a branch name, a commit message) interpolated into a `run:` script or a
//! `actions/github-script` script become code. GitHub runs such a workflow, so this is a
//! warning; the fix is to pass the value through `env:`.

use hoist_diagnostics::Diagnostic;
use hoist_expr::{Expr, PathSegment, PropertyPath};

use super::RuleContext;
use super::expressions::span_in_value;
use crate::model::{ActionRef, ExprSite, Location};

/// Property paths (after `github.`) whose values an outsider controls, from GitHub's
/// security-hardening guide; `*` stands for any one segment (an index or a name).
const UNTRUSTED: &[&str] = &[
    "event.issue.title",
    "event.issue.body",
    "event.pull_request.title",
    "event.pull_request.body",
    "event.comment.body",
    "event.review.body",
    "event.review_comment.body",
    "event.pages.*.page_name",
    "event.commits.*.message",
    "event.commits.*.author.email",
    "event.commits.*.author.name",
    "event.head_commit.message",
    "event.head_commit.author.email",
    "event.head_commit.author.name",
    "event.pull_request.head.ref",
    "event.pull_request.head.label",
    "event.pull_request.head.repo.default_branch",
    "event.discussion.title",
    "event.discussion.body",
    "event.workflow_run.head_branch",
    "event.workflow_run.head_commit.message",
    "event.workflow_run.head_commit.author.email",
    "event.workflow_run.head_commit.author.name",
    "head_ref",
];

/// Checks one parsed expression of a site (called by the expression rule, which parses them).
pub(super) fn check_expr(
    ctx: &RuleContext<'_>,
    site: &ExprSite,
    expr: &Expr,
    paths: &[PropertyPath],
    base: usize,
    out: &mut Vec<Diagnostic>,
) {
    let Some(place) = script_place(ctx, site) else {
        return;
    };
    let mut flowing = Vec::new();
    reaches_result(expr, &mut flowing);
    let text = site.node.as_str().unwrap_or_default();
    for path in paths {
        if !path.context.eq_ignore_ascii_case("github")
            || !flowing
                .iter()
                .any(|(s, e)| path.start >= *s && path.end <= *e)
        {
            continue;
        }
        let Some(field) = UNTRUSTED.iter().find(|u| matches(u, &path.segments)) else {
            continue;
        };
        let span = span_in_value(ctx, site, base + path.start, path.end - path.start);
        let written: String = text
            .chars()
            .skip(base + path.start)
            .take(path.end - path.start)
            .collect();
        let variable = field
            .rsplit('.')
            .next()
            .unwrap_or("value")
            .to_ascii_uppercase();
        out.push(
            Diagnostic::warning(
                "script-injection",
                span,
                format!(
                    "`{written}` is written by whoever triggers the workflow; interpolated into {place} it can run their commands"
                ),
            )
            .with_hint(format!(
                "pass it through `env:` (`{variable}: ${{{{ {written} }}}}`) and use `\"${variable}\"` in the script"
            )),
        );
    }
}

/// The character ranges of the property accesses whose value becomes (part of) the
/// expression's result: through `&&`/`||`, parentheses, `format()`, `join()` and `toJSON()`,
/// but not through comparisons, `!` or `contains()`, which yield booleans.
fn reaches_result(expr: &Expr, out: &mut Vec<(usize, usize)>) {
    use hoist_expr::ExprKind;
    match &expr.kind {
        ExprKind::Context(_) | ExprKind::Index { .. } => out.push((expr.start, expr.end)),
        ExprKind::Logical { args, .. } => args.iter().for_each(|a| reaches_result(a, out)),
        ExprKind::Group(inner) => reaches_result(inner, out),
        ExprKind::Call { name, args } => {
            let lower = name.to_ascii_lowercase();
            match lower.as_str() {
                "format" | "tojson" => args.iter().for_each(|a| reaches_result(a, out)),
                "join" => args.iter().take(1).for_each(|a| reaches_result(a, out)),
                _ => {}
            }
        }
        ExprKind::Literal(_) | ExprKind::Not(_) | ExprKind::Binary { .. } => {}
    }
}

/// Where the expression sits, if it is inside code: a `run:` script, or the `script` input of
/// `actions/github-script`.
fn script_place(ctx: &RuleContext<'_>, site: &ExprSite) -> Option<&'static str> {
    match site.location {
        Location::StepRun => Some("a `run:` script"),
        Location::StepWith => {
            let job = ctx.workflow.jobs.get(site.job.as_deref()?)?;
            let step = job.steps.iter().find(|s| Some(s.index) == site.step)?;
            let is_github_script = matches!(
                step.uses.as_ref().map(|u| &u.value),
                Some(ActionRef::Repository { owner, repo, .. })
                    if owner == "actions" && repo == "github-script"
            );
            let is_script = step
                .with
                .get("script")
                .is_some_and(|(_, node)| node.span == site.node.span);
            (is_github_script && is_script).then_some("an `actions/github-script` script")
        }
        _ => None,
    }
}

/// Whether `segments` (after the context) start with the pattern's.
fn matches(pattern: &str, segments: &[PathSegment]) -> bool {
    // Cheap refusal first: most paths are not under `event` or `head_ref` at all.
    let first = pattern.split('.').next().unwrap_or_default();
    if !matches!(segments.first(), Some(PathSegment::Name(n)) if n.eq_ignore_ascii_case(first)) {
        return false;
    }
    let wanted: Vec<&str> = pattern.split('.').collect();
    segments.len() >= wanted.len()
        && wanted.iter().zip(segments).all(|(w, s)| match s {
            PathSegment::Name(n) => *w == "*" || n.eq_ignore_ascii_case(w),
            PathSegment::Star | PathSegment::Dynamic => *w == "*",
        })
}
