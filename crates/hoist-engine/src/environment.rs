//! A job's `environment:`: its name, evaluated when the job is placed, brings the
//! environment's secrets and variables into the job's contexts; its `url`, evaluated when
//! the job ends (it may name step outputs), is what the deployment links to.

use std::sync::Arc;

use hoist_expr::{Object, Value};
use hoist_workflow::model::Job;

use crate::contexts::{ExprScope, Status, eval_string};
use crate::executor::Executor;
use crate::shared::Shared;

/// Adds the secrets and variables of the job's environment to its contexts; returns the
/// environment's name, evaluated (`None`: the job targets none).
pub(crate) fn apply<E: Executor>(
    shared: &Arc<Shared<E>>,
    job: &Job,
    contexts: &mut Object,
    status: Status,
) -> Result<Option<String>, String> {
    let Some(env) = &job.environment else {
        return Ok(None);
    };
    let name = {
        let scope = ExprScope {
            contexts,
            status,
            workspace: None,
        };
        eval_string(&env.name.value, &scope)?
    };
    let Some(scoped) = shared
        .req
        .environments
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&name))
        .map(|(_, v)| v)
    else {
        return Ok(Some(name));
    };
    for (context, values) in [("secrets", &scoped.secrets), ("vars", &scoped.vars)] {
        let mut o = contexts
            .get(context)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (k, v) in values {
            o.set(k.clone(), Value::from(v.as_str()));
        }
        contexts.set(context, Value::object(o));
    }
    Ok(Some(name))
}

/// The environment's `url`, evaluated against the ended job's contexts (with `steps`); `None`
/// when there is none, it is empty, or it does not evaluate.
pub(crate) fn url(job: &Job, scope: &ExprScope<'_>) -> Option<String> {
    let url = job.environment.as_ref()?.url.as_ref()?;
    eval_string(&url.value, scope)
        .ok()
        .filter(|u| !u.trim().is_empty())
}
