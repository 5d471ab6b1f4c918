//! Dispatching a run: the workflow read from the repository at the run's commit, its inputs
//! checked as GitHub checks them, the run recorded, and the engine's planner started with
//! every job going to the queue.
//!
//! Guarantees: a dispatch either creates its run (and starts planning it) or creates nothing
//! and says why; the workflow always comes from the commit, never from a working tree.

use std::path::PathBuf;
use std::sync::{Arc, MutexGuard};

use axum::http::StatusCode;
use hoist_engine::{
    Checkout, ContainerMode, EventInfo, HostExecutor, Observer, RunRequest, Source, WorkflowFile,
};
use hoist_git::Repository;
use hoist_store::{NewRun, Store};
use indexmap::IndexMap;
use serde_json::json;
use tokio::sync::watch;

use crate::api_error::ApiError;
use crate::config::RepoConfig;
use crate::errors::ServerError;
use crate::queue_placement::QueuePlacement;
use crate::state::{AppState, SharedState};
use crate::wire::{DispatchRequest, DispatchResponse};

/// Starts a `workflow_dispatch` run of `file` in `repo`.
pub(crate) fn dispatch(
    state: &SharedState,
    repo_name: &str,
    file: &str,
    body: DispatchRequest,
    actor: &str,
) -> Result<DispatchResponse, ApiError> {
    let repo = &state.repo_named(repo_name)?;
    state.refresh(repo).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            format!(
                "{e}: {}",
                std::error::Error::source(&e).map_or(String::new(), ToString::to_string)
            ),
        )
    })?;
    let git = state.repository(repo).ok_or_else(|| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("`{}` is no longer a git repository", repo.path.display()),
        )
    })?;
    let (git_ref, branch) = ref_to_run(repo, &git, body.git_ref.as_deref());
    let body_ref = git_ref.clone();
    let sha = git
        .resolve(&git_ref)
        .map_err(|e| ApiError::unprocessable(format!("cannot resolve `{git_ref}`: {e}")))?;
    let path = if file.contains('/') {
        file.to_owned()
    } else {
        format!(".github/workflows/{file}")
    };
    let text = read_at(state, &git, &sha, &in_repo(repo, &git, &path))?.ok_or_else(|| {
        ApiError::not_found(format!(
            "no workflow `{path}` at `{git_ref}` ({})",
            short(&sha)
        ))
    })?;
    let parsed = hoist_workflow::parse_workflow(&text);
    let mut planned = Planned {
        repo: repo.clone(),
        path,
        text,
        sha,
        branch,
        inputs: serde_json::Map::new(),
        actor: actor.to_owned(),
        event: "workflow_dispatch".to_owned(),
        before: None,
        attempt: 1,
        reuse: serde_json::Map::new(),
        git_ref: None,
        payload: None,
        head_sha: None,
    };
    let path = planned.path.clone();
    if parsed.has_errors() {
        // As GitHub's "workflow file issue": the run exists, failed, with the errors on it.
        let run_id = failed_run(state, &planned, &parsed.diagnostics)?;
        return Ok(answer(state, run_id));
    }
    let Some(trigger) = parsed.workflow.on.events.get("workflow_dispatch") else {
        return Err(ApiError::unprocessable(format!(
            "`{path}` has no `workflow_dispatch` trigger, so it cannot be dispatched"
        )));
    };
    let given: IndexMap<String, String> = body
        .inputs
        .iter()
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), text)
        })
        .collect();
    planned.inputs = hoist_workflow::trigger::resolve_inputs(trigger, &given)
        .map_err(|errors| ApiError::unprocessable(errors.join("; ")))?;
    let name = parsed
        .workflow
        .name
        .as_ref()
        .map_or_else(|| path.clone(), |n| n.value.clone());
    let run = planned.new_run(state, name);
    // Who, when (the entry's time), which repository, workflow, ref and inputs: the audit
    // entry is written with the run, in one transaction.
    let detail = json!({
        "workflow": planned.path,
        "ref": body_ref,
        "sha": planned.sha,
        "inputs": planned.inputs,
        "notes": planned.inputs.get("notes"),
    });
    start_requested(state, &run, (actor, "dispatch", &detail), planned, &git)
}

/// Records `run` with its audit entry (actor, action, detail) in one transaction and starts
/// planning it, on the connection of requests that wait for the answer: a dispatch or a
/// rerun. Returns the answer they give.
pub(crate) fn start_requested(
    state: &SharedState,
    run: &NewRun,
    audit: (&str, &str, &serde_json::Value),
    planned: Planned,
    git: &Repository,
) -> Result<DispatchResponse, ApiError> {
    let run_id = record_and_start(state, AppState::answering, run, audit, planned, git)?;
    Ok(answer(state, run_id))
}

/// Records `run` with its audit entry in one transaction on connection `store`, then starts
/// planning it: the one way every trigger (a dispatch, a rerun, an event) starts a run.
/// Returns the run's id.
pub(crate) fn record_and_start(
    state: &SharedState,
    store: fn(&AppState) -> MutexGuard<'_, Store>,
    run: &NewRun,
    audit: (&str, &str, &serde_json::Value),
    planned: Planned,
    git: &Repository,
) -> Result<i64, ApiError> {
    let (run_id, run_number) = store(state).create_run_audited(run, Some(audit))?;
    start_planning(state, store, run_id, run_number, planned, git, true)?;
    Ok(run_id)
}

/// GitHub's answer to a dispatch with `return_run_details`.
pub(crate) fn answer(state: &SharedState, run_id: i64) -> DispatchResponse {
    let base = state.base_url();
    DispatchResponse {
        workflow_run_id: run_id,
        run_url: format!("{base}/api/v1/runs/{run_id}"),
        html_url: format!("{base}/runs/{run_id}"),
    }
}

/// Records a run of `planned` that failed before any job, as GitHub's "workflow file issue":
/// its workflow file does not check at the commit. Returns the run's id.
pub(crate) fn failed_run(
    state: &SharedState,
    planned: &Planned,
    diagnostics: &[hoist_diagnostics::Diagnostic],
) -> Result<i64, ApiError> {
    use hoist_engine::{Annotation, AnnotationLevel, JobKey};
    let path = planned.path.as_str();
    let mut run = planned.new_run(state, path.to_owned());
    run.planner = None;
    run.request = json!({"event": planned.event, "workflow": path, "sha": planned.sha});
    let detail =
        json!({"workflow": path, "ref": planned.git_ref(), "sha": planned.sha, "invalid": true});
    let action = if planned.event == "workflow_dispatch" {
        "dispatch"
    } else {
        planned.event.as_str()
    };
    let (run_id, _) = state
        .store()
        .create_run_audited(&run, Some((planned.actor.as_str(), action, &detail)))?;
    let problems: Vec<(String, Annotation)> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let line = format!(
                "{path}:{}:{}: {} [{}]",
                d.span.start.line, d.span.start.column, d.message, d.code
            );
            let annotation = Annotation {
                level: AnnotationLevel::Error,
                message: d.message.clone(),
                title: Some(d.code.to_string()),
                file: Some(path.to_owned()),
                line: Some(d.span.start.line),
                column: Some(d.span.start.column),
            };
            (line, annotation)
        })
        .collect();
    let job = JobKey {
        id: "workflow file issue".to_owned(),
        job_id: "workflow-file".to_owned(),
        path: "workflow-file".to_owned(),
        name: "workflow file issue".to_owned(),
        matrix: serde_json::Value::Null,
    };
    fail_run(state, run_id, job, &problems)?;
    Ok(run_id)
}

/// Ends run `run_id` as failed without planning it: one job, `job`, that failed with the
/// lines (each with its annotation) that say why.
fn fail_run(
    state: &SharedState,
    run_id: i64,
    job: hoist_engine::JobKey,
    problems: &[(String, hoist_engine::Annotation)],
) -> Result<(), hoist_store::StoreError> {
    use hoist_engine::{Conclusion, RunEvent};
    let recorder = state.store().recorder(run_id)?;
    recorder.on_event(&RunEvent::JobQueued { job: job.clone() });
    for (line, annotation) in problems {
        recorder.on_event(&RunEvent::Log {
            job: job.clone(),
            step: None,
            line: line.clone(),
        });
        recorder.on_event(&RunEvent::Annotation {
            job: job.clone(),
            step: None,
            annotation: annotation.clone(),
        });
    }
    recorder.on_event(&RunEvent::JobFinished {
        job,
        result: Conclusion::Failure,
        duration: std::time::Duration::ZERO,
        outputs: Vec::new(),
    });
    recorder.on_event(&RunEvent::RunFinished {
        conclusion: Conclusion::Failure,
        duration: std::time::Duration::ZERO,
    });
    recorder.finish()
}

/// Ends run `run_id`, which could not be planned, as failed: one job, `planning`, whose log
/// and annotation say why.
fn fail_planning(
    state: &SharedState,
    run_id: i64,
    message: &str,
) -> Result<(), hoist_store::StoreError> {
    let job = hoist_engine::JobKey {
        id: "planning".to_owned(),
        job_id: "planning".to_owned(),
        path: "planning".to_owned(),
        name: "planning".to_owned(),
        matrix: serde_json::Value::Null,
    };
    let annotation = hoist_engine::Annotation {
        level: hoist_engine::AnnotationLevel::Error,
        message: message.to_owned(),
        title: Some("planning".to_owned()),
        file: None,
        line: None,
        column: None,
    };
    fail_run(
        state,
        run_id,
        job,
        &[(format!("Error: {message}"), annotation)],
    )
}

/// What the planner needs of a dispatched run; stored with the run, so that a restarted
/// server can plan it again.
pub(crate) struct Planned {
    pub(crate) repo: RepoConfig,
    pub(crate) path: String,
    pub(crate) text: String,
    pub(crate) sha: String,
    pub(crate) branch: String,
    pub(crate) inputs: serde_json::Map<String, serde_json::Value>,
    pub(crate) actor: String,
    /// `workflow_dispatch` or `push`.
    pub(crate) event: String,
    /// For a push: the branch's commit before it.
    pub(crate) before: Option<String>,
    /// 1, or the attempt of a rerun.
    pub(crate) attempt: u32,
    /// For a rerun of failed jobs: the jobs that succeeded before (by job id), with their
    /// outputs, which are not run again.
    pub(crate) reuse: serde_json::Map<String, serde_json::Value>,
    /// `GITHUB_REF` when it is not the branch's (`refs/pull/3/merge`, `refs/tags/v1`).
    pub(crate) git_ref: Option<String>,
    /// The event's payload as GitHub builds it; `None`: built from the fields above (a push
    /// or a dispatch).
    pub(crate) payload: Option<serde_json::Value>,
    /// The commit the run's statuses belong to, when not `sha` (a pull request's head).
    pub(crate) head_sha: Option<String>,
}

impl Planned {
    /// The run's row, before it starts.
    pub(crate) fn new_run(&self, state: &SharedState, workflow_name: String) -> NewRun {
        NewRun {
            workflow_name,
            workflow_path: self.path.clone(),
            event: self.event.clone(),
            git_ref: self.git_ref(),
            branch: self.branch.clone(),
            sha: self.sha.clone(),
            actor: self.actor.clone(),
            repo: self.repo.name.clone(),
            runner: state.config.name.clone(),
            project_root: self.repo.path.display().to_string(),
            attempt: self.attempt,
            number: None,
            request: self.to_json(),
            planner: Some((state.planner.clone(), state.config.lease)),
            head_sha: self.head_sha.clone(),
        }
    }

    /// `GITHUB_REF`.
    pub(crate) fn git_ref(&self) -> String {
        self.git_ref
            .clone()
            .unwrap_or_else(|| format!("refs/heads/{}", self.branch))
    }

    /// What is stored with the run, for `resume`.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        json!({
            "server": true,
            "event": self.event,
            "before": self.before,
            "repo": self.repo.name,
            "workflow": self.path,
            "sha": self.sha,
            "branch": self.branch,
            "inputs": self.inputs,
            "actor": self.actor,
            "attempt": self.attempt,
            "reuse": self.reuse,
            "git_ref": self.git_ref,
            "payload": self.payload,
            "head_sha": self.head_sha,
        })
    }
}

/// Plans the runs `runs`, which this server has just taken (its own from before a restart,
/// or those of a server that stopped renewing them): the planner finds the jobs queued
/// before (queueing is idempotent), waits for those still running, and goes on. A run that
/// cannot be planned here (its repository or workflow is gone) ends as failed, with the
/// reason as its one failed job's log, rather than being held forever. Returns how many it resumed.
pub(crate) fn resume(state: &SharedState, runs: &[i64]) -> Result<usize, ServerError> {
    let mut resumed = 0;
    for &id in runs {
        if state.recorders.lock().is_ok_and(|r| r.contains_key(&id)) {
            continue;
        }
        let run = state.store().run(id)?;
        match planned_again(state, &run) {
            Ok((planned, git)) => {
                state.store().adopt_run(run.id)?;
                if start_planning(
                    state,
                    AppState::store,
                    run.id,
                    run.number,
                    planned,
                    &git,
                    false,
                )
                .is_ok()
                {
                    resumed += 1;
                }
            }
            Err(reason) => {
                let message = format!("this run cannot be planned again: {reason}");
                fail_planning(state, run.id, &message)?;
            }
        }
    }
    Ok(resumed)
}

/// What run `run`'s planner was started with, from its stored request.
pub(crate) fn planned_again(
    state: &SharedState,
    run: &hoist_store::RunRow,
) -> Result<(Planned, Repository), String> {
    let r = &run.request;
    if r["server"] != true {
        return Err("it was not started by a server".to_owned());
    }
    let field = |name: &str| r[name].as_str().unwrap_or_default().to_owned();
    let repo = state
        .repo(&field("repo"))
        .ok_or_else(|| format!("this server has no repository `{}`", field("repo")))?;
    let repo = &repo;
    let git = state
        .repository(repo)
        .ok_or_else(|| format!("`{}` is not a git repository", repo.path.display()))?;
    let (path, sha) = (field("workflow"), field("sha"));
    let text = read_at(state, &git, &sha, &in_repo(repo, &git, &path))
        .ok()
        .flatten()
        .ok_or_else(|| format!("`{path}` cannot be read at `{sha}`"))?;
    let planned = Planned {
        repo: repo.clone(),
        path,
        text,
        sha,
        branch: field("branch"),
        inputs: r["inputs"].as_object().cloned().unwrap_or_default(),
        actor: field("actor"),
        event: r["event"]
            .as_str()
            .unwrap_or("workflow_dispatch")
            .to_owned(),
        before: r["before"].as_str().map(str::to_owned),
        attempt: r["attempt"].as_u64().map_or(1, |a| a as u32),
        reuse: r["reuse"].as_object().cloned().unwrap_or_default(),
        git_ref: r["git_ref"].as_str().map(str::to_owned),
        payload: Some(r["payload"].clone()).filter(|p| !p.is_null()),
        head_sha: r["head_sha"].as_str().map(str::to_owned),
    };
    Ok((planned, git))
}

/// Starts the engine's planner for run `run_id`, every job going to the queue. `fresh`: the
/// run was just requested (not resumed after a restart), so its `workflow_run` `requested`
/// runs start too; its `completed` ones start when it ends.
/// `store`: the connection to start it on, [`AppState::answering`] when a request waits for
/// the answer, else the planners' [`AppState::store`].
fn start_planning(
    state: &SharedState,
    store: fn(&AppState) -> MutexGuard<'_, Store>,
    run_id: i64,
    run_number: i64,
    planned: Planned,
    git: &Repository,
    fresh: bool,
) -> Result<(), ApiError> {
    let git_ref = planned.git_ref();
    let Planned {
        repo,
        path,
        text,
        sha,
        branch,
        inputs,
        actor,
        event,
        before,
        attempt,
        reuse,
        git_ref: _,
        payload,
        head_sha: _,
    } = planned;
    let recorder = Arc::new(store(state).recorder(run_id)?);
    state
        .recorders
        .lock()
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "poisoned lock"))?
        .insert(run_id, recorder.clone());

    let work = state
        .config
        .data_dir
        .join("planner")
        .join(run_id.to_string());
    let repository = json!({"full_name": repo.name, "name": repo.name});
    let payload = if let Some(payload) = payload {
        payload
    } else if event == "push" {
        json!({
            "ref": format!("refs/heads/{branch}"),
            "before": before.clone().unwrap_or_else(|| "0".repeat(40)),
            "after": sha,
            "repository": repository,
            "pusher": {"name": actor},
            "sender": {"login": actor},
        })
    } else {
        json!({
            "inputs": inputs,
            "ref": format!("refs/heads/{branch}"),
            "repository": repository,
            "sender": {"login": actor},
            "workflow": path,
        })
    };
    let secrets = state.vault.run_secrets(&store(state), &repo.name);
    let (secrets, mut environments) = secrets.map_err(ApiError::internal)?;
    // Each environment's variables, which a job sees once its rules let it run.
    let environment_rows = store(state).environments(Some(&repo.name))?;
    for env in environment_rows {
        if !env.settings.vars.is_empty() {
            environments.entry(env.name).or_default().vars =
                env.settings.vars.into_iter().collect();
        }
    }
    let mut request = RunRequest {
        workflow: WorkflowFile {
            path: path.clone(),
            text,
        },
        project_root: PathBuf::new(),
        source: Source::default(),
        event: EventInfo {
            name: event.clone(),
            // A pull request's branches are `github.head_ref` and `github.base_ref`.
            head_ref: payload["pull_request"]["head"]["ref"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            base_ref: payload["pull_request"]["base"]["ref"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            payload,
            sha: sha.clone(),
            git_ref,
            actor: actor.clone(),
            repository: repo.forge_name.clone().unwrap_or_else(|| repo.name.clone()),
        },
        inputs,
        secrets,
        vars: IndexMap::new(),
        environments,
        run_id: run_id as u64,
        run_number: run_number as u64,
        run_attempt: attempt,
        work_dir: work.clone(),
        job_filter: None,
        matrix_filter: Vec::new(),
        reuse: reuse
            .into_iter()
            .map(|(job, outputs)| {
                let outputs = outputs
                    .as_object()
                    .map(|o| {
                        o.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                            .collect()
                    })
                    .unwrap_or_default();
                (job, (hoist_engine::Conclusion::Success, outputs))
            })
            .collect(),
        parallelism: 64,
        kill_grace: std::time::Duration::from_secs(5),
        action_cache: None,
        cache_dir: state.config.data_dir.join("cache"),
        artifact_dir: state
            .config
            .data_dir
            .join("artifacts")
            .join(run_id.to_string()),
        debug: false,
        runner_labels: Vec::new(),
        mapped_labels: Vec::new(),
        container_mode: ContainerMode::Skip,
        junit: Vec::new(),
        tool_paths: Vec::new(),
    };
    // Reusable workflows of the run are read from its commit, as the run's own workflow was:
    // its workflows directory is all the planner needs of the tree, exported once per commit.
    let source = workflows_at(state, &repo, git, &sha)?;
    request.project_root = source;
    let placement = QueuePlacement {
        state: state.clone(),
        repo: repo.name.clone(),
        run_id,
        checkout: Checkout {
            repository: repo
                .url
                .clone()
                .unwrap_or_else(|| git.root.display().to_string()),
            subdir: subdir(&repo, git),
            sha,
        },
    };
    let planning = state.clone();
    let (cancel_tx, cancel) = watch::channel(false);
    if let Ok(mut cancels) = state.cancels.lock() {
        cancels.insert(run_id, cancel_tx);
    }
    tokio::spawn(async move {
        if fresh {
            let requested = planning.clone();
            let _ = tokio::task::spawn_blocking(move || {
                crate::workflow_runs::run_changed(&requested, run_id, "requested");
            })
            .await;
        }
        let observer: Arc<dyn Observer> = recorder.clone();
        let result = hoist_engine::run_with_placement(
            request,
            HostExecutor,
            observer,
            cancel,
            Some(Arc::new(placement)),
        )
        .await;
        if result.is_err() {
            recorder.on_event(&hoist_engine::RunEvent::RunFinished {
                conclusion: hoist_engine::Conclusion::Failure,
                duration: std::time::Duration::ZERO,
            });
        }
        let _ = recorder.finish();
        // The run's concurrency group, if it joined one, is free for the next member.
        let _ = planning.store().leave_group(run_id, "");
        if let Ok(mut recorders) = planning.recorders.lock() {
            recorders.remove(&run_id);
        }
        if let Ok(mut cancels) = planning.cancels.lock() {
            cancels.remove(&run_id);
        }
        let _ = tokio::task::spawn_blocking(move || {
            crate::workflow_runs::run_changed(&planning, run_id, "completed");
        })
        .await;
    });
    Ok(())
}

/// The ref to run and its branch name: the one asked for, else the configured default
/// branch, else the repository's current branch.
fn ref_to_run(repo: &RepoConfig, git: &Repository, asked: Option<&str>) -> (String, String) {
    let branch = asked
        .map(|r| r.strip_prefix("refs/heads/").unwrap_or(r).to_owned())
        .or_else(|| repo.default_branch.clone())
        .or_else(|| git.current_branch())
        .unwrap_or_else(|| "main".to_owned());
    (asked.unwrap_or(&branch).to_owned(), branch)
}

/// A directory holding `.github/workflows` of the project at `sha`: exported once per commit
/// (into a temporary name, then renamed, so a half-written export is never used).
fn workflows_at(
    state: &SharedState,
    repo: &RepoConfig,
    git: &Repository,
    sha: &str,
) -> Result<PathBuf, ApiError> {
    let trees = state.config.data_dir.join("planner").join("trees");
    let tree = trees.join(format!("{}-{sha}", repo.name));
    if tree.is_dir() {
        return Ok(tree);
    }
    // A name of its own: dispatches of one commit may export at the same moment.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let staged = trees.join(format!(".{}-{sha}-{}-{n}", repo.name, std::process::id()));
    let workflows = staged.join(".github/workflows");
    let _ = std::fs::remove_dir_all(&staged);
    let dir = match subdir(repo, git) {
        s if s.is_empty() => ".github/workflows".to_owned(),
        s => format!("{s}/.github/workflows"),
    };
    std::fs::create_dir_all(&workflows)
        .and_then(|()| {
            git.export(sha, std::path::Path::new(&dir), &workflows)
                .map_err(|e| std::io::Error::other(e.to_string()))
        })
        .and_then(|()| match std::fs::rename(&staged, &tree) {
            // Another dispatch of the same commit got there first: its export is as good.
            Err(_) if tree.is_dir() => {
                let _ = std::fs::remove_dir_all(&staged);
                Ok(())
            }
            other => other,
        })
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot export `{}` for planning: {e}", short(sha)),
            )
        })?;
    Ok(tree)
}

/// The project's directory relative to its repository's root (`""` at the root): a project
/// may live in a subdirectory, as the bundled example does.
pub(crate) fn subdir(repo: &RepoConfig, git: &Repository) -> String {
    let root = git.root.canonicalize().unwrap_or_else(|_| git.root.clone());
    let path = repo
        .path
        .canonicalize()
        .unwrap_or_else(|_| repo.path.clone());
    path.strip_prefix(&root)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A project-relative path as a path in the repository.
pub(crate) fn in_repo(repo: &RepoConfig, git: &Repository, path: &str) -> String {
    match subdir(repo, git) {
        s if s.is_empty() => path.to_owned(),
        s => format!("{s}/{path}"),
    }
}

/// The text of `path` at `sha`, read once per commit (see [`crate::commit_files`]).
fn read_at(
    state: &SharedState,
    git: &Repository,
    sha: &str,
    path: &str,
) -> Result<Option<String>, ApiError> {
    state
        .commit_files
        .text_at(git, sha, path)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("git: {e}")))
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}
