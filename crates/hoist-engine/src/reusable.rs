//! Calling a reusable workflow from a job (`jobs.<id>.uses`): reading it, checking the
//! inputs and secrets it is given, and running its jobs as a nested frame of the run.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use hoist_expr::{Object, Value};
use hoist_workflow::model::{InputType, Job, JobSecrets, Workflow};
use indexmap::IndexMap;
use tokio::sync::watch;

use crate::contexts::{ExprScope, Status, eval_node, eval_string};
use crate::events::{Conclusion, JobKey, RunEvent};
use crate::executor::Executor;
use crate::run::{Frame, base_contexts, fail_job, run_workflow, summary_value};
use crate::shared::Shared;

/// Runs a job that calls a reusable workflow from this repository.
pub(crate) async fn call_reusable<E: Executor>(
    shared: &Arc<Shared<E>>,
    frame: &Arc<Frame>,
    job: &Job,
    key: &JobKey,
    contexts: &Object,
    cancel: watch::Receiver<bool>,
) -> (Conclusion, IndexMap<String, String>) {
    let started = Instant::now();
    let uses = job
        .uses
        .as_ref()
        .map(|u| u.value.clone())
        .unwrap_or_default();
    let prepared = prepare_call(shared, frame, job, &uses, contexts);
    let (callee, callee_text, inputs, secrets) = match prepared {
        Ok(p) => p,
        Err(message) => {
            let s = fail_job(shared, key.clone(), &message);
            return (s.result, s.outputs);
        }
    };
    shared.emit(RunEvent::JobStarted {
        job: key.clone(),
        at: SystemTime::now(),
    });
    let callee = Arc::new(callee);
    let nested = Arc::new(Frame {
        prefix: format!("{} / ", key.name),
        id_prefix: format!("{} / ", key.path),
        matrix: key.matrix.clone(),
        workflow: callee.clone(),
        workflow_path: hoist_workflow::local_workflow_path(&uses)
            .unwrap_or(&uses)
            .to_owned(),
        workflow_text: callee_text.into(),
        inputs,
        secrets,
        top: false,
    });
    let results = run_workflow(shared.clone(), nested.clone(), cancel).await;
    let result = if results.values().any(|s| s.result == Conclusion::Failure) {
        Conclusion::Failure
    } else if results.values().any(|s| s.result == Conclusion::Cancelled) {
        Conclusion::Cancelled
    } else {
        Conclusion::Success
    };
    // Outputs of the call come from the callee's `on.workflow_call.outputs`.
    let mut outputs = IndexMap::new();
    if let Some(call) = callee.on.events.get("workflow_call") {
        let mut jobs = Object::new();
        for (id, s) in &results {
            jobs.set(id.clone(), summary_value(s));
        }
        let mut ctx = base_contexts(shared, &nested);
        ctx.set("jobs", Value::object(jobs));
        let scope = ExprScope {
            contexts: &ctx,
            status: Status::default(),
            workspace: None,
        };
        for (name, def) in &call.outputs {
            if let Some(v) = &def.value {
                match eval_string(&v.value, &scope) {
                    Ok(text) if shared.masker.mask(&text) != text => {
                        shared.log(
                            key,
                            None,
                            &format!("Warning: Skip output `{name}` since it may contain secret."),
                        );
                    }
                    Ok(text) => {
                        outputs.insert(name.clone(), text);
                    }
                    Err(e) => shared.log(key, None, &format!("Warning: output `{name}`: {e}")),
                }
            }
        }
    }
    shared.emit(RunEvent::JobFinished {
        job: key.clone(),
        result,
        duration: started.elapsed(),
        outputs: outputs
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    });
    (result, outputs)
}

type CallParts = (
    Workflow,
    String,
    serde_json::Map<String, serde_json::Value>,
    IndexMap<String, String>,
);

fn prepare_call<E: Executor>(
    shared: &Arc<Shared<E>>,
    frame: &Frame,
    job: &Job,
    uses: &str,
    contexts: &Object,
) -> Result<CallParts, String> {
    let Some(path) = hoist_workflow::local_workflow_path(uses) else {
        return Err(format!(
            "reusable workflow `{uses}` is in another repository; Hoist runs reusable workflows from this repository (`./.github/workflows/...`) only"
        ));
    };
    let file = shared.req.project_root.join(path);
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("cannot read reusable workflow `{}`: {e}", file.display()))?;
    let parsed = hoist_workflow::parse_workflow(&text);
    if let Some(d) = parsed.diagnostics.iter().find(|d| d.is_error()) {
        return Err(format!(
            "{path}:{}:{}: {}",
            d.span.start.line, d.span.start.column, d.message
        ));
    }
    let callee = parsed.workflow;
    let Some(call) = callee.on.events.get("workflow_call") else {
        return Err(format!(
            "`{path}` cannot be called: it has no `on: workflow_call` trigger"
        ));
    };
    let scope = ExprScope {
        contexts,
        status: Status::default(),
        workspace: None,
    };
    let mut given = serde_json::Map::new();
    for (k, (_, node)) in &job.with {
        given.insert(k.clone(), eval_node(node, &scope)?);
    }
    let mut inputs = serde_json::Map::new();
    for (name, def) in &call.inputs {
        let value = match given.remove(name) {
            Some(v) => v,
            None => match &def.default {
                Some(d) => {
                    let mut c = contexts.clone();
                    c.set("inputs", Value::object(Object::new()));
                    let s = ExprScope {
                        contexts: &c,
                        status: Status::default(),
                        workspace: None,
                    };
                    eval_node(d, &s)?
                }
                None if def.required => return Err(format!("`{path}` requires input `{name}`")),
                None => match def.kind {
                    InputType::Boolean => serde_json::Value::Bool(false),
                    InputType::Number => serde_json::Value::from(0),
                    _ => serde_json::Value::String(String::new()),
                },
            },
        };
        let value = match (def.kind, &value) {
            (InputType::Boolean, serde_json::Value::String(s)) if s == "true" || s == "false" => {
                serde_json::Value::Bool(s == "true")
            }
            (InputType::Number, serde_json::Value::String(s)) => s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or(value.clone(), serde_json::Value::Number),
            _ => value,
        };
        inputs.insert(name.clone(), value);
    }
    if let Some(extra) = given.keys().next() {
        return Err(format!("`{path}` has no input `{extra}`"));
    }
    let secrets = match &job.secrets {
        Some(JobSecrets::Inherit(_)) => frame.secrets.clone(),
        Some(JobSecrets::Map(map)) => {
            let mut c = contexts.clone();
            let mut s = Object::new();
            for (k, v) in &frame.secrets {
                s.set(k.clone(), Value::from(v.as_str()));
            }
            c.set("secrets", Value::object(s));
            let sc = ExprScope {
                contexts: &c,
                status: Status::default(),
                workspace: None,
            };
            let mut out = IndexMap::new();
            for (k, v) in map {
                out.insert(k.clone(), eval_string(&v.value, &sc)?);
            }
            out
        }
        None => IndexMap::new(),
    };
    for (name, def) in &call.secrets {
        if def.required && !secrets.contains_key(name) {
            return Err(format!("`{path}` requires secret `{name}`"));
        }
    }
    Ok((callee, text, inputs, secrets))
}
