//! Actions described by an `action.yml`: local ones (`uses: ./path`) and remote ones
//! (`owner/repo@ref`) from the action cache, fetched with git when missing. Composite actions
//! run their steps nested in the calling step; JavaScript actions run with the machine's
//! `node`, with `pre:` at job set-up and `post:` after the last step.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hoist_expr::{Object, Value, parse_condition};
use hoist_workflow::model::{ActionRef, Step};
use hoist_workflow::{Action, ActionRuns};
use indexmap::IndexMap;

use crate::contexts::{ExprScope, RUNTIME, Status, eval_node, eval_string, json_to_text};
use crate::events::{AnnotationLevel, Conclusion, JobKey, RunEvent};
use crate::executor::Executor;
use crate::job_state::{JobCx, JobState, Report, StepResult};
use crate::shared::Shared;
use crate::step::{action_label, run_step};
use crate::step_process::{ProcessCommand, run_process};

/// An action found on disk, with its parsed metadata.
pub(crate) struct ResolvedAction {
    pub(crate) label: String,
    pub(crate) dir: PathBuf,
    pub(crate) action: Action,
}

/// Work an action leaves for the end of the job: a JavaScript `post:` script, or saving a
/// cache entry for `actions/cache`.
pub(crate) struct PostScript {
    pub(crate) label: String,
    /// The `post-if` condition; `None` means `always()`.
    pub(crate) condition: Option<String>,
    pub(crate) kind: PostKind,
}

pub(crate) enum PostKind {
    Node {
        script: PathBuf,
        env: Vec<(String, String)>,
    },
    CacheSave(crate::builtin::CacheSave),
}

/// Finds the action a step uses and reads its `action.yml`.
pub(crate) async fn resolve<E: Executor>(
    shared: &Arc<Shared<E>>,
    workspace: &Path,
    r: &ActionRef,
) -> Result<ResolvedAction, String> {
    let label = action_label(r);
    let dir = match r {
        ActionRef::Local(path) => {
            let dir = workspace.join(path.trim_start_matches("./"));
            if !dir.is_dir() {
                return Err(format!(
                    "local action `{path}` not found in the workspace (`{}`); local actions need `actions/checkout` first",
                    dir.display()
                ));
            }
            dir
        }
        // The workflow's own repository, as the run's source has it (no checkout needed).
        ActionRef::SelfRepository(path) => {
            let dir = shared.req.source.ready().await?.root.join(path);
            if !dir.is_dir() {
                return Err(format!(
                    "action `$/{path}` not found in this repository (`{}`)",
                    dir.display()
                ));
            }
            dir
        }
        ActionRef::Docker(image) => {
            return Err(format!(
                "action `docker://{image}` needs a container runtime; Hoist runs steps on this machine and cannot run Docker actions yet"
            ));
        }
        ActionRef::Repository { path, .. } => {
            let Some(cache) = &shared.req.action_cache else {
                return Err(format!(
                    "action `{label}` is not built in and no action cache is configured (`action-cache` in hoist.toml)"
                ));
            };
            let Some(action) = crate::action_cache::RemoteAction::of(r) else {
                return Err(format!("action `{label}` names no repository"));
            };
            let checkout = cache.path_of(&action);
            if !checkout.is_dir() {
                shared.fetch_action(cache, &action).await.map_err(|e| {
                    format!(
                        "action `{label}` is not in the action cache (`{}`) and could not be fetched: {e}; {}",
                        checkout.display(),
                        crate::action_cache::HOW_TO_ADD
                    )
                })?;
            }
            match path {
                Some(p) => checkout.join(p),
                None => checkout,
            }
        }
    };
    let file = ["action.yml", "action.yaml"]
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file());
    let Some(file) = file else {
        return Err(format!(
            "action `{label}` has no `action.yml` in `{}`",
            dir.display()
        ));
    };
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
    let action = hoist_workflow::parse_action(&text).map_err(|ds| {
        let d = &ds[0];
        format!(
            "{}:{}:{}: {}",
            file.display(),
            d.span.start.line,
            d.span.start.column,
            d.message
        )
    })?;
    Ok(ResolvedAction { label, dir, action })
}

/// The values of an action's inputs: `with:` first, then defaults; warns about unknown and
/// missing required inputs as GitHub does.
fn input_values<E: Executor>(
    shared: &Arc<Shared<E>>,
    key: &JobKey,
    log_index: Option<usize>,
    resolved: &ResolvedAction,
    with: &IndexMap<String, String>,
    scope: &ExprScope<'_>,
) -> Result<IndexMap<String, String>, String> {
    let inputs = &resolved.action.inputs;
    let unknown: Vec<&String> = with
        .keys()
        .filter(|k| !inputs.keys().any(|i| i.eq_ignore_ascii_case(k)))
        .collect();
    if !unknown.is_empty() {
        let valid: Vec<&String> = inputs.keys().collect();
        let message = format!(
            "Unexpected input(s) {unknown:?} for `{}`, valid inputs are {valid:?}",
            resolved.label
        );
        shared.log(key, log_index, &format!("Warning: {message}"));
        shared.annotate(key, log_index, AnnotationLevel::Warning, &message);
    }
    let mut out = IndexMap::new();
    for (name, def) in inputs {
        let given = with
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone());
        let value = match (given, &def.default) {
            (Some(v), _) => v,
            (None, Some(d)) => eval_string(d, scope)?,
            (None, None) => {
                if def.required {
                    let message = format!("Input required and not supplied: {name}");
                    shared.log(key, log_index, &format!("Warning: {message}"));
                    shared.annotate(key, log_index, AnnotationLevel::Warning, &message);
                }
                String::new()
            }
        };
        out.insert(name.clone(), value);
    }
    Ok(out)
}

fn input_env(inputs: &IndexMap<String, String>) -> Vec<(String, String)> {
    inputs
        .iter()
        .map(|(k, v)| {
            (
                format!("INPUT_{}", k.replace(' ', "_").to_uppercase()),
                v.clone(),
            )
        })
        .collect()
}

fn node() -> Result<String, String> {
    let found = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("node").is_file()));
    if found {
        Ok("node".to_owned())
    } else {
        Err("JavaScript actions need `node` on PATH; install Node.js".to_owned())
    }
}

fn evaluates_true<E: Executor>(
    condition: Option<&str>,
    state: &JobState,
    cancelled: bool,
) -> Result<bool, String> {
    let _ = std::marker::PhantomData::<E>;
    let status = Status {
        success: !state.failed,
        failure: state.failed,
        cancelled,
    };
    let scope = ExprScope {
        contexts: &state.contexts,
        status,
        workspace: Some(&state.workspace),
    };
    match condition {
        None => Ok(true),
        Some(c) => parse_condition(c, &RUNTIME)
            .and_then(|x| x.evaluate(&scope))
            .map_err(|e| format!("error in `{c}`: {}", e.message)),
    }
}

/// "Set up job": resolves every action the job's steps use and runs `pre:` scripts.
pub(crate) async fn set_up<E: Executor>(
    cx: JobCx<'_, E>,
    state: &mut JobState,
) -> Result<(), String> {
    let JobCx {
        shared,
        job,
        key,
        cancel,
        ..
    } = cx;
    for step in &job.steps {
        let Some(uses) = &step.uses else { continue };
        if crate::builtin::handles(&uses.value) {
            continue;
        }
        // Local actions appear only once `actions/checkout` has run; they are found then.
        if matches!(uses.value, ActionRef::Local(_)) {
            continue;
        }
        let resolved = resolve(shared, &state.workspace, &uses.value).await?;
        if let ActionRuns::Node {
            pre: Some(pre),
            pre_if,
            ..
        } = &resolved.action.runs
        {
            if !evaluates_true::<E>(pre_if.as_deref(), state, *cancel.borrow())? {
                continue;
            }
            let with = evaluate_with(step, state)?;
            let scope = ExprScope {
                contexts: &state.contexts,
                status: Status::default(),
                workspace: Some(&state.workspace),
            };
            let inputs = input_values(shared, key, None, &resolved, &with, &scope)?;
            let mut env = input_env(&inputs);
            env.push((
                "GITHUB_ACTION_PATH".into(),
                resolved.dir.to_string_lossy().into_owned(),
            ));
            shared.log(key, None, &format!("Pre {}", resolved.label));
            let script = resolved.dir.join(pre).to_string_lossy().into_owned();
            let workspace = state.workspace.clone();
            let r = run_process(
                shared,
                key,
                None,
                state,
                ProcessCommand {
                    program: node()?,
                    args: vec![script],
                    env,
                    cwd: workspace,
                    timeout: None,
                },
                cancel,
            )
            .await?;
            if r.outcome != Conclusion::Success {
                return Err(format!("the `pre` script of `{}` failed", resolved.label));
            }
        }
    }
    Ok(())
}

fn evaluate_with(step: &Step, state: &JobState) -> Result<IndexMap<String, String>, String> {
    let scope = ExprScope {
        contexts: &state.contexts,
        status: Status::default(),
        workspace: Some(&state.workspace),
    };
    let mut with = IndexMap::new();
    for (k, (_, node)) in &step.with {
        with.insert(k.clone(), json_to_text(&eval_node(node, &scope)?));
    }
    Ok(with)
}

/// Runs the `post:` scripts registered during the job, last first, as steps after the last.
pub(crate) async fn run_post<E: Executor>(cx: JobCx<'_, E>, state: &mut JobState) {
    let JobCx {
        shared,
        job,
        key,
        cancel,
        ..
    } = cx;
    let posts: Vec<PostScript> = std::mem::take(&mut state.post);
    for (k, post) in posts.into_iter().rev().enumerate() {
        let index = job.steps.len() + k;
        let name = format!("Post {}", post.label);
        // GitHub's default `post-if` is `always()`.
        let condition = post
            .condition
            .clone()
            .unwrap_or_else(|| "always()".to_owned());
        let run_it =
            evaluates_true::<E>(Some(&condition), state, *cancel.borrow()).unwrap_or(false);
        if !run_it {
            continue;
        }
        let started = Instant::now();
        shared.emit(RunEvent::StepStarted {
            job: key.clone(),
            index,
            name: name.clone(),
            at: std::time::SystemTime::now(),
        });
        let workspace = state.workspace.clone();
        let result = match (&post.kind, node()) {
            (PostKind::Node { script, env }, Ok(node)) => {
                let command = ProcessCommand {
                    program: node,
                    args: vec![script.to_string_lossy().into_owned()],
                    env: env.clone(),
                    cwd: workspace,
                    timeout: None,
                };
                run_process(shared, key, Some(index), state, command, cancel).await
            }
            (PostKind::Node { .. }, Err(e)) => Err(e),
            (PostKind::CacheSave(save), _) => crate::builtin::save_cache(shared, key, index, save)
                .await
                .map(|()| StepResult {
                    outcome: Conclusion::Success,
                    exit_code: None,
                    outputs: Vec::new(),
                    summary: None,
                }),
        };
        let (outcome, exit_code) = match result {
            Ok(r) => (r.outcome, r.exit_code),
            Err(message) => {
                shared.log(key, Some(index), &format!("Error: {message}"));
                (Conclusion::Failure, None)
            }
        };
        if outcome == Conclusion::Failure {
            state.failed = true;
        }
        shared.emit(RunEvent::StepFinished {
            job: key.clone(),
            index,
            name,
            outcome,
            conclusion: outcome,
            exit_code,
            duration: started.elapsed(),
            outputs: Vec::new(),
            summary: None,
        });
    }
}

/// What the calling step passes to an action.
pub(crate) struct ActionCall<'a> {
    pub(crate) with: &'a IndexMap<String, String>,
    pub(crate) step_env: &'a IndexMap<String, String>,
    pub(crate) timeout: Option<Duration>,
}

/// Runs an `action.yml` action for a step.
pub(crate) async fn run_action<E: Executor>(
    cx: JobCx<'_, E>,
    step: &Step,
    state: &mut JobState,
    report: Report,
    resolved: &ResolvedAction,
    call: ActionCall<'_>,
) -> Result<StepResult, String> {
    let JobCx {
        shared,
        key,
        cancel,
        ..
    } = cx;
    let ActionCall {
        with,
        step_env,
        timeout,
    } = call;
    let log_index = report.log_index(step.index);
    let inputs = {
        let scope = ExprScope {
            contexts: &state.contexts,
            status: Status::default(),
            workspace: Some(&state.workspace),
        };
        input_values(shared, key, Some(log_index), resolved, with, &scope)?
    };
    let action_path = resolved.dir.to_string_lossy().into_owned();
    match &resolved.action.runs {
        ActionRuns::Docker { .. } => Err(format!(
            "action `{}` runs in Docker; Hoist runs steps on this machine and cannot run Docker actions yet",
            resolved.label
        )),
        ActionRuns::Node {
            main,
            post,
            post_if,
            ..
        } => {
            let node = node()?;
            let mut env: Vec<(String, String)> = step_env
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            env.extend(input_env(&inputs));
            env.push(("GITHUB_ACTION_PATH".into(), action_path));
            if let Some(post) = post {
                state.post.push(PostScript {
                    label: resolved.label.clone(),
                    condition: post_if.clone(),
                    kind: PostKind::Node {
                        script: resolved.dir.join(post),
                        env: env.clone(),
                    },
                });
            }
            let script = resolved.dir.join(main).to_string_lossy().into_owned();
            let workspace = state.workspace.clone();
            run_process(
                shared,
                key,
                Some(log_index),
                state,
                ProcessCommand {
                    program: node,
                    args: vec![script],
                    env,
                    cwd: workspace,
                    timeout,
                },
                cancel,
            )
            .await
        }
        ActionRuns::Composite { steps } => {
            let mut contexts = state.contexts.clone();
            let mut inputs_obj = Object::new();
            for (k, v) in &inputs {
                inputs_obj.set(k.clone(), Value::from(v.as_str()));
            }
            contexts.set("inputs", Value::object(inputs_obj));
            if let Some(Value::Object(g)) = contexts.get("github").cloned() {
                let mut g = (*g).clone();
                g.set("action_path", Value::from(action_path.as_str()));
                contexts.set("github", Value::object(g));
            }
            let mut env = state.env.clone();
            env.extend(step_env.iter().map(|(k, v)| (k.clone(), v.clone())));
            env.insert("GITHUB_ACTION_PATH".into(), action_path.clone());
            let before = env.clone();
            let mut child = JobState {
                env,
                paths: state.paths.clone(),
                steps: Object::new(),
                failed: false,
                contexts,
                workspace: state.workspace.clone(),
                temp: state.temp.clone(),
                files_dir: state.files_dir.clone(),
                deadline: timeout
                    .map_or(state.deadline, |t| Instant::now() + t)
                    .min(state.deadline),
                post: Vec::new(),
                default_env: state.default_env.clone(),
                // Reports are read once the whole composite step is done.
                test_results_seen: None,
                last_conclusion: None,
            };
            let parent = log_index;
            for s in steps {
                run_step(cx, s, &mut child, Report::Nested { parent }).await;
            }
            // What the composite's steps exported with GITHUB_ENV and GITHUB_PATH stays.
            for (k, v) in &child.env {
                if before.get(k) != Some(v) {
                    state.env.insert(k.clone(), v.clone());
                }
            }
            state.paths = child.paths.clone();
            state.post.extend(std::mem::take(&mut child.post));
            let mut outputs = Vec::new();
            child
                .contexts
                .set("steps", Value::object(child.steps.clone()));
            let scope = ExprScope {
                contexts: &child.contexts,
                status: Status::default(),
                workspace: Some(&child.workspace),
            };
            for (name, out) in &resolved.action.outputs {
                if let Some(value) = &out.value {
                    outputs.push((name.clone(), eval_string(value, &scope)?));
                }
            }
            let cancelled = *cancel.borrow();
            let outcome = if cancelled {
                Conclusion::Cancelled
            } else if child.failed {
                Conclusion::Failure
            } else {
                Conclusion::Success
            };
            Ok(StepResult {
                outcome,
                exit_code: None,
                outputs,
                summary: None,
            })
        }
    }
}
