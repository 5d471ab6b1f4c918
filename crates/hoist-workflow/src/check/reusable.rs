//! A job calling a local reusable workflow must pass the inputs and secrets it declares.

use hoist_diagnostics::Diagnostic;

use super::RuleContext;
use crate::action_ref::local_workflow_path;
use crate::lower::{is_expression, list};
use crate::model::{InputType, JobSecrets};
use crate::suggest::did_you_mean;

pub(super) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for job in ctx.workflow.jobs.values() {
        let Some(uses) = &job.uses else { continue };
        let Some(path) = local_workflow_path(&uses.value) else {
            if !uses.value.contains('@') {
                out.push(
                    Diagnostic::error(
                        "reusable-workflow",
                        uses.span,
                        format!("`{}` names no version", uses.value),
                    )
                    .with_hint("use `./.github/workflows/x.yml` or `owner/repo/.github/workflows/x.yml@ref`"),
                );
            }
            continue;
        };
        if !(path.ends_with(".yml") || path.ends_with(".yaml"))
            || !path.starts_with(".github/workflows/")
        {
            out.push(Diagnostic::error(
                "reusable-workflow",
                uses.span,
                format!(
                    "`{}` is not a workflow file under `.github/workflows/`",
                    uses.value
                ),
            ));
            continue;
        }
        let Some(text) = ctx.others.read(path) else {
            out.push(Diagnostic::error(
                "reusable-workflow",
                uses.span,
                format!("reusable workflow `{}` was not found", uses.value),
            ));
            continue;
        };
        let callee = crate::parse_workflow(&text).workflow;
        let Some(call) = callee.on.events.get("workflow_call") else {
            out.push(
                Diagnostic::error(
                    "reusable-workflow",
                    uses.span,
                    format!("`{path}` cannot be called: it has no `on: workflow_call` trigger"),
                )
                .with_hint(format!(
                    "add `workflow_call:` to the `on:` section of `{path}`"
                )),
            );
            continue;
        };
        for (name, def) in &call.inputs {
            if def.required && def.default.is_none() && !job.with.keys().any(|k| k == name) {
                out.push(
                    Diagnostic::error(
                        "reusable-workflow",
                        uses.span,
                        format!(
                            "job `{}` does not pass required input `{name}` of `{path}`",
                            job.id
                        ),
                    )
                    .with_hint(format!("add `{name}:` under `with:`")),
                );
            }
        }
        for (name, (key_span, value)) in &job.with {
            let Some(def) = call.inputs.get(name) else {
                let d = Diagnostic::error(
                    "reusable-workflow",
                    *key_span,
                    format!("`{path}` has no input `{name}`"),
                );
                let d = match did_you_mean(name, call.inputs.keys().map(String::as_str)) {
                    Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                    None if call.inputs.is_empty() => {
                        d.with_hint(format!("`{path}` declares no inputs"))
                    }
                    None => d.with_hint(format!(
                        "its inputs are {}",
                        list(&call.inputs.keys().map(String::as_str).collect::<Vec<_>>())
                    )),
                };
                out.push(d);
                continue;
            };
            if is_expression(value) {
                continue;
            }
            let ok = match def.kind {
                InputType::Boolean => value.as_bool().is_some(),
                InputType::Number => value.as_number().is_some(),
                _ => value.as_scalar().is_some() && value.as_bool().is_none(),
            };
            if !ok {
                out.push(Diagnostic::error(
                    "reusable-workflow",
                    value.span,
                    format!(
                        "input `{name}` of `{path}` is a {}, but {} is given",
                        def.kind.as_str(),
                        value.type_name()
                    ),
                ));
            }
        }
        // `secrets: inherit` passes everything; otherwise only what is listed (or nothing).
        let given = match &job.secrets {
            Some(JobSecrets::Inherit(_)) => continue,
            Some(JobSecrets::Map(given)) => Some(given),
            None => None,
        };
        for (name, def) in &call.secrets {
            if def.required && !given.is_some_and(|g| g.contains_key(name)) {
                out.push(
                    Diagnostic::error(
                        "reusable-workflow",
                        uses.span,
                        format!(
                            "job `{}` does not pass required secret `{name}` of `{path}`",
                            job.id
                        ),
                    )
                    .with_hint("pass it under `secrets:`, or use `secrets: inherit`"),
                );
            }
        }
        for (name, value) in given.into_iter().flatten() {
            if !call.secrets.contains_key(name) {
                out.push(Diagnostic::error(
                    "reusable-workflow",
                    value.span,
                    format!("`{path}` declares no secret `{name}`"),
                ));
            }
        }
    }
}
