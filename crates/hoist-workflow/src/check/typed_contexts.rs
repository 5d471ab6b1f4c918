//! The contexts whose shape GitHub fixes: a property they do not have (`github.repositroy`,
//! `runner.os_name`, `steps.build.output`) evaluates to null, and an object put into a string
//! becomes the word `Object`. GitHub runs such workflows, so both are warnings.

use hoist_diagnostics::Diagnostic;
use hoist_expr::{Expr, ExprKind, PathSegment, PropertyPath};

use super::RuleContext;
use super::expressions::span_in_value;
use crate::lower::list;
use crate::model::ExprSite;
use crate::suggest::did_you_mean;

/// The properties of the contexts with a fixed shape.
const GITHUB: &[&str] = &[
    "action",
    "action_path",
    "action_ref",
    "action_repository",
    "action_status",
    "actor",
    "actor_id",
    "api_url",
    "base_ref",
    "env",
    "event",
    "event_name",
    "event_path",
    "graphql_url",
    "head_ref",
    "job",
    "path",
    "ref",
    "ref_name",
    "ref_protected",
    "ref_type",
    "repository",
    "repository_id",
    "repository_owner",
    "repository_owner_id",
    "repositoryurl",
    "retention_days",
    "run_id",
    "run_number",
    "run_attempt",
    "secret_source",
    "server_url",
    "sha",
    "token",
    "triggering_actor",
    "workflow",
    "workflow_ref",
    "workflow_sha",
    "workspace",
    "output",
    "state",
    "step_summary",
];
const RUNNER: &[&str] = &[
    "name",
    "os",
    "arch",
    "temp",
    "tool_cache",
    "debug",
    "environment",
];
const JOB: &[&str] = &["container", "services", "status", "check_run_id"];
const STRATEGY: &[&str] = &["fail-fast", "job-index", "job-total", "max-parallel"];
/// Of `steps.<id>`, `needs.<id>` and `jobs.<id>`.
const STEP: &[&str] = &["outputs", "conclusion", "outcome"];
const NEEDS: &[&str] = &["outputs", "result"];

/// Checks one parsed expression of a site (called by the expression rule, which parses them).
pub(super) fn check_expr(
    ctx: &RuleContext<'_>,
    site: &ExprSite,
    expr: &Expr,
    paths: &[PropertyPath],
    base: usize,
    whole_template_part: bool,
    out: &mut Vec<Diagnostic>,
) {
    for path in paths {
        if let Some((index, known)) = fixed_property(path) {
            let Some(PathSegment::Name(name)) = path.segments.get(index) else {
                continue;
            };
            if known.iter().any(|k| k.eq_ignore_ascii_case(name)) {
                continue;
            }
            let (start, end) = path.segment_spans[index];
            let span = span_in_value(ctx, site, base + start, end - start);
            let owner = owner_name(path, index);
            let d = Diagnostic::warning(
                "unknown-property",
                span,
                format!("`{owner}` has no property `{name}`; the expression is null there"),
            );
            out.push(match did_you_mean(name, known.iter().copied()) {
                Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                None => d.with_hint(format!("its properties are {}", list(known))),
            });
        }
    }
    if whole_template_part && let Some(what) = object_path(expr, paths) {
        let span = span_in_value(ctx, site, base + expr.start, expr.end - expr.start);
        out.push(
            Diagnostic::warning(
                "object-in-string",
                span,
                format!("`{what}` is an object; put into a string it becomes the word `Object`"),
            )
            .with_hint(format!(
                "write `toJSON({what})` for its JSON, or name the property you mean"
            )),
        );
    }
}

/// Which segment of the path must be one of a known list, and the list.
fn fixed_property(path: &PropertyPath) -> Option<(usize, &'static [&'static str])> {
    match path.context.to_ascii_lowercase().as_str() {
        "github" => Some((0, GITHUB)),
        "runner" => Some((0, RUNNER)),
        "job" => Some((0, JOB)),
        "strategy" => Some((0, STRATEGY)),
        "steps" if path.segments.len() > 1 => Some((1, STEP)),
        "needs" | "jobs" if path.segments.len() > 1 => Some((1, NEEDS)),
        _ => None,
    }
}

fn owner_name(path: &PropertyPath, index: usize) -> String {
    let mut name = path.context.clone();
    for segment in &path.segments[..index] {
        match segment {
            PathSegment::Name(n) => {
                name.push('.');
                name.push_str(n);
            }
            _ => name.push_str("[...]"),
        }
    }
    name
}

/// The text of a bare property path that names an object: a whole context, `github.event`,
/// a step, a job's result, their `outputs`.
fn object_path(expr: &Expr, paths: &[PropertyPath]) -> Option<String> {
    if !matches!(expr.kind, ExprKind::Context(_) | ExprKind::Index { .. }) {
        return None;
    }
    let [path] = paths else {
        return None;
    };
    let names: Option<Vec<String>> = path
        .segments
        .iter()
        .map(|s| match s {
            PathSegment::Name(n) => Some(n.to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    let names = names?;
    let context = path.context.to_ascii_lowercase();
    let object = match (context.as_str(), names.as_slice()) {
        (_, []) => true,
        ("github", [e]) => e == "event",
        ("steps" | "needs" | "jobs", [_]) => true,
        ("steps" | "needs" | "jobs", [_, o]) => o == "outputs",
        ("job", [s]) => s == "services" || s == "container",
        _ => false,
    };
    object.then(|| {
        std::iter::once(path.context.clone())
            .chain(names.iter().cloned())
            .collect::<Vec<_>>()
            .join(".")
    })
}

/// The values some properties can take; comparing them with anything else never holds.
fn enumerated(path: &PropertyPath) -> Option<&'static [&'static str]> {
    let names: Vec<String> = path
        .segments
        .iter()
        .map(|s| match s {
            PathSegment::Name(n) => n.to_ascii_lowercase(),
            _ => String::new(),
        })
        .collect();
    let context = path.context.to_ascii_lowercase();
    const RESULTS: &[&str] = &["success", "failure", "cancelled", "skipped"];
    match (
        context.as_str(),
        names
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
    ) {
        ("needs" | "jobs", [_, "result"]) => Some(RESULTS),
        ("steps", [_, "outcome" | "conclusion"]) => {
            Some(&["success", "failure", "cancelled", "skipped"])
        }
        ("job", ["status"]) => Some(&["success", "failure", "cancelled"]),
        ("runner", ["os"]) => Some(&["Linux", "Windows", "macOS"]),
        ("runner", ["arch"]) => Some(&["X86", "X64", "ARM", "ARM64"]),
        ("github", ["event_name"]) => Some(crate::events::EVENTS),
        ("github", ["ref_type"]) => Some(&["branch", "tag"]),
        _ => None,
    }
}

/// `needs.build.result == 'sucess'`, `runner.os == 'linux64'`, `github.event == 'push'`: a
/// comparison that can never hold (GitHub compares strings without case, so `'linux'` does
/// match `Linux`).
pub(super) fn check_comparisons(
    ctx: &RuleContext<'_>,
    site: &ExprSite,
    expr: &Expr,
    base: usize,
    out: &mut Vec<Diagnostic>,
) {
    use hoist_expr::{BinaryOp, Value};
    expr.walk(&mut |e| {
        let ExprKind::Binary { op, left, right } = &e.kind else {
            return;
        };
        if !matches!(op, BinaryOp::Eq | BinaryOp::Ne) {
            return;
        }
        for (side, other) in [(left, right), (right, left)] {
            let ExprKind::Literal(Value::String(literal)) = &other.kind else {
                continue;
            };
            let paths = side.property_paths();
            if let Some(what) = object_path(side, &paths) {
                let span = span_in_value(ctx, site, base + e.start, e.end - e.start);
                out.push(
                    Diagnostic::warning(
                        "impossible-comparison",
                        span,
                        format!(
                            "`{what}` is an object, so it never equals the string `'{literal}'`"
                        ),
                    )
                    .with_hint("compare one of its properties instead"),
                );
                continue;
            }
            let [path] = paths.as_slice() else { continue };
            if !matches!(side.kind, ExprKind::Index { .. }) {
                continue;
            }
            let Some(values) = enumerated(path) else {
                continue;
            };
            if values.iter().any(|v| v.eq_ignore_ascii_case(literal)) {
                continue;
            }
            let (start, end) = (other.start, other.end);
            let span = span_in_value(ctx, site, base + start, end - start);
            let d = Diagnostic::warning(
                "impossible-comparison",
                span,
                format!(
                    "`{}` is never `'{literal}'`, so this comparison is always {}",
                    owner_name(path, path.segments.len()),
                    if *op == BinaryOp::Eq { "false" } else { "true" }
                ),
            );
            out.push(match did_you_mean(literal, values.iter().copied()) {
                Some(s) => d.with_hint(format!("did you mean `'{s}'`?")),
                None => d.with_hint(format!(
                    "its values are {}",
                    values
                        .iter()
                        .map(|v| format!("`'{v}'`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            });
        }
    });
}
