//! `concurrency:` of a workflow or a job, evaluated into the claim its placement enforces,
//! with only the contexts GitHub allows there (a workflow's: `github`, `inputs`, `vars`; a
//! job's also `needs`, `strategy` and `matrix`).

use hoist_events::ConcurrencyClaim;
use hoist_expr::{Object, Value};
use hoist_workflow::model::Concurrency;

use crate::contexts::{ExprScope, Status, eval_string, eval_value};

/// The contexts of a workflow's `concurrency`.
pub(crate) const WORKFLOW_CONTEXTS: &[&str] = &["github", "inputs", "vars"];
/// The contexts of a job's `concurrency`.
pub(crate) const JOB_CONTEXTS: &[&str] =
    &["github", "inputs", "vars", "needs", "strategy", "matrix"];

/// The claim of `concurrency` with `contexts` (cut down to `allowed`); `None` for a group
/// that evaluates to the empty string, which GitHub treats as no group.
pub(crate) fn claim(
    concurrency: &Concurrency,
    contexts: &Object,
    allowed: &[&str],
) -> Result<Option<ConcurrencyClaim>, String> {
    let mut visible = Object::new();
    for name in allowed {
        if let Some(v) = contexts.get(name) {
            visible.insert((*name).to_owned(), v.clone());
        }
    }
    let scope = ExprScope {
        contexts: &visible,
        status: Status::default(),
        workspace: None,
    };
    let group = eval_string(&concurrency.group.value, &scope)
        .map_err(|e| format!("concurrency group: {e}"))?;
    if group.is_empty() {
        return Ok(None);
    }
    let cancel_in_progress = match &concurrency.cancel_in_progress {
        None => false,
        Some(node) => match node.as_bool() {
            Some(b) => b,
            None => {
                let text = node.as_str().unwrap_or_default();
                match eval_value(text, &scope)
                    .map_err(|e| format!("concurrency cancel-in-progress: {e}"))?
                {
                    // `cancel-in-progress: 'true'` after interpolation.
                    Value::String(s) => s.as_ref() == "true",
                    v => v.is_truthy(),
                }
            }
        },
    };
    Ok(Some(ConcurrencyClaim {
        group,
        cancel_in_progress,
    }))
}
