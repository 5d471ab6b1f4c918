//! Running one job instance: its steps, in order, with GitHub's status rules.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use hoist_expr::{Object, Value};
use hoist_workflow::model::{Job, Workflow};
use indexmap::IndexMap;
use tokio::sync::watch;

use crate::background::Background;
use crate::contexts::{ExprScope, Status, eval_string, object};
use crate::events::{AnnotationLevel, Conclusion, JobKey, RunEvent};
use crate::executor::Executor;
use crate::job_state::{JobCx, JobState, Report, env_value, minutes};
use crate::placement::{runner_arch, runner_os};
use crate::shared::Shared;
use crate::step::run_step;

/// GitHub's default job timeout.
const DEFAULT_JOB_TIMEOUT: Duration = Duration::from_secs(360 * 60);

/// The contexts a job starts with (everything but `env`, `steps`, `job`, `runner`).
pub(crate) struct JobBase {
    pub(crate) contexts: Object,
    /// Environment from the workflow's `env:`, already evaluated.
    pub(crate) workflow_env: IndexMap<String, String>,
}

pub(crate) struct InstanceOutcome {
    pub(crate) result: Conclusion,
    pub(crate) outputs: IndexMap<String, String>,
    /// The job's `environment.url`, evaluated as it ended.
    pub(crate) environment_url: Option<String>,
}

pub(crate) async fn run_job<E: Executor>(
    shared: &Arc<Shared<E>>,
    workflow: &Workflow,
    job: &Job,
    key: &JobKey,
    base: JobBase,
    cancel: watch::Receiver<bool>,
) -> InstanceOutcome {
    let started = Instant::now();
    if let Some(reason) = not_here(shared, job, &base.contexts) {
        shared.emit(RunEvent::JobNotRunHere {
            job: key.clone(),
            reason: reason.clone(),
        });
        shared.log(key, None, &reason);
        shared.emit(RunEvent::JobFinished {
            job: key.clone(),
            result: Conclusion::Skipped,
            duration: Duration::ZERO,
            outputs: Vec::new(),
        });
        return InstanceOutcome {
            result: Conclusion::Skipped,
            outputs: IndexMap::new(),
            environment_url: None,
        };
    }
    shared.emit(RunEvent::JobStarted {
        job: key.clone(),
        at: SystemTime::now(),
    });
    if shared.req.container_mode == crate::placement::ContainerMode::Host
        && let Some(what) = crate::placement::container_need(job)
    {
        let message = format!(
            "this job asks to run {what}; it runs on this machine instead (`--container-mode host`)"
        );
        shared.log(key, None, &format!("Warning: {message}"));
        shared.annotate(key, None, AnnotationLevel::Warning, &message);
    }
    let outcome = match prepare(shared, workflow, job, key, base) {
        Ok(mut state) => {
            // Like GitHub's "Set up job": every action is found before the first step runs,
            // and `pre:` scripts run then.
            let cx = JobCx {
                shared,
                workflow,
                job,
                key,
                cancel: &cancel,
            };
            if let Err(message) = crate::actions::set_up(cx, &mut state).await {
                shared.log(key, None, &format!("Error: {message}"));
                shared.annotate(key, None, AnnotationLevel::Error, &message);
                state.failed = true;
            } else {
                let mut background = Background::new();
                for step in &job.steps {
                    if let Some(control) = &step.control {
                        background.control(cx, step, control, &mut state).await;
                    } else if Background::wants(step, &state) {
                        background.start(cx, step, &state);
                    } else {
                        background
                            .beside(run_step(cx, step, &mut state, Report::Top))
                            .await;
                    }
                }
                background.finish(cx, &mut state).await;
            }
            crate::actions::run_post(cx, &mut state).await;
            let cancelled = *cancel.borrow();
            let result = if cancelled {
                Conclusion::Cancelled
            } else if state.failed {
                Conclusion::Failure
            } else {
                Conclusion::Success
            };
            let (outputs, environment_url) = job_outputs(shared, job, key, &state, result);
            InstanceOutcome {
                result,
                outputs,
                environment_url,
            }
        }
        Err(message) => {
            shared.log(key, None, &format!("Error: {message}"));
            shared.annotate(key, None, AnnotationLevel::Error, &message);
            InstanceOutcome {
                result: Conclusion::Failure,
                outputs: IndexMap::new(),
                environment_url: None,
            }
        }
    };
    shared.emit(RunEvent::JobFinished {
        job: key.clone(),
        result: outcome.result,
        duration: started.elapsed(),
        outputs: outcome
            .outputs
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    });
    outcome
}

fn prepare<E: Executor>(
    shared: &Arc<Shared<E>>,
    workflow: &Workflow,
    job: &Job,
    key: &JobKey,
    base: JobBase,
) -> Result<JobState, String> {
    let dir = shared.req.work_dir.join(slug(&key.id));
    let workspace = dir.join("workspace");
    let temp = dir.join("temp");
    // RUNNER_TEMP starts empty for every job, as on GitHub; Hoist's own files stay.
    if let Ok(entries) = std::fs::read_dir(&temp) {
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name == "_runner_file_commands"
                || name == "_test_results"
                || name.starts_with("step_script")
            {
                continue;
            }
            let p = e.path();
            let _ = if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
        }
    }
    for d in [
        &workspace,
        &temp,
        &temp.join("_runner_file_commands"),
        &crate::test_reports::results_dir(&temp),
    ] {
        std::fs::create_dir_all(d).map_err(|e| format!("cannot create `{}`: {e}", d.display()))?;
    }
    let mut contexts = base.contexts;
    // `github` gains the job's own fields.
    if let Some(Value::Object(g)) = contexts.get("github").cloned() {
        let mut g = (*g).clone();
        g.set("job", Value::from(key.job_id.as_str()));
        g.set(
            "workspace",
            Value::from(workspace.to_string_lossy().as_ref()),
        );
        contexts.set("github", Value::object(g));
    }
    contexts.set(
        "runner",
        Value::object(object([
            ("os", Value::from(runner_os())),
            ("arch", Value::from(runner_arch())),
            ("name", Value::from("hoist")),
            ("environment", Value::from("self-hosted")),
            ("temp", Value::from(temp.to_string_lossy().as_ref())),
            (
                "tool_cache",
                Value::from(
                    shared
                        .req
                        .cache_dir
                        .join("tools")
                        .to_string_lossy()
                        .as_ref(),
                ),
            ),
            (
                "debug",
                Value::from(if shared.req.debug { "1" } else { "" }),
            ),
        ])),
    );
    contexts.set(
        "job",
        Value::object(object([
            ("status", Value::from("success")),
            ("container", Value::object(Object::new())),
            ("services", Value::object(Object::new())),
        ])),
    );
    contexts.set("steps", Value::object(Object::new()));
    check_labels(&shared.req.runner_labels, job, &contexts)?;
    let mut env = base.workflow_env;
    contexts.set("env", env_value(&env));
    {
        let scope = ExprScope {
            contexts: &contexts,
            status: Status::default(),
            workspace: None,
        };
        for (k, v) in &job.env {
            env.insert(k.clone(), eval_string(&v.value, &scope)?);
        }
    }
    contexts.set("env", env_value(&env));
    let timeout = match &job.timeout_minutes {
        Some(node) => minutes(node, &contexts)?,
        None => DEFAULT_JOB_TIMEOUT,
    };
    let _ = workflow;
    Ok(JobState {
        env,
        paths: shared.req.tool_paths.clone(),
        steps: Object::new(),
        failed: false,
        contexts,
        workspace,
        files_dir: temp.clone(),
        temp,
        deadline: Instant::now() + timeout,
        post: Vec::new(),
        default_env: Vec::new(),
        test_results_seen: None,
        last_conclusion: None,
    })
}

/// Why the job must not run on this machine, if so (see `placement`). A `runs-on` that does
/// not evaluate is left to `prepare`, which fails the job with the message.
fn not_here<E: Executor>(shared: &Arc<Shared<E>>, job: &Job, contexts: &Object) -> Option<String> {
    let scope = ExprScope {
        contexts,
        status: Status::default(),
        workspace: None,
    };
    let wanted = crate::placement::wanted_labels(job, &scope).unwrap_or_default();
    let ours: Vec<String> = shared
        .req
        .mapped_labels
        .iter()
        .chain(&shared.req.runner_labels)
        .cloned()
        .collect();
    crate::placement::reason_not_here(job, &wanted, &ours, shared.req.container_mode)
}

/// Refuses a job whose `runs-on` names labels this runner does not have.
fn check_labels(labels: &[String], job: &Job, contexts: &Object) -> Result<(), String> {
    if labels.is_empty() {
        return Ok(());
    }
    let scope = ExprScope {
        contexts,
        status: Status::default(),
        workspace: None,
    };
    let wanted = crate::placement::wanted_labels(job, &scope)?;
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|w| !labels.iter().any(|l| l.eq_ignore_ascii_case(w)))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list = |v: &[&String]| {
        v.iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Err(format!(
        "no runner matches `runs-on`: this runner lacks {}; its labels are {} (set `[runner] labels` in hoist.toml)",
        list(&missing),
        list(&labels.iter().collect::<Vec<_>>())
    ))
}

/// A file-system-safe version of a job id.
fn slug(id: &str) -> String {
    let s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    s.chars().take(120).collect()
}

/// The job's outputs, and its environment's URL, evaluated as the job ended.
fn job_outputs<E: Executor>(
    shared: &Arc<Shared<E>>,
    job: &Job,
    key: &JobKey,
    state: &JobState,
    result: Conclusion,
) -> (IndexMap<String, String>, Option<String>) {
    let mut contexts = state.contexts.clone();
    contexts.set("steps", Value::object(state.steps.clone()));
    contexts.set("env", env_value(&state.env));
    let scope = ExprScope {
        contexts: &contexts,
        status: Status {
            success: result == Conclusion::Success,
            failure: result == Conclusion::Failure,
            cancelled: result == Conclusion::Cancelled,
        },
        workspace: Some(&state.workspace),
    };
    let mut out = IndexMap::new();
    for (name, value) in &job.outputs {
        match eval_string(&value.value, &scope) {
            // As on GitHub, a job output holding a secret is not passed on.
            Ok(v) if shared.masker.mask(&v) != v => {
                shared.log(
                    key,
                    None,
                    &format!("Warning: Skip output `{name}` since it may contain secret."),
                );
            }
            Ok(v) => {
                out.insert(name.clone(), v);
            }
            Err(e) => shared.log(key, None, &format!("Warning: output `{name}`: {e}")),
        }
    }
    (out, crate::environment::url(job, &scope))
}
