//! Every `${{ }}` must parse and use only what is available where it is written (errors: GitHub
//! refuses the workflow), and should refer to things that exist: direct dependencies in
//! `needs`, defined matrix keys, earlier steps, declared inputs and job outputs (warnings:
//! GitHub runs the workflow, and the reference evaluates to null).

use hoist_diagnostics::{Diagnostic, Span};
use hoist_expr::{
    ConditionForm, Expr, ExprError, ParseOptions, PathSegment, Reason, parse_condition,
    parse_template,
};

use super::RuleContext;
use crate::contexts::{ALL_CONTEXTS, availability, is_known_function};
use crate::lower::{is_expression, list};
use crate::model::{ExprSite, Job, Location, Matrix};
use crate::suggest::did_you_mean;

pub(super) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for site in &ctx.workflow.expression_sites {
        check_site(ctx, site, out);
    }
}

fn check_site(ctx: &RuleContext<'_>, site: &ExprSite, out: &mut Vec<Diagnostic>) {
    let Some(text) = site.node.as_str() else {
        return;
    };
    // GitHub reads a value holding `${{ }}` as one template, and refuses templates longer
    // than an expression may be: a long `run:` script with one `${{ }}` in it is refused
    // whole, before any job starts.
    let length = text.chars().count();
    if length > hoist_expr::MAX_EXPRESSION_LENGTH && text.contains("${{") {
        out.push(
            Diagnostic::error(
                "expression-too-long",
                Span::on_line(site.node.span.start, 1),
                format!(
                    "this value holds `${{{{ }}}}`, so GitHub reads all {length} characters of it as one template, over its limit of {} (\"Exceeded max expression length\")",
                    hoist_expr::MAX_EXPRESSION_LENGTH
                ),
            )
            .with_hint("move the script into a file in the repository, or pass the values through `env:` so that the script holds no `${{ }}`"),
        );
    }
    let avail = availability(site.location);
    let options = ParseOptions {
        contexts: Some(avail.contexts),
        functions: avail.functions,
    };
    // Each parsed expression with the offset of its text within the scalar's value.
    let mut parsed: Vec<(&Expr, usize)> = Vec::new();
    let mut in_string = false;
    let condition;
    let template;
    if site.is_condition {
        condition = match parse_condition(text, &options) {
            Ok(c) => c,
            Err(e) => return out.push(expr_error(ctx, site, text, &e, avail.path, &options)),
        };
        super::constant_condition::check_condition(site, &condition, out);
        match &condition.form {
            ConditionForm::Expr { expr, offset } => {
                if let Some(e) = expr {
                    parsed.push((e, *offset));
                }
            }
            ConditionForm::Template(t) => {
                out.push(
                    Diagnostic::warning(
                        "condition-always-true",
                        site.node.span,
                        "this `if:` mixes text with `${{ }}`, so it becomes a non-empty string and is always true",
                    )
                    .with_hint("write the whole condition inside one `${{ }}`, or leave out `${{ }}` entirely"),
                );
                for e in t.expressions() {
                    if let Some(x) = &e.expr {
                        parsed.push((x, e.offset));
                    }
                }
            }
        }
    } else {
        template = match parse_template(text, &options) {
            Ok(t) => t,
            Err(e) => return out.push(expr_error(ctx, site, text, &e, avail.path, &options)),
        };
        for e in template.expressions() {
            if let Some(x) = &e.expr {
                parsed.push((x, e.offset));
            }
        }
        // An expression shares its string with text or other expressions (or is a script):
        // its value becomes text.
        in_string = template.parts.len() > 1 || site.location == Location::StepRun;
    }
    for (expr, base) in parsed {
        // Found once, read by every rule below.
        let paths = expr.property_paths();
        check_references(ctx, site, &paths, base, out);
        check_status_arguments(ctx, site, expr, base, out);
        super::injection::check_expr(ctx, site, expr, &paths, base, out);
        super::typed_contexts::check_expr(ctx, site, expr, &paths, base, in_string, out);
        super::typed_contexts::check_comparisons(ctx, site, expr, base, out);
    }
}

/// Arguments to a status function where GitHub's schema lists none: GitHub runs the workflow
/// and ignores them, so they are a warning. A job's `if:` may name jobs in `success()` and
/// `failure()`.
fn check_status_arguments(
    ctx: &RuleContext<'_>,
    site: &ExprSite,
    expr: &Expr,
    base: usize,
    out: &mut Vec<Diagnostic>,
) {
    expr.walk(&mut |e| {
        let hoist_expr::ExprKind::Call { name, args } = &e.kind else {
            return;
        };
        let lower = name.to_ascii_lowercase();
        let is_status = matches!(lower.as_str(), "success" | "failure" | "always" | "cancelled");
        let allowed = site.location == Location::JobIf && matches!(lower.as_str(), "success" | "failure");
        if !is_status || args.is_empty() || allowed {
            return;
        }
        let span = span_in_value(ctx, site, base + e.start, e.end - e.start);
        out.push(
            Diagnostic::warning(
                "status-function-arguments",
                span,
                format!("`{name}()` takes no arguments here; GitHub ignores them"),
            )
            .with_hint(if site.location == Location::JobIf {
                "only `success()` and `failure()` may name jobs, in a job's `if:`".to_owned()
            } else {
                format!("in a step's `if:` the status functions look at the job itself: write `{name}()`")
            }),
        );
    });
}

/// The span in the file of `len` characters at character `offset` of the scalar's value.
pub(super) fn span_in_value(
    ctx: &RuleContext<'_>,
    site: &ExprSite,
    offset: usize,
    len: usize,
) -> Span {
    ctx.locator.locate_chars_in_scalar(&site.node, offset, len)
}

fn expr_error(
    ctx: &RuleContext<'_>,
    site: &ExprSite,
    text: &str,
    e: &ExprError,
    path: &str,
    options: &ParseOptions<'_>,
) -> Diagnostic {
    let span = match e.offset {
        Some(o) => span_in_value(ctx, site, o, e.len),
        None => site.node.span,
    };
    let name = e.name.clone().unwrap_or_default();
    match e.reason {
        Reason::UnrecognizedNamedValue => {
            let available = options.contexts.unwrap_or_default();
            if ALL_CONTEXTS.iter().any(|c| c.eq_ignore_ascii_case(&name)) {
                Diagnostic::error(
                    "context-unavailable",
                    span,
                    format!("context `{name}` is not available in `{path}`"),
                )
                .with_hint(format!("available here: {}", list(available)))
            } else {
                let d =
                    Diagnostic::error("unknown-context", span, format!("unknown context `{name}`"));
                match did_you_mean(&name, available.iter().copied()) {
                    Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                    None => d.with_hint(format!("available here: {}", list(available))),
                }
            }
        }
        Reason::UnrecognizedFunction => {
            if is_known_function(&name) {
                Diagnostic::error(
                    "function-unavailable",
                    span,
                    format!("function `{name}` is not available in `{path}`"),
                )
                .with_hint(if name.eq_ignore_ascii_case("hashFiles") {
                    "`hashFiles` works only where steps run (step keys and job outputs)"
                } else {
                    "status functions (`success()`, `failure()`, `always()`, `cancelled()`) work only in `if:`"
                })
            } else {
                let names = hoist_expr::BUILTIN_FUNCTIONS
                    .iter()
                    .chain(options.functions)
                    .map(|f| f.name);
                let d = Diagnostic::error(
                    "unknown-function",
                    span,
                    format!("unknown function `{name}`"),
                );
                match did_you_mean(&name, names) {
                    Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                    None => d,
                }
            }
        }
        Reason::TooFewParameters | Reason::TooManyParameters | Reason::EvenParameters => {
            Diagnostic::error("function-arguments", span, arity_message(e, text))
        }
        _ => Diagnostic::error(
            "expression-syntax",
            span,
            format!("invalid expression: {}", e.message),
        ),
    }
}

fn arity_message(e: &ExprError, text: &str) -> String {
    let name: String = e
        .offset
        .map_or_else(String::new, |o| text.chars().skip(o).take(e.len).collect());
    let sig = hoist_expr::BUILTIN_FUNCTIONS
        .iter()
        .chain(hoist_expr::STATUS_FUNCTIONS)
        .chain(std::iter::once(&hoist_expr::HASH_FILES))
        .find(|f| f.name.eq_ignore_ascii_case(&name));
    let expected = match sig {
        Some(s) if s.name == "case" => "an odd number of arguments, at least 3".to_owned(),
        Some(s) if s.min_args == s.max_args => format!("{} argument(s)", s.min_args),
        Some(s) if s.max_args >= 255 => format!("at least {} argument(s)", s.min_args),
        Some(s) => format!("{} to {} arguments", s.min_args, s.max_args),
        None => "a different number of arguments".to_owned(),
    };
    format!("`{name}` takes {expected}")
}

fn check_references(
    ctx: &RuleContext<'_>,
    site: &ExprSite,
    paths: &[hoist_expr::PropertyPath],
    base: usize,
    out: &mut Vec<Diagnostic>,
) {
    let job = site.job.as_deref().and_then(|j| ctx.workflow.jobs.get(j));
    for path in paths {
        let context = path.context.to_ascii_lowercase();
        let first = match path.segments.first() {
            Some(PathSegment::Name(n)) => n.as_str(),
            _ => continue,
        };
        let (seg_start, seg_end) = path.segment_spans[0];
        let first_span = span_in_value(ctx, site, base + seg_start, seg_end - seg_start);
        let whole_span = span_in_value(ctx, site, base + path.start, path.end - path.start);
        match context.as_str() {
            "needs" => {
                if let Some(job) = job {
                    check_needs(ctx, job, path, first, first_span, whole_span, out);
                }
            }
            "matrix" => {
                if let Some(job) = job {
                    check_matrix_key(job, first, first_span, out);
                }
            }
            "steps" => {
                if let Some(job) = job {
                    check_step(job, site, first, first_span, out);
                }
            }
            "inputs" => check_input(ctx, first, first_span, out),
            "jobs" if site.location == Location::CallOutputValue => {
                check_jobs_context(ctx, path, first, first_span, whole_span, out);
            }
            _ => {}
        }
    }
}

fn check_needs(
    ctx: &RuleContext<'_>,
    job: &Job,
    path: &hoist_expr::PropertyPath,
    needed: &str,
    span: Span,
    whole_span: Span,
    out: &mut Vec<Diagnostic>,
) {
    let direct = job
        .needs
        .iter()
        .any(|n| n.value.eq_ignore_ascii_case(needed));
    if !direct {
        let exists = ctx
            .workflow
            .jobs
            .keys()
            .any(|k| k.eq_ignore_ascii_case(needed));
        let d = if exists {
            Diagnostic::warning(
                "needs-not-dependency",
                span,
                format!("`needs.{needed}` refers to job `{needed}`, which is not a direct dependency of job `{}`", job.id),
            )
            .with_hint(format!("add `{needed}` to `needs:` of job `{}`", job.id))
        } else {
            let d = Diagnostic::warning(
                "needs-not-dependency",
                span,
                format!("`needs.{needed}` refers to job `{needed}`, which does not exist"),
            );
            match did_you_mean(needed, job.needs.iter().map(|n| n.value.as_str())) {
                Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                None => d,
            }
        };
        out.push(d);
        return;
    }
    check_output_ref(ctx, "needs", path, needed, whole_span, out);
}

/// `needs.<job>.outputs.<name>` / `jobs.<job>.outputs.<name>` must name an output the job
/// defines, when the job's outputs are known (not a reusable-workflow call).
fn check_output_ref(
    ctx: &RuleContext<'_>,
    context: &str,
    path: &hoist_expr::PropertyPath,
    job_id: &str,
    whole_span: Span,
    out: &mut Vec<Diagnostic>,
) {
    let Some(target) = ctx
        .workflow
        .jobs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(job_id))
        .map(|(_, j)| j)
    else {
        return;
    };
    if target.uses.is_some() {
        return;
    }
    let (Some(PathSegment::Name(kind)), Some(PathSegment::Name(output))) =
        (path.segments.get(1), path.segments.get(2))
    else {
        return;
    };
    if !kind.eq_ignore_ascii_case("outputs") {
        return;
    }
    if !target
        .outputs
        .keys()
        .any(|k| k.eq_ignore_ascii_case(output))
    {
        let mut d = Diagnostic::warning(
            "undefined-output",
            whole_span,
            format!(
                "`{context}.{job_id}.outputs.{output}`: job `{}` defines no output `{output}`",
                target.id
            ),
        );
        let hint = match did_you_mean(output, target.outputs.keys().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None if target.outputs.is_empty() => format!("add `outputs:` to job `{}`", target.id),
            None => format!(
                "its outputs are {}",
                list(
                    &target
                        .outputs
                        .keys()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                )
            ),
        };
        d = d.with_hint(hint);
        out.push(d);
    }
}

fn check_jobs_context(
    ctx: &RuleContext<'_>,
    path: &hoist_expr::PropertyPath,
    job_id: &str,
    span: Span,
    whole_span: Span,
    out: &mut Vec<Diagnostic>,
) {
    if !ctx
        .workflow
        .jobs
        .keys()
        .any(|k| k.eq_ignore_ascii_case(job_id))
    {
        let d = Diagnostic::warning(
            "undefined-output",
            span,
            format!("`jobs.{job_id}` refers to job `{job_id}`, which does not exist"),
        );
        let d = match did_you_mean(job_id, ctx.workflow.jobs.keys().map(String::as_str)) {
            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
            None => d,
        };
        out.push(d);
        return;
    }
    check_output_ref(ctx, "jobs", path, job_id, whole_span, out);
}

fn check_matrix_key(job: &Job, key: &str, span: Span, out: &mut Vec<Diagnostic>) {
    let matrix = job.strategy.as_ref().and_then(|s| s.matrix.as_ref());
    let Some(matrix) = matrix else {
        out.push(
            Diagnostic::warning(
                "undefined-matrix-key",
                span,
                format!(
                    "`matrix.{key}` is used but job `{}` has no `strategy.matrix`",
                    job.id
                ),
            )
            .with_hint("add a `strategy.matrix` to the job, or remove the reference"),
        );
        return;
    };
    let Matrix::Dimensions { dims, include, .. } = matrix else {
        return;
    };
    let mut keys: Vec<&str> = dims.keys().map(String::as_str).collect();
    if let Some(include) = include {
        if is_expression(include) {
            return;
        }
        for entry in include.as_sequence().unwrap_or_default() {
            let Some(pairs) = entry.as_mapping() else {
                return;
            };
            keys.extend(pairs.iter().filter_map(|(k, _)| k.as_str()));
        }
    }
    let mut seen = std::collections::HashSet::new();
    keys.retain(|k| seen.insert(k.to_ascii_lowercase()));
    if !keys.iter().any(|k| k.eq_ignore_ascii_case(key)) {
        let d = Diagnostic::warning(
            "undefined-matrix-key",
            span,
            format!(
                "`matrix.{key}` is not defined by the matrix of job `{}`",
                job.id
            ),
        );
        let hint = match did_you_mean(key, keys.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("the matrix defines {}", list(&keys)),
        };
        out.push(d.with_hint(hint));
    }
}

fn check_step(job: &Job, site: &ExprSite, id: &str, span: Span, out: &mut Vec<Diagnostic>) {
    let found = job.steps.iter().find(|s| {
        s.id.as_ref()
            .is_some_and(|x| x.value.eq_ignore_ascii_case(id))
    });
    match (found, site.step) {
        (None, _) => {
            let ids: Vec<&str> = job
                .steps
                .iter()
                .filter_map(|s| s.id.as_ref().map(|i| i.value.as_str()))
                .collect();
            let d = Diagnostic::warning(
                "undefined-step",
                span,
                format!(
                    "`steps.{id}` refers to a step id that job `{}` does not define",
                    job.id
                ),
            );
            let d = match did_you_mean(id, ids.iter().copied()) {
                Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                None => d.with_hint("give the step an `id:` to refer to its outputs"),
            };
            out.push(d);
        }
        (Some(step), Some(current)) if step.index >= current => {
            let when = if step.index == current {
                "is this same step"
            } else {
                "runs after this one"
            };
            out.push(
                Diagnostic::warning(
                    "undefined-step",
                    span,
                    format!(
                        "`steps.{id}` {when} (step {}), so its results do not exist yet",
                        step.index + 1
                    ),
                )
                .with_hint("a step can only read the outputs of steps before it"),
            );
        }
        _ => {}
    }
}

fn check_input(ctx: &RuleContext<'_>, name: &str, span: Span, out: &mut Vec<Diagnostic>) {
    let mut defined: Vec<&str> = Vec::new();
    let mut has_input_events = false;
    for event in ["workflow_dispatch", "workflow_call"] {
        if let Some(t) = ctx.workflow.on.events.get(event) {
            has_input_events = true;
            defined.extend(t.inputs.keys().map(String::as_str));
        }
    }
    if defined.iter().any(|d| d.eq_ignore_ascii_case(name)) {
        return;
    }
    let message = if has_input_events {
        format!(
            "input `{name}` is not defined under `on.workflow_dispatch.inputs` or `on.workflow_call.inputs`"
        )
    } else {
        format!(
            "input `{name}` is not defined: the workflow has no `workflow_dispatch` or `workflow_call` trigger"
        )
    };
    let d = Diagnostic::warning("undefined-input", span, message);
    out.push(match did_you_mean(name, defined.iter().copied()) {
        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
        None => d,
    });
}
