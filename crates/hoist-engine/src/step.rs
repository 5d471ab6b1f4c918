//! Running one step of a job: its `if:`, its execution (a builtin, an action or a `run:`
//! script) and its record in the `steps` context, with GitHub's status rules.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use hoist_expr::{Object, Value, parse_condition};
use hoist_workflow::model::{ActionRef, Step};
use indexmap::IndexMap;

use crate::builtin;
use crate::contexts::{
    ExprScope, RUNTIME, Status, eval_node, eval_string, eval_value, json_to_text, object,
};
use crate::events::{AnnotationLevel, Conclusion, JobKey, RunEvent};
use crate::executor::Executor;
use crate::job_state::{JobCx, JobState, Report, StepResult, env_value, minutes};
use crate::shared::Shared;
use crate::shell;
use crate::step_process::{ProcessCommand, rewrite, run_process};

fn step_name(step: &Step, scope: &ExprScope<'_>) -> String {
    if let Some(n) = &step.name {
        return eval_string(&n.value, scope).unwrap_or_else(|_| n.value.clone());
    }
    if let Some(run) = &step.run {
        let first = run
            .value
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default()
            .trim();
        return format!("Run {first}");
    }
    if let Some(uses) = &step.uses {
        return format!("Run {}", action_label(&uses.value));
    }
    format!("Step {}", step.index + 1)
}

pub(crate) fn action_label(r: &ActionRef) -> String {
    r.to_string()
}

/// Runs one step: decides with `if:`, executes, records. Boxed because composite actions run
/// their steps through it again.
pub(crate) fn run_step<'a, E: Executor>(
    cx: JobCx<'a, E>,
    step: &'a Step,
    state: &'a mut JobState,
    report: Report,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>> {
    Box::pin(async move {
        let JobCx {
            shared,
            key,
            cancel,
            ..
        } = cx;
        let started = Instant::now();
        let cancelled = *cancel.borrow();
        let status = Status {
            success: !state.failed,
            failure: state.failed,
            cancelled,
        };
        state
            .contexts
            .set("steps", Value::object(state.steps.clone()));
        state.contexts.set("env", env_value(&state.env));
        set_job_status(&mut state.contexts, state.failed, cancelled);
        let scope = ExprScope {
            contexts: &state.contexts,
            status,
            workspace: Some(&state.workspace),
        };
        let name = step_name(step, &scope);

        // `if:` (with the implied `success()`, false once the run is cancelled): after a
        // cancellation only steps whose condition still holds run, `always()` and
        // `cancelled()` ones, as on GitHub.
        let run_it = match &step.condition {
            None => Ok(!state.failed && !cancelled),
            Some(c) => parse_condition(&c.value, &RUNTIME)
                .and_then(|cond| cond.evaluate(&scope))
                .map_err(|e| format!("error in `if: {}`: {}", c.value, e.message)),
        };
        let log_index = report.log_index(step.index);
        let run_it = match run_it {
            Ok(b) => b,
            Err(message) => {
                step_started(shared, key, step, &name, report);
                shared.log(key, Some(log_index), &format!("Error: {message}"));
                shared.annotate(key, Some(log_index), AnnotationLevel::Error, &message);
                let failed = StepResult {
                    outcome: Conclusion::Failure,
                    exit_code: None,
                    outputs: Vec::new(),
                    summary: None,
                };
                finish_step(cx, step, &name, state, started, failed, report);
                return;
            }
        };
        if !run_it {
            let outcome = if cancelled {
                Conclusion::Cancelled
            } else {
                Conclusion::Skipped
            };
            record_step(state, step, outcome, outcome, &[]);
            match report {
                Report::Top => shared.emit(RunEvent::StepFinished {
                    job: key.clone(),
                    index: step.index,
                    name,
                    outcome,
                    conclusion: outcome,
                    exit_code: None,
                    duration: Duration::ZERO,
                    outputs: Vec::new(),
                    summary: None,
                }),
                Report::Nested { parent } => shared.log(
                    key,
                    Some(parent),
                    &format!("- {name} ({})", outcome.as_str()),
                ),
            }
            return;
        }
        step_started(shared, key, step, &name, report);
        let since = SystemTime::now();
        // A cleanup step that runs because the run was cancelled must not be cancelled at
        // once by the same signal: it runs to its end (or its timeout).
        let never = crate::executor::never_cancelled();
        let cx = if cancelled {
            JobCx {
                cancel: &never,
                ..cx
            }
        } else {
            cx
        };
        let result = match execute_step(cx, step, state, report).await {
            Ok(r) => r,
            Err(message) => {
                shared.log(key, Some(log_index), &format!("Error: {message}"));
                shared.annotate(key, Some(log_index), AnnotationLevel::Error, &message);
                StepResult {
                    outcome: Conclusion::Failure,
                    exit_code: None,
                    outputs: Vec::new(),
                    summary: None,
                }
            }
        };
        if let Report::Top = report {
            report_tests(cx, step, state, since);
        }
        finish_step(cx, step, &name, state, started, result, report);
    })
}

/// Reads the JUnit XML the step just wrote (see `test_reports`) and reports its counts.
fn report_tests<E: Executor>(
    cx: JobCx<'_, E>,
    step: &Step,
    state: &mut JobState,
    since: SystemTime,
) {
    let JobCx { shared, key, .. } = cx;
    let mut globs = shared.req.junit.clone();
    let step_glob = step
        .env
        .get("HOIST_JUNIT")
        .and_then(|v| eval_string(&v.value, &state.scope()).ok());
    for value in step_glob.iter().chain(state.env.get("HOIST_JUNIT")) {
        globs.extend(
            value
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned),
        );
    }
    let results = crate::test_reports::results_dir(&state.temp);
    let collected = crate::test_reports::collect(
        &results,
        &mut state.test_results_seen,
        &state.workspace,
        &globs,
        since,
    );
    for problem in collected.problems {
        shared.log(key, Some(step.index), &format!("hoist: {problem}"));
    }
    if let Some(counts) = collected.counts {
        shared.emit(RunEvent::TestReport {
            job: key.clone(),
            index: step.index,
            counts,
        });
    }
}

pub(crate) fn step_started<E: Executor>(
    shared: &Arc<Shared<E>>,
    key: &JobKey,
    step: &Step,
    name: &str,
    report: Report,
) {
    match report {
        Report::Top => shared.emit(RunEvent::StepStarted {
            job: key.clone(),
            index: step.index,
            name: name.to_owned(),
            at: SystemTime::now(),
        }),
        Report::Nested { parent } => shared.log(key, Some(parent), &format!("▶ {name}")),
    }
}

fn set_job_status(contexts: &mut Object, failed: bool, cancelled: bool) {
    if let Some(Value::Object(j)) = contexts.get("job").cloned() {
        let mut j = (*j).clone();
        let s = if cancelled {
            "cancelled"
        } else if failed {
            "failure"
        } else {
            "success"
        };
        j.set("status", Value::from(s));
        contexts.set("job", Value::object(j));
    }
}

pub(crate) fn finish_step<E: Executor>(
    cx: JobCx<'_, E>,
    step: &Step,
    name: &str,
    state: &mut JobState,
    started: Instant,
    result: StepResult,
    report: Report,
) {
    let JobCx { shared, key, .. } = cx;
    let continue_on_error = step.continue_on_error.as_ref().is_some_and(|node| {
        let scope = ExprScope {
            contexts: &state.contexts,
            status: Status::default(),
            workspace: Some(&state.workspace),
        };
        match node.as_bool() {
            Some(b) => b,
            None => {
                eval_value(node.as_str().unwrap_or_default(), &scope).is_ok_and(|v| v.is_truthy())
            }
        }
    });
    let conclusion = if result.outcome == Conclusion::Failure && continue_on_error {
        Conclusion::Success
    } else {
        result.outcome
    };
    if conclusion == Conclusion::Failure {
        state.failed = true;
    }
    state.last_conclusion = Some(conclusion);
    record_step(state, step, result.outcome, conclusion, &result.outputs);
    // Later steps see real values; everything reported or stored is masked.
    let shown: Vec<(String, String)> = result
        .outputs
        .iter()
        .map(|(k, v)| (k.clone(), shared.masker.mask(v)))
        .collect();
    if let Report::Nested { parent } = report {
        let mark = if conclusion == Conclusion::Success {
            "✓"
        } else {
            "✗"
        };
        shared.log(
            key,
            Some(parent),
            &format!("{mark} {name} ({})", conclusion.as_str()),
        );
        return;
    }
    shared.emit(RunEvent::StepFinished {
        job: key.clone(),
        index: step.index,
        name: name.to_owned(),
        outcome: result.outcome,
        conclusion,
        exit_code: result.exit_code,
        duration: started.elapsed(),
        outputs: shown,
        summary: result.summary,
    });
}

fn record_step(
    state: &mut JobState,
    step: &Step,
    outcome: Conclusion,
    conclusion: Conclusion,
    outputs: &[(String, String)],
) {
    let Some(id) = &step.id else { return };
    let mut out = Object::new();
    for (k, v) in outputs {
        out.set(k.clone(), Value::from(v.as_str()));
    }
    let entry = object([
        ("outputs", Value::object(out)),
        ("outcome", Value::from(outcome.as_str())),
        ("conclusion", Value::from(conclusion.as_str())),
    ]);
    state.steps.set(id.value.clone(), Value::object(entry));
}

async fn execute_step<E: Executor>(
    cx: JobCx<'_, E>,
    step: &Step,
    state: &mut JobState,
    report: Report,
) -> Result<StepResult, String> {
    let JobCx {
        shared,
        workflow,
        job,
        key,
        cancel,
    } = cx;
    let log_index = report.log_index(step.index);
    if matches!(report, Report::Nested { .. })
        && (step.control.is_some() || step.background.is_some() || step.parallel_member)
    {
        // The job's own steps are scheduled by `background`; inside a composite action
        // steps run one after another.
        shared.log(
            key,
            Some(log_index),
            "hoist: `background`, `wait`, `wait-all` and `cancel` are not supported inside composite actions; this step runs in the foreground",
        );
        if step.control.is_some() {
            return Ok(StepResult::plain(Conclusion::Success));
        }
    }
    let (step_env, timeout) = {
        let scope = state.scope();
        let mut step_env = IndexMap::new();
        for (k, v) in &step.env {
            step_env.insert(k.clone(), eval_string(&v.value, &scope)?);
        }
        check_result_size(&step_env, "env")?;
        let timeout = match &step.timeout_minutes {
            Some(node) => Some(minutes(node, &state.contexts)?),
            None => None,
        };
        (step_env, timeout)
    };
    let remaining = state.deadline.saturating_duration_since(Instant::now());
    let timeout = Some(timeout.map_or(remaining, |t| t.min(remaining)));

    if let Some(uses) = &step.uses {
        let with = {
            let scope = state.scope();
            let mut with = IndexMap::new();
            for (k, (_, node)) in &step.with {
                with.insert(k.clone(), json_to_text(&eval_node(node, &scope)?));
            }
            with
        };
        check_result_size(&with, "with")?;
        if builtin::handles(&uses.value) {
            let ctx = builtin::StepContext {
                shared,
                key,
                index: log_index,
                workspace: &state.workspace,
                with: &with,
            };
            let r = builtin::run(ctx, &uses.value).await?;
            for (k, v) in r.env {
                state.env.insert(k, v);
            }
            state.paths.extend(r.paths);
            state.post.extend(r.post);
            return Ok(StepResult {
                outcome: r.outcome,
                exit_code: None,
                outputs: r.outputs,
                summary: None,
            });
        }
        let action = crate::actions::resolve(shared, &state.workspace, &uses.value).await?;
        let call = crate::actions::ActionCall {
            with: &with,
            step_env: &step_env,
            timeout,
        };
        return crate::actions::run_action(cx, step, state, report, &action, call).await;
    }

    let Some(run) = &step.run else {
        return Err("the step has neither `run` nor `uses`".to_owned());
    };
    let (script, shell_name, working_dir) = {
        let scope = state.scope();
        let script = eval_string(&run.value, &scope)?;
        let shell_name = step
            .shell
            .as_ref()
            .or(job.defaults.shell.as_ref())
            .or(workflow.defaults.shell.as_ref())
            .map(|s| eval_string(&s.value, &scope))
            .transpose()?;
        let working_dir = step
            .working_directory
            .as_ref()
            .or(job.defaults.working_directory.as_ref())
            .or(workflow.defaults.working_directory.as_ref())
            .map(|w| eval_string(&w.value, &scope))
            .transpose()?;
        (script, shell_name, working_dir)
    };
    let cwd = match &working_dir {
        Some(w) => state.workspace.join(w),
        None => state.workspace.clone(),
    };
    if !cwd.is_dir() {
        return Err(format!(
            "working directory `{}` does not exist",
            working_dir.unwrap_or_default()
        ));
    }
    // One script file per job and extension, rewritten for each step (see `CommandFiles`).
    let script_stub = state.files_dir.join("step_script");
    let on_path = |p: &str| shared.which(p, &state.paths).is_some();
    let probe = shell::resolve(shell_name.as_deref(), "{script}", on_path)?;
    let script_path = if probe.extension.is_empty() {
        script_stub
    } else {
        script_stub.with_extension(probe.extension.trim_start_matches('.'))
    };
    rewrite(&script_path, &script).map_err(|e| format!("cannot write the script: {e}"))?;
    let command = shell::resolve(
        shell_name.as_deref(),
        &script_path.to_string_lossy(),
        on_path,
    )?;
    // Start the shell by its full path: no search through PATH for every step.
    let program = shared
        .which(&command.program, &state.paths)
        .map_or(command.program, |p| p.to_string_lossy().into_owned());
    let process = ProcessCommand {
        program,
        args: command.args,
        env: step_env.into_iter().collect(),
        cwd,
        timeout,
    };
    run_process(shared, key, Some(log_index), state, process, cancel).await
}

/// The most an evaluated step `env:` or `with:` may weigh, by GitHub's measure: the runner
/// evaluates them with `MaxResultSize` 10 MiB (actions/runner's `PipelineTemplateEvaluator`).
const MAX_RESULT_BYTES: usize = 10 * 1024 * 1024;

/// Fails as the runner does ("Maximum object size exceeded") when an evaluated mapping of
/// strings weighs more than [`MAX_RESULT_BYTES`]. The runner's `TemplateMemory` counts 24
/// bytes per token, plus 26 and two per character for each string.
fn check_result_size(values: &IndexMap<String, String>, what: &str) -> Result<(), String> {
    let string = |s: &str| 24 + 26 + 2 * s.chars().count();
    let bytes: usize = 24
        + values
            .iter()
            .map(|(k, v)| string(k) + string(v))
            .sum::<usize>();
    if bytes > MAX_RESULT_BYTES {
        return Err(format!(
            "Maximum object size exceeded: the step's `{what}:` evaluates to {bytes} bytes by GitHub's measure, over {MAX_RESULT_BYTES}"
        ));
    }
    Ok(())
}
