//! Running one job instance: its steps, in order, with GitHub's status rules.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use hoist_expr::{Object, Value, parse_condition};
use hoist_workflow::model::{ActionRef, Job, Step, Workflow};
use indexmap::IndexMap;
use tokio::sync::{mpsc, watch};

use crate::background::Background;
use crate::builtin;
use crate::command_files::{parse_key_values, parse_paths};
use crate::contexts::{
    ExprScope, RUNTIME, Status, eval_node, eval_string, eval_value, json_to_text, object,
};
use crate::events::{Annotation, AnnotationLevel, Conclusion, JobKey, RunEvent};
use crate::executor::{Executor, ProcessEnd, ProcessMessage, ProcessSpec};
use crate::run::Shared;
use crate::shell;
use crate::workflow_commands::CommandGate;

/// GitHub's default job timeout.
const DEFAULT_JOB_TIMEOUT: Duration = Duration::from_secs(360 * 60);

/// The contexts a job starts with (everything but `env`, `steps`, `job`, `runner`).
pub(crate) struct JobBase {
    pub(crate) contexts: Object,
    /// Environment from the workflow's `env:`, already evaluated.
    pub(crate) workflow_env: IndexMap<String, String>,
}

/// What every step of one job instance shares.
pub(crate) struct JobCx<'a, E> {
    pub(crate) shared: &'a Arc<Shared<E>>,
    pub(crate) workflow: &'a Workflow,
    pub(crate) job: &'a Job,
    pub(crate) key: &'a JobKey,
    pub(crate) cancel: &'a watch::Receiver<bool>,
}

impl<E> Clone for JobCx<'_, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for JobCx<'_, E> {}

/// A process to start for a step.
pub(crate) struct ProcessCommand {
    pub(crate) program: String,
    pub(crate) args: Vec<String>,
    /// Variables on top of the job's environment.
    pub(crate) env: Vec<(String, String)>,
    pub(crate) cwd: PathBuf,
    pub(crate) timeout: Option<Duration>,
}

impl JobState {
    /// The scope for expressions of the next step: the job's contexts, its status so far, and
    /// its workspace for `hashFiles()`.
    pub(crate) fn scope(&self) -> ExprScope<'_> {
        let status = Status {
            success: !self.failed,
            failure: self.failed,
            cancelled: false,
        };
        ExprScope {
            contexts: &self.contexts,
            status,
            workspace: Some(&self.workspace),
        }
    }
}

/// A running job's mutable state.
pub(crate) struct JobState {
    pub(crate) env: IndexMap<String, String>,
    pub(crate) paths: Vec<String>,
    pub(crate) steps: Object,
    pub(crate) failed: bool,
    pub(crate) contexts: Object,
    pub(crate) workspace: PathBuf,
    pub(crate) temp: PathBuf,
    /// Where the step's command files and script live: `temp` itself, or a directory of its
    /// own for a background step.
    pub(crate) files_dir: PathBuf,
    pub(crate) deadline: Instant,
    /// `post:` scripts of JavaScript actions, run after the last step in reverse order.
    pub(crate) post: Vec<crate::actions::PostScript>,
    /// GitHub's default variables for this job's steps, built on the first step.
    pub(crate) default_env: Vec<(String, String)>,
    /// The test-results directory's modification time when last read (see `test_reports`).
    pub(crate) test_results_seen: Option<SystemTime>,
    /// The conclusion of the step that ran last on this state.
    pub(crate) last_conclusion: Option<Conclusion>,
}

impl JobState {
    /// A copy for a background step: the same environment and contexts, its own command
    /// files in `files_dir`, no post scripts yet.
    pub(crate) fn fork(&self, files_dir: PathBuf) -> Self {
        Self {
            env: self.env.clone(),
            paths: self.paths.clone(),
            steps: self.steps.clone(),
            failed: self.failed,
            contexts: self.contexts.clone(),
            workspace: self.workspace.clone(),
            temp: self.temp.clone(),
            files_dir,
            deadline: self.deadline,
            post: Vec::new(),
            // Built again: they name the command files.
            default_env: Vec::new(),
            test_results_seen: self.test_results_seen,
            last_conclusion: None,
        }
    }
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

fn minutes(node: &hoist_yaml::Node, contexts: &Object) -> Result<Duration, String> {
    let scope = ExprScope {
        contexts,
        status: Status::default(),
        workspace: None,
    };
    let v = match node.as_number() {
        Some(n) => n,
        None => eval_value(node.as_str().unwrap_or_default(), &scope)?.to_number(),
    };
    if !(v.is_finite() && v > 0.0) {
        return Err(format!(
            "`timeout-minutes` must be a positive number, got `{}`",
            node.as_str().unwrap_or_default()
        ));
    }
    Ok(Duration::from_secs_f64(v * 60.0))
}

fn env_value(env: &IndexMap<String, String>) -> Value {
    let mut o = Object::new();
    for (k, v) in env {
        o.set(k.clone(), Value::from(v.as_str()));
    }
    Value::object(o)
}

pub(crate) fn runner_os() -> &'static str {
    match std::env::consts::OS {
        "macos" => "macOS",
        "windows" => "Windows",
        _ => "Linux",
    }
}

pub(crate) fn runner_arch() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "ARM64",
        "arm" => "ARM",
        "x86" => "X86",
        _ => "X64",
    }
}

/// A file-system-safe version of a job id.
pub(crate) fn slug(id: &str) -> String {
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

/// Everything a step produced.
pub(crate) struct StepResult {
    pub(crate) outcome: Conclusion,
    pub(crate) exit_code: Option<i32>,
    pub(crate) outputs: Vec<(String, String)>,
    pub(crate) summary: Option<String>,
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

/// The files a step writes to talk to the runner. Each job has one set, emptied before every
/// step: truncating keeps the files' inodes, which matters on file systems (ext4) where
/// creating thousands of files right after deleting thousands is slow.
struct CommandFiles {
    output: PathBuf,
    env: PathBuf,
    path: PathBuf,
    summary: PathBuf,
    state: PathBuf,
}

impl CommandFiles {
    fn prepare(temp: &Path) -> Result<Self, String> {
        let dir = temp.join("_runner_file_commands");
        let files = Self {
            output: dir.join("set_output"),
            env: dir.join("set_env"),
            path: dir.join("add_path"),
            summary: dir.join("step_summary"),
            state: dir.join("save_state"),
        };
        for f in [
            &files.output,
            &files.env,
            &files.path,
            &files.summary,
            &files.state,
        ] {
            // Only files a step wrote to need emptying; most steps write none.
            match std::fs::metadata(f) {
                Ok(m) if m.len() == 0 => {}
                _ => {
                    std::fs::File::create(f)
                        .map_err(|e| format!("cannot create `{}`: {e}", f.display()))?;
                }
            }
        }
        Ok(files)
    }
}

/// The text of a command file; an empty file is not opened.
fn read_command_file(path: &Path) -> String {
    match std::fs::metadata(path) {
        Ok(m) if m.len() > 0 => std::fs::read_to_string(path).unwrap_or_default(),
        _ => String::new(),
    }
}

/// Replaces `path`'s content in place. Truncating to zero and rewriting would make ext4 flush
/// the file on close (its `auto_da_alloc` safeguard); shrinking to the new length does not.
fn rewrite(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.set_len(text.len() as u64)
}

/// Where a step reports: as a step of the job, or inside the step of a composite action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Report {
    Top,
    /// A step of a composite action; its lines go to the job step `parent`.
    Nested {
        parent: usize,
    },
}

impl Report {
    pub(crate) fn log_index(self, own: usize) -> usize {
        match self {
            Report::Top => own,
            Report::Nested { parent } => parent,
        }
    }
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

/// Runs a process for a step (a `run:` script or a JavaScript action) with the job's
/// environment plus `extra_env`, then applies what it wrote to the command files.
pub(crate) async fn run_process<E: Executor>(
    shared: &Arc<Shared<E>>,
    key: &JobKey,
    log_index: Option<usize>,
    state: &mut JobState,
    command: ProcessCommand,
    cancel: &watch::Receiver<bool>,
) -> Result<StepResult, String> {
    let ProcessCommand {
        program,
        args,
        env: extra_env,
        cwd,
        timeout,
    } = command;
    let files = CommandFiles::prepare(&state.files_dir)?;
    // The default variables are the same for every step of a job: build them once.
    if state.default_env.is_empty() {
        state.default_env = default_env(shared, key, state, &files);
    }
    let mut env: Vec<(String, String)> = state.default_env.clone();
    env.extend(state.env.iter().map(|(k, v)| (k.clone(), v.clone())));
    env.extend(extra_env);
    if !state.paths.is_empty() {
        let mut path: Vec<String> = state.paths.iter().rev().cloned().collect();
        path.push(std::env::var("PATH").unwrap_or_default());
        env.push(("PATH".to_owned(), path.join(":")));
    }
    let spec = ProcessSpec {
        program,
        args,
        env,
        cwd,
        timeout,
        kill_grace: shared.req.kill_grace,
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let process = shared.executor.run(spec, tx, cancel.clone());
    let mut legacy_outputs = Vec::new();
    let drain = async {
        let mut gate = CommandGate::default();
        while let Some(message) = rx.recv().await {
            match message {
                ProcessMessage::Line(line) => handle_line(
                    shared,
                    key,
                    log_index,
                    &line,
                    &mut gate,
                    &mut legacy_outputs,
                ),
                ProcessMessage::Started { pgid, start_ticks } => {
                    if let (Some(index), Some(start_ticks)) = (log_index, start_ticks) {
                        shared.emit(RunEvent::StepProcess {
                            job: key.clone(),
                            index,
                            pgid,
                            start_ticks,
                        });
                    }
                }
            }
        }
    };
    let (end, ()) = tokio::join!(process, drain);

    let mut outputs = read_key_values(&files.output, "GITHUB_OUTPUT")?;
    outputs.extend(legacy_outputs);
    for (k, v) in read_key_values(&files.env, "GITHUB_ENV")? {
        state.env.insert(k, v);
    }
    state
        .paths
        .extend(parse_paths(&read_command_file(&files.path)));
    let summary = Some(read_command_file(&files.summary))
        .filter(|s| !s.trim().is_empty())
        .map(|s| shared.masker.mask(&s));
    let (outcome, exit_code) = match end {
        ProcessEnd::Exited(0) => (Conclusion::Success, Some(0)),
        ProcessEnd::Exited(code) => {
            shared.log(
                key,
                log_index,
                &format!("Error: Process completed with exit code {code}."),
            );
            (Conclusion::Failure, Some(code))
        }
        ProcessEnd::Signaled(sig) => {
            shared.log(
                key,
                log_index,
                &format!("Error: Process was killed by signal {sig}."),
            );
            (Conclusion::Failure, None)
        }
        ProcessEnd::TimedOut => {
            let minutes = timeout.map_or(0.0, |t| t.as_secs_f64() / 60.0);
            let message = format!(
                "The step has timed out after {} minute(s).",
                hoist_expr::number::to_js_string((minutes * 100.0).round() / 100.0)
            );
            shared.log(key, log_index, &format!("Error: {message}"));
            shared.annotate(key, log_index, AnnotationLevel::Error, &message);
            (Conclusion::Failure, None)
        }
        ProcessEnd::Cancelled => {
            shared.log(key, log_index, "Error: The operation was cancelled.");
            (Conclusion::Cancelled, None)
        }
        ProcessEnd::FailedToStart(message) => return Err(message),
    };
    Ok(StepResult {
        outcome,
        exit_code,
        outputs,
        summary,
    })
}

fn read_key_values(path: &Path, what: &str) -> Result<Vec<(String, String)>, String> {
    let text = read_command_file(path);
    parse_key_values(&text).map_err(|e| format!("unable to process file command `{what}`: {e}"))
}

/// Handles one output line: workflow commands, masking, and the log event.
fn handle_line<E: Executor>(
    shared: &Arc<Shared<E>>,
    key: &JobKey,
    index: Option<usize>,
    line: &str,
    gate: &mut CommandGate,
    legacy_outputs: &mut Vec<(String, String)>,
) {
    let Some(cmd) = gate.filter(line) else {
        shared.log(key, index, line);
        return;
    };
    match cmd.name.as_str() {
        "add-mask" => {
            shared.masker.add(&cmd.message);
            shared.log(
                key,
                index,
                &format!("::add-mask::{}", shared.masker.mask(&cmd.message)),
            );
        }
        "error" | "warning" | "notice" => {
            let level = match cmd.name.as_str() {
                "error" => AnnotationLevel::Error,
                "warning" => AnnotationLevel::Warning,
                _ => AnnotationLevel::Notice,
            };
            let annotation = Annotation {
                level,
                message: shared.masker.mask(&cmd.message),
                title: cmd.property("title").map(|t| shared.masker.mask(t)),
                file: cmd.property("file").map(str::to_owned),
                line: cmd.property("line").and_then(|l| l.parse().ok()),
                column: cmd.property("col").and_then(|c| c.parse().ok()),
            };
            shared.log(
                key,
                index,
                &format!(
                    "{}: {}",
                    level.as_str().to_ascii_uppercase(),
                    annotation.message
                ),
            );
            shared.emit(RunEvent::Annotation {
                job: key.clone(),
                step: index,
                annotation,
            });
        }
        "group" => shared.log(key, index, &format!("▼ {}", cmd.message)),
        "endgroup" => {}
        "debug" => {
            if shared.req.debug {
                shared.log(key, index, &format!("[debug] {}", cmd.message));
            }
        }
        "set-output" => {
            if let Some(name) = cmd.property("name") {
                legacy_outputs.push((name.to_owned(), cmd.message.clone()));
            }
        }
        "set-env" | "add-path" => {
            let message = format!(
                "the `{}` command is disabled; write to the `{}` file instead",
                cmd.name,
                if cmd.name == "set-env" {
                    "GITHUB_ENV"
                } else {
                    "GITHUB_PATH"
                }
            );
            shared.annotate(key, index, AnnotationLevel::Error, &message);
        }
        "echo" | "save-state" => {}
        _ => shared.log(key, index, line),
    }
}

/// The variables GitHub sets for every step.
fn default_env<E: Executor>(
    shared: &Arc<Shared<E>>,
    key: &JobKey,
    state: &JobState,
    files: &CommandFiles,
) -> Vec<(String, String)> {
    let req = &shared.req;
    let e = &req.event;
    let (ref_name, ref_type) = ref_parts(&e.git_ref);
    let owner = e
        .repository
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let workflow_name = state
        .contexts
        .get("github")
        .and_then(|g| g.get("workflow"))
        .map(Value::coerce_string)
        .unwrap_or_default();
    let p = |path: &Path| path.to_string_lossy().into_owned();
    let mut env = vec![
        ("CI", "true".to_owned()),
        ("HOIST", "true".to_owned()),
        ("GITHUB_ACTIONS", "true".to_owned()),
        ("GITHUB_WORKSPACE", p(&state.workspace)),
        ("GITHUB_SHA", e.sha.clone()),
        ("GITHUB_REF", e.git_ref.clone()),
        ("GITHUB_REF_NAME", ref_name),
        ("GITHUB_REF_TYPE", ref_type.to_owned()),
        ("GITHUB_BASE_REF", e.base_ref.clone()),
        ("GITHUB_HEAD_REF", e.head_ref.clone()),
        ("GITHUB_EVENT_NAME", e.name.clone()),
        ("GITHUB_EVENT_PATH", p(&shared.event_path)),
        ("GITHUB_RUN_ID", req.run_id.to_string()),
        ("GITHUB_RUN_NUMBER", req.run_number.to_string()),
        ("GITHUB_RUN_ATTEMPT", req.run_attempt.to_string()),
        ("GITHUB_JOB", key.job_id.clone()),
        ("GITHUB_REPOSITORY", e.repository.clone()),
        ("GITHUB_REPOSITORY_OWNER", owner),
        ("GITHUB_ACTOR", e.actor.clone()),
        ("GITHUB_TRIGGERING_ACTOR", e.actor.clone()),
        ("GITHUB_WORKFLOW", workflow_name),
        (
            "GITHUB_WORKFLOW_REF",
            format!("{}/{}@{}", e.repository, req.workflow.path, e.git_ref),
        ),
        ("GITHUB_SERVER_URL", "https://github.com".to_owned()),
        ("GITHUB_API_URL", "https://api.github.com".to_owned()),
        (
            "GITHUB_GRAPHQL_URL",
            "https://api.github.com/graphql".to_owned(),
        ),
        ("GITHUB_OUTPUT", p(&files.output)),
        ("GITHUB_ENV", p(&files.env)),
        ("GITHUB_PATH", p(&files.path)),
        ("GITHUB_STEP_SUMMARY", p(&files.summary)),
        ("GITHUB_STATE", p(&files.state)),
        ("RUNNER_OS", runner_os().to_owned()),
        ("RUNNER_ARCH", runner_arch().to_owned()),
        ("RUNNER_NAME", "hoist".to_owned()),
        ("RUNNER_ENVIRONMENT", "self-hosted".to_owned()),
        ("RUNNER_TEMP", p(&state.temp)),
        (
            "HOIST_TEST_RESULTS",
            p(&crate::test_reports::results_dir(&state.temp)),
        ),
        ("RUNNER_TOOL_CACHE", p(&req.cache_dir.join("tools"))),
    ];
    if req.debug {
        env.push(("RUNNER_DEBUG", "1".to_owned()));
    }
    env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// `refs/heads/main` → (`main`, `branch`); `refs/tags/v1` → (`v1`, `tag`).
pub(crate) fn ref_parts(git_ref: &str) -> (String, &'static str) {
    if let Some(b) = git_ref.strip_prefix("refs/heads/") {
        (b.to_owned(), "branch")
    } else if let Some(t) = git_ref.strip_prefix("refs/tags/") {
        (t.to_owned(), "tag")
    } else if let Some(p) = git_ref.strip_prefix("refs/pull/") {
        (p.to_owned(), "branch")
    } else {
        (git_ref.to_owned(), "branch")
    }
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
