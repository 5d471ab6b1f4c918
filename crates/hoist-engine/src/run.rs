//! Scheduling a workflow's jobs: the `needs` graph, job conditions, matrices with fail-fast
//! and max-parallel, and calls to reusable workflows.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use hoist_expr::{Object, Value, parse_condition};
use hoist_workflow::model::{Job, Matrix, Workflow};
use indexmap::IndexMap;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::contexts::{ExprScope, RUNTIME, Status, eval_node, eval_string, eval_value, object};
use crate::events::{AnnotationLevel, Conclusion, JobKey, RunEvent};
use crate::executor::Executor;
use crate::job::{JobBase, run_job};
use crate::reusable::call_reusable;
use crate::shared::Shared;
use crate::step_process::ref_parts;

/// One workflow being run: the top-level one, or a reusable workflow called by a job.
pub(crate) struct Frame {
    /// Prepended to job names and ids: `""` or `"build (api) / "`.
    pub(crate) prefix: String,
    /// Prepended to job ids in `JobKey::path`: `""` or `"build / "`.
    pub(crate) id_prefix: String,
    /// The calling job's matrix values (null at the top level).
    pub(crate) matrix: serde_json::Value,
    pub(crate) workflow: Arc<Workflow>,
    pub(crate) workflow_path: String,
    /// The workflow's text, for the requests of its jobs.
    pub(crate) workflow_text: Arc<str>,
    pub(crate) inputs: serde_json::Map<String, serde_json::Value>,
    pub(crate) secrets: IndexMap<String, String>,
    pub(crate) top: bool,
}

/// A job's matrix values over its callers': its own win.
fn inherit_matrix(callers: &serde_json::Value, own: serde_json::Value) -> serde_json::Value {
    match (callers, own) {
        (serde_json::Value::Object(c), serde_json::Value::Object(mut o)) => {
            for (k, v) in c {
                o.entry(k.clone()).or_insert_with(|| v.clone());
            }
            serde_json::Value::Object(o)
        }
        (serde_json::Value::Object(_), serde_json::Value::Null) => callers.clone(),
        (_, own) => own,
    }
}

#[derive(Clone, Debug)]
pub(crate) struct JobSummary {
    pub(crate) result: Conclusion,
    pub(crate) outputs: IndexMap<String, String>,
}

/// A finished job as the `needs` and `jobs` contexts show it: `{result, outputs}`.
pub(crate) fn summary_value(s: &JobSummary) -> Value {
    let mut outputs = Object::new();
    for (k, v) in &s.outputs {
        outputs.set(k.clone(), Value::from(v.as_str()));
    }
    Value::object(object([
        ("result", Value::from(s.result.as_str())),
        ("outputs", Value::object(outputs)),
    ]))
}

type Boxed<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Runs every job of `frame`'s workflow in dependency order; returns each job's summary.
pub(crate) fn run_workflow<E: Executor>(
    shared: Arc<Shared<E>>,
    frame: Arc<Frame>,
    cancel: watch::Receiver<bool>,
) -> Boxed<IndexMap<String, JobSummary>> {
    Box::pin(async move {
        let wf = frame.workflow.clone();
        let base = base_contexts(&shared, &frame);
        let workflow_env = {
            let scope = ExprScope {
                contexts: &base,
                status: Status::default(),
                workspace: None,
            };
            let mut env = IndexMap::new();
            for (k, v) in &wf.env {
                env.insert(
                    k.clone(),
                    eval_string(&v.value, &scope).unwrap_or_else(|e| format!("<{e}>")),
                );
            }
            env
        };
        let base = Arc::new((base, workflow_env));
        let mut pending: Vec<String> = wf.jobs.keys().cloned().collect();
        let mut done: IndexMap<String, JobSummary> = IndexMap::new();

        if frame.top
            && let Some(only) = &shared.req.job_filter
        {
            // `--job ID` runs that job alone; its dependencies count as succeeded.
            for id in wf.jobs.keys().filter(|id| *id != only) {
                done.insert(
                    id.clone(),
                    JobSummary {
                        result: Conclusion::Success,
                        outputs: IndexMap::new(),
                    },
                );
            }
            pending.retain(|id| id == only);
        }
        let mut running: JoinSet<(String, JobSummary)> = JoinSet::new();
        loop {
            let ready: Vec<String> = pending
                .iter()
                .filter(|id| {
                    wf.jobs[*id]
                        .needs
                        .iter()
                        .all(|n| done.contains_key(&n.value) || !wf.jobs.contains_key(&n.value))
                })
                .cloned()
                .collect();
            for id in ready {
                pending.retain(|p| *p != id);
                let job = &wf.jobs[&id];
                let needs: Vec<(String, JobSummary)> = job
                    .needs
                    .iter()
                    .map(|n| {
                        (
                            n.value.clone(),
                            done.get(&n.value).cloned().unwrap_or(JobSummary {
                                result: Conclusion::Skipped,
                                outputs: IndexMap::new(),
                            }),
                        )
                    })
                    .collect();
                let (shared, frame, base, cancel) =
                    (shared.clone(), frame.clone(), base.clone(), cancel.clone());
                running.spawn(async move {
                    let summary = run_job_group(shared, frame, &id, needs, base, cancel).await;
                    (id, summary)
                });
            }
            match running.join_next().await {
                Some(Ok((id, summary))) => {
                    done.insert(id, summary);
                }
                Some(Err(e)) => {
                    // A panicking task is a bug; record it as a failed job rather than hang.
                    let key = JobKey {
                        id: "hoist".into(),
                        job_id: "hoist".into(),
                        path: "hoist".into(),
                        name: "hoist".into(),
                        matrix: serde_json::Value::Null,
                    };
                    shared.log(
                        &key,
                        None,
                        &format!("internal error: a job task failed: {e}"),
                    );
                }
                None => break,
            }
        }
        // Jobs still pending depend on a cycle or on each other; `hoist check` reports that.
        for id in pending {
            done.insert(
                id,
                JobSummary {
                    result: Conclusion::Skipped,
                    outputs: IndexMap::new(),
                },
            );
        }
        done
    })
}

pub(crate) fn base_contexts<E: Executor>(shared: &Arc<Shared<E>>, frame: &Frame) -> Object {
    let req = &shared.req;
    let e = &req.event;
    let (ref_name, ref_type) = ref_parts(&e.git_ref);
    let workflow_name = frame
        .workflow
        .name
        .as_ref()
        .map_or_else(|| frame.workflow_path.clone(), |n| n.value.clone());
    let github = object([
        ("event_name", Value::from(e.name.as_str())),
        ("event", Value::from_json(&e.payload)),
        (
            "event_path",
            Value::from(shared.event_path.to_string_lossy().as_ref()),
        ),
        ("sha", Value::from(e.sha.as_str())),
        ("ref", Value::from(e.git_ref.as_str())),
        ("ref_name", Value::from(ref_name.as_str())),
        ("ref_type", Value::from(ref_type)),
        ("base_ref", Value::from(e.base_ref.as_str())),
        ("head_ref", Value::from(e.head_ref.as_str())),
        ("repository", Value::from(e.repository.as_str())),
        (
            "repository_owner",
            Value::from(e.repository.split('/').next().unwrap_or_default()),
        ),
        ("actor", Value::from(e.actor.as_str())),
        ("triggering_actor", Value::from(e.actor.as_str())),
        ("workflow", Value::from(workflow_name.as_str())),
        (
            "workflow_ref",
            Value::from(format!(
                "{}/{}@{}",
                e.repository, frame.workflow_path, e.git_ref
            )),
        ),
        ("run_id", Value::from(req.run_id.to_string())),
        ("run_number", Value::from(req.run_number.to_string())),
        ("run_attempt", Value::from(req.run_attempt.to_string())),
        ("server_url", Value::from("https://github.com")),
        ("api_url", Value::from("https://api.github.com")),
        ("graphql_url", Value::from("https://api.github.com/graphql")),
        ("action", Value::from("")),
        ("token", Value::from("")),
        ("retention_days", Value::from("90")),
    ]);
    let mut vars = Object::new();
    for (k, v) in &req.vars {
        vars.set(k.clone(), Value::from(v.as_str()));
    }
    let mut secrets = Object::new();
    for (k, v) in &frame.secrets {
        secrets.set(k.clone(), Value::from(v.as_str()));
    }
    let inputs = match Value::from_json(&serde_json::Value::Object(frame.inputs.clone())) {
        Value::Object(o) => Value::Object(o),
        _ => Value::object(Object::new()),
    };
    let mut o = Object::new();
    o.set("github", Value::object(github));
    o.set("vars", Value::object(vars));
    o.set("secrets", Value::object(secrets));
    o.set("inputs", inputs);
    o
}

fn display_base(job: &Job, id: &str) -> String {
    job.name
        .as_ref()
        .map_or_else(|| id.to_owned(), |n| n.value.clone())
}

/// Runs one job of the workflow: decides whether it runs, expands its matrix and runs each
/// combination (as steps or as a reusable-workflow call).
async fn run_job_group<E: Executor>(
    shared: Arc<Shared<E>>,
    frame: Arc<Frame>,
    id: &str,
    needs: Vec<(String, JobSummary)>,
    base: Arc<(Object, IndexMap<String, String>)>,
    cancel: watch::Receiver<bool>,
) -> JobSummary {
    let job = &frame.workflow.jobs[id];
    let mut contexts = base.0.clone();
    let mut needs_obj = Object::new();
    for (n, s) in &needs {
        needs_obj.set(n.clone(), summary_value(s));
    }
    contexts.set("needs", Value::object(needs_obj));
    let cancelled = *cancel.borrow();
    let status = Status {
        success: needs.iter().all(|(_, s)| s.result == Conclusion::Success),
        failure: needs.iter().any(|(_, s)| s.result == Conclusion::Failure),
        cancelled,
    };
    // The key of the job as a whole, before (or without) its matrix.
    let group_key = || JobKey {
        id: format!("{}{}", frame.prefix, id),
        job_id: id.to_owned(),
        path: format!("{}{}", frame.id_prefix, id),
        name: format!("{}{}", frame.prefix, display_base(job, id)),
        matrix: frame.matrix.clone(),
    };

    // A job reused from an earlier attempt (`hoist runs rerun --failed`).
    if frame.top
        && let Some((result, outputs)) = shared.req_reuse(id)
    {
        return reused(&shared, group_key(), result, outputs);
    }
    match should_run(job, &contexts, status) {
        Ok(true) => {}
        Ok(false) => return not_run(&shared, group_key(), cancelled),
        Err(message) => return fail_job(&shared, group_key(), &message),
    }

    // A job started by the cancellation itself runs to its end; the same cancellation must
    // not stop it at once.
    let cancel = if cancelled {
        crate::executor::never_cancelled()
    } else {
        cancel
    };

    let combos = match expand_matrix(job, &contexts, status) {
        Ok(c) => c,
        Err(message) => return fail_job(&shared, group_key(), &message),
    };
    let combos: Vec<Option<serde_json::Map<String, serde_json::Value>>> = combos
        .into_iter()
        .filter(|c| match c {
            Some(c) if frame.top => shared.req.matrix_filter.iter().all(|(k, v)| {
                c.get(k)
                    .map(crate::contexts::json_to_text)
                    .is_none_or(|x| &x == v)
            }),
            _ => true,
        })
        .collect();
    let strategy = Strategy::of(job, &contexts, status);
    let total = combos.len();
    let local = Arc::new(Semaphore::new(
        strategy.max_parallel.min(Semaphore::MAX_PERMITS),
    ));
    let (group_tx, group_rx) = watch::channel(false);
    let group_tx = Arc::new(group_tx);
    forward_cancel(cancel, group_tx.clone());

    let mut instances = JoinSet::new();
    for (index, combo) in combos.into_iter().enumerate() {
        let mut ctx = contexts.clone();
        strategy.set_contexts(&mut ctx, combo.as_ref(), index, total);
        let environment = match crate::environment::apply(&shared, job, &mut ctx, status) {
            Ok(name) => name,
            Err(message) => return fail_job(&shared, group_key(), &message),
        };
        let name = instance_name(job, id, combo.as_ref(), &ctx, status);
        let matrix_value = combo.map_or(serde_json::Value::Null, serde_json::Value::Object);
        let key = JobKey {
            id: format!(
                "{}{}",
                frame.prefix,
                match &matrix_value {
                    serde_json::Value::Object(c) => {
                        hoist_workflow::matrix::job_display_name(id, c)
                    }
                    _ => id.to_owned(),
                }
            ),
            job_id: id.to_owned(),
            path: format!("{}{}", frame.id_prefix, id),
            name: format!("{}{}", frame.prefix, name),
            matrix: inherit_matrix(&frame.matrix, matrix_value),
        };
        shared.emit(RunEvent::JobQueued { job: key.clone() });
        let instance = Instance {
            shared: shared.clone(),
            frame: frame.clone(),
            id: id.to_owned(),
            key,
            contexts: ctx,
            workflow_env: base.1.clone(),
            environment,
            fail_fast: strategy.fail_fast,
        };
        instances.spawn(run_instance(
            instance,
            local.clone(),
            group_tx.clone(),
            group_rx.clone(),
        ));
    }
    let mut results = Vec::new();
    let mut outputs = IndexMap::new();
    while let Some(r) = instances.join_next().await {
        if let Ok((result, out, continue_on_error)) = r {
            let effective = if result == Conclusion::Failure && continue_on_error {
                Conclusion::Success
            } else {
                result
            };
            results.push(effective);
            outputs.extend(out);
        }
    }
    drop(group_tx);
    JobSummary {
        result: group_result(&results),
        outputs,
    }
}

/// A job's result and outputs taken over from an earlier attempt, reported as its run.
fn reused<E: Executor>(
    shared: &Arc<Shared<E>>,
    key: JobKey,
    result: Conclusion,
    outputs: IndexMap<String, String>,
) -> JobSummary {
    shared.emit(RunEvent::JobQueued { job: key.clone() });
    shared.log(
        &key,
        None,
        &format!(
            "Reused the `{}` result of the previous attempt.",
            result.as_str()
        ),
    );
    shared.emit(RunEvent::JobFinished {
        job: key,
        result,
        duration: Duration::ZERO,
        outputs: outputs
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    });
    JobSummary { result, outputs }
}

/// Whether the job's `if:` lets it start. After a cancellation only jobs whose `if:` still
/// holds start (`always()`, `cancelled()`), as on GitHub.
fn should_run(job: &Job, contexts: &Object, status: Status) -> Result<bool, String> {
    let scope = ExprScope {
        contexts,
        status,
        workspace: None,
    };
    match &job.condition {
        None => Ok(status.success && !status.cancelled),
        Some(c) => parse_condition(&c.value, &RUNTIME)
            .and_then(|cond| cond.evaluate(&scope))
            .map_err(|e| format!("error in `if: {}`: {}", c.value, e.message)),
    }
}

/// A job whose `if:` kept it from starting: skipped, or cancelled when the run was.
fn not_run<E: Executor>(shared: &Arc<Shared<E>>, key: JobKey, cancelled: bool) -> JobSummary {
    let result = if cancelled {
        Conclusion::Cancelled
    } else {
        Conclusion::Skipped
    };
    shared.emit(RunEvent::JobQueued { job: key.clone() });
    shared.emit(RunEvent::JobFinished {
        job: key,
        result,
        duration: Duration::ZERO,
        outputs: Vec::new(),
    });
    JobSummary {
        result,
        outputs: IndexMap::new(),
    }
}

/// A job's `strategy` besides its matrix: `fail-fast` and `max-parallel`.
#[derive(Clone, Copy)]
struct Strategy {
    fail_fast: bool,
    max_parallel: usize,
}

impl Strategy {
    fn of(job: &Job, contexts: &Object, status: Status) -> Strategy {
        let scope = ExprScope {
            contexts,
            status,
            workspace: None,
        };
        let strategy = job.strategy.as_ref();
        let fail_fast = match strategy.and_then(|s| s.fail_fast.as_ref()) {
            Some(n) => n.as_bool().unwrap_or_else(|| {
                eval_value(n.as_str().unwrap_or_default(), &scope).is_ok_and(|v| v.is_truthy())
            }),
            None => true,
        };
        let max_parallel = match strategy.and_then(|s| s.max_parallel.as_ref()) {
            Some(n) => n
                .as_number()
                .or_else(|| {
                    eval_value(n.as_str().unwrap_or_default(), &scope)
                        .ok()
                        .map(|v| v.to_number())
                })
                .filter(|v| *v >= 1.0)
                .map_or(usize::MAX, |v| v as usize),
            None => usize::MAX,
        };
        Strategy {
            fail_fast,
            max_parallel,
        }
    }

    /// Sets the `matrix` and `strategy` contexts of instance `index` of `total`.
    fn set_contexts(
        self,
        ctx: &mut Object,
        combo: Option<&serde_json::Map<String, serde_json::Value>>,
        index: usize,
        total: usize,
    ) {
        ctx.set(
            "matrix",
            match combo {
                Some(c) => Value::from_json(&serde_json::Value::Object(c.clone())),
                None => Value::object(Object::new()),
            },
        );
        ctx.set(
            "strategy",
            Value::object(object([
                ("fail-fast", Value::Bool(self.fail_fast)),
                ("job-index", Value::Number(index as f64)),
                ("job-total", Value::Number(total as f64)),
                (
                    "max-parallel",
                    Value::Number(self.max_parallel.min(total) as f64),
                ),
            ])),
        );
    }
}

/// Passes the run's cancellation on to every instance of a job, through the group's channel
/// (which fail-fast also sends on).
fn forward_cancel(mut run_cancel: watch::Receiver<bool>, group: Arc<watch::Sender<bool>>) {
    tokio::spawn(async move {
        loop {
            if *run_cancel.borrow() {
                let _ = group.send(true);
                return;
            }
            if run_cancel.changed().await.is_err() || group.is_closed() {
                return;
            }
        }
    });
}

/// One instance of a job (one matrix combination), ready to run.
struct Instance<E: Executor> {
    shared: Arc<Shared<E>>,
    frame: Arc<Frame>,
    id: String,
    key: JobKey,
    contexts: Object,
    workflow_env: IndexMap<String, String>,
    environment: Option<String>,
    fail_fast: bool,
}

/// Runs one instance once the job's parallelism limit and a slot let it: its steps here, on
/// a runner through the placement, or a reusable-workflow call. Returns its result, outputs
/// and whether `continue-on-error` holds.
async fn run_instance<E: Executor>(
    instance: Instance<E>,
    local: Arc<Semaphore>,
    group_tx: Arc<watch::Sender<bool>>,
    mut group_rx: watch::Receiver<bool>,
) -> (Conclusion, IndexMap<String, String>, bool) {
    let Instance {
        shared,
        frame,
        id,
        key,
        contexts: ctx,
        workflow_env,
        environment,
        fail_fast,
    } = instance;
    let _local = local.acquire_owned().await;
    // Cancelled while waiting for the parallelism limit: the job never starts.
    let never_started = || {
        shared.emit(RunEvent::JobFinished {
            job: key.clone(),
            result: Conclusion::Cancelled,
            duration: Duration::ZERO,
            outputs: Vec::new(),
        });
        (Conclusion::Cancelled, IndexMap::new(), false)
    };
    if *group_rx.borrow_and_update() {
        return never_started();
    }
    let job = &frame.workflow.jobs[&id];
    let outcome = if job.uses.is_some() {
        call_reusable(&shared, &frame, job, &key, &ctx, group_rx).await
    } else {
        let _slot = shared.slots.clone().acquire_owned().await;
        if *group_rx.borrow() {
            return never_started();
        }
        match &shared.placement {
            // Placed elsewhere (a runner): the request carries what the job needs.
            Some(placement) => {
                let mut request =
                    crate::job_request::request(&shared, &frame, &id, &key, &ctx, &workflow_env);
                request.environment = environment;
                if let Some(concurrency) = &job.concurrency {
                    match crate::concurrency::claim(
                        concurrency,
                        &ctx,
                        crate::concurrency::JOB_CONTEXTS,
                    ) {
                        Ok(claim) => request.concurrency = claim,
                        Err(message) => {
                            let failed = end_failed(&shared, key.clone(), &message);
                            return (failed.result, failed.outputs, false);
                        }
                    }
                }
                let o = placement.run(request, group_rx).await;
                (o.result, o.outputs.into_iter().collect())
            }
            None => {
                let base = JobBase {
                    contexts: ctx.clone(),
                    workflow_env,
                };
                let o = run_job(&shared, &frame.workflow, job, &key, base, group_rx).await;
                (o.result, o.outputs)
            }
        }
    };
    let continue_on_error = job.continue_on_error.as_ref().is_some_and(|n| {
        let scope = ExprScope {
            contexts: &ctx,
            status: Status::default(),
            workspace: None,
        };
        n.as_bool().unwrap_or_else(|| {
            eval_value(n.as_str().unwrap_or_default(), &scope).is_ok_and(|v| v.is_truthy())
        })
    });
    if outcome.0 == Conclusion::Failure && fail_fast && !continue_on_error {
        let _ = group_tx.send(true);
    }
    (outcome.0, outcome.1, continue_on_error)
}

/// A job's result from its instances' (`continue-on-error` already applied).
fn group_result(results: &[Conclusion]) -> Conclusion {
    if results.contains(&Conclusion::Failure) {
        Conclusion::Failure
    } else if results.contains(&Conclusion::Cancelled) {
        Conclusion::Cancelled
    } else if results.iter().all(|r| *r == Conclusion::Skipped) {
        // No instance, or none that ran here (other platforms, containers).
        Conclusion::Skipped
    } else {
        Conclusion::Success
    }
}

/// The key of a job that is not in the workflow but says why the run ended (`concurrency`).
pub(crate) fn pseudo_key(name: &str) -> JobKey {
    JobKey {
        id: name.to_owned(),
        job_id: name.to_owned(),
        path: name.to_owned(),
        name: name.to_owned(),
        matrix: serde_json::Value::Null,
    }
}

pub(crate) fn fail_job<E: Executor>(
    shared: &Arc<Shared<E>>,
    key: JobKey,
    message: &str,
) -> JobSummary {
    shared.emit(RunEvent::JobQueued { job: key.clone() });
    shared.emit(RunEvent::JobStarted {
        job: key.clone(),
        at: SystemTime::now(),
    });
    end_failed(shared, key, message)
}

/// Ends job `key`, already reported queued, as failed with `message` as its log and
/// annotation.
fn end_failed<E: Executor>(shared: &Arc<Shared<E>>, key: JobKey, message: &str) -> JobSummary {
    shared.log(&key, None, &format!("Error: {message}"));
    shared.annotate(&key, None, AnnotationLevel::Error, message);
    shared.emit(RunEvent::JobFinished {
        job: key,
        result: Conclusion::Failure,
        duration: Duration::ZERO,
        outputs: Vec::new(),
    });
    JobSummary {
        result: Conclusion::Failure,
        outputs: IndexMap::new(),
    }
}

/// The display name of one instance: an explicit `name:` (evaluated), else the job id; matrix
/// values are appended unless the name already uses the matrix.
fn instance_name(
    job: &Job,
    id: &str,
    combo: Option<&serde_json::Map<String, serde_json::Value>>,
    contexts: &Object,
    status: Status,
) -> String {
    let scope = ExprScope {
        contexts,
        status,
        workspace: None,
    };
    if let Some(n) = &job.name
        && n.value.contains("${{")
    {
        return eval_string(&n.value, &scope).unwrap_or_else(|_| n.value.clone());
    }
    let base = display_base(job, id);
    match combo {
        Some(c) => hoist_workflow::matrix::job_display_name(&base, c),
        None => base,
    }
}

/// The matrix combinations of a job, `[None]` when it has no matrix.
fn expand_matrix(
    job: &Job,
    contexts: &Object,
    status: Status,
) -> Result<Vec<Option<serde_json::Map<String, serde_json::Value>>>, String> {
    let Some(matrix) = job.strategy.as_ref().and_then(|s| s.matrix.as_ref()) else {
        return Ok(vec![None]);
    };
    let scope = ExprScope {
        contexts,
        status,
        workspace: None,
    };
    let value = match matrix {
        Matrix::Expression(e) => eval_value(&e.value, &scope)?.to_json(),
        Matrix::Dimensions {
            dims,
            include,
            exclude,
            ..
        } => {
            let mut o = serde_json::Map::new();
            for (k, v) in dims {
                o.insert(k.clone(), eval_node(v, &scope)?);
            }
            if let Some(i) = include {
                o.insert("include".into(), eval_node(i, &scope)?);
            }
            if let Some(e) = exclude {
                o.insert("exclude".into(), eval_node(e, &scope)?);
            }
            serde_json::Value::Object(o)
        }
    };
    let combos =
        hoist_workflow::matrix::expand(&value).map_err(|e| format!("strategy.matrix: {e}"))?;
    Ok(combos.into_iter().map(Some).collect())
}
