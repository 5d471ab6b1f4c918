//! The runs an event starts: every workflow of the repository at the event's commit whose
//! triggers select the event (its type, its branch or tag filters, its path filters on the
//! files that really changed, computed here with git), each recorded and handed to the
//! planner. Pushes, pull requests, schedules, `workflow_run` and `repository_dispatch` all
//! come through here, whichever way they entered (webhook, hosted push, poll, API, clock).
//!
//! Guarantees: a workflow file that does not check at the commit gives a failed run
//! carrying its errors (for pushes and pull requests, as GitHub's "workflow file issue"),
//! never a silent skip; the changed files are never taken from a payload.

use hoist_git::Repository;
use hoist_workflow::trigger::{Decision, Event, decide};
use serde_json::json;

use crate::config::RepoConfig;
use crate::planner::{Planned, failed_run, in_repo, record_and_start, subdir};
use crate::state::SharedState;

/// The id git gives the empty tree, in every repository.
const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// An event, as the server has worked it out.
#[derive(Clone, Debug, Default)]
pub(crate) struct ServerEvent {
    /// `push`, `pull_request`, `schedule`, ...
    pub(crate) name: String,
    /// The activity type (`opened`, `completed`, ...).
    pub(crate) action: Option<String>,
    /// `GITHUB_REF`.
    pub(crate) git_ref: String,
    /// `GITHUB_SHA`: the commit whose workflows run and that jobs check out.
    pub(crate) sha: String,
    /// The branch (or tag) shown on the run: a pull request's head branch.
    pub(crate) branch: String,
    /// The commit statuses go to when not `sha` (a pull request's head).
    pub(crate) head_sha: Option<String>,
    /// The files changed between these two commits decide path filters; `None`: path
    /// filters do not apply (tags, schedules, dispatches).
    pub(crate) changes: Option<(String, String)>,
    /// For pull requests: the base branch, which their branch filters match.
    pub(crate) base_branch: Option<String>,
    /// For a push: the branch's commit before it.
    pub(crate) before: Option<String>,
    /// The payload as GitHub builds it; `None` for pushes and dispatches (built from the
    /// fields above when the run is planned).
    pub(crate) payload: Option<serde_json::Value>,
    pub(crate) actor: String,
    /// For `workflow_run`: the name of the workflow that ran.
    pub(crate) workflow_name: Option<String>,
    /// Read the workflows at this commit instead of `sha` (`pull_request_target` runs the
    /// base's workflows).
    pub(crate) workflows_at: Option<String>,
    /// Only this workflow file (a schedule fires one workflow).
    pub(crate) only: Option<String>,
}

/// Starts the runs `event` asks for in `repo`; their ids, or why none could be started.
pub(crate) fn start_runs(
    state: &SharedState,
    repo: &RepoConfig,
    git: &Repository,
    event: &ServerEvent,
) -> Result<Vec<i64>, String> {
    let prefix = subdir(repo, git);
    let changed: Option<Vec<String>> = match &event.changes {
        Some((base, head)) => Some(
            git.changed_files(base, Some(head))
                .map_err(|e| format!("cannot compare `{base}` with `{head}`: {e}"))?
                .into_iter()
                .filter_map(|f| {
                    if prefix.is_empty() {
                        Some(f)
                    } else {
                        f.strip_prefix(&format!("{prefix}/")).map(str::to_owned)
                    }
                })
                .collect(),
        ),
        None => None,
    };
    let at = event.workflows_at.as_deref().unwrap_or(&event.sha);
    let dir = in_repo(repo, git, ".github/workflows");
    let files = state
        .commit_files
        .files_at(git, at, &dir)
        .map_err(|e| format!("cannot read `{dir}` at `{at}`: {e}"))?;
    let matched = Event {
        name: event.name.clone(),
        action: event.action.clone(),
        // A `workflow_run`'s branch filters are of the run that triggered it.
        git_ref: Some(
            match (
                event.name.as_str(),
                event
                    .payload
                    .as_ref()
                    .and_then(|p| p["workflow_run"]["head_branch"].as_str()),
            ) {
                ("workflow_run", Some(branch)) => format!("refs/heads/{branch}"),
                _ => event.git_ref.clone(),
            },
        ),
        base_ref: event.base_branch.clone(),
        changed_paths: changed.clone(),
        workflow_name: event.workflow_name.clone(),
    };
    let mut runs = Vec::new();
    for (name, bytes) in files.iter() {
        if !(name.ends_with(".yml") || name.ends_with(".yaml")) {
            continue;
        }
        let path = name
            .strip_prefix(&format!("{prefix}/"))
            .unwrap_or(name)
            .to_owned();
        if event.only.as_ref().is_some_and(|only| only != &path) {
            continue;
        }
        let text = String::from_utf8_lossy(bytes).into_owned();
        let parsed = hoist_workflow::parse_workflow(&text);
        let planned = Planned {
            repo: repo.clone(),
            path: path.clone(),
            text,
            sha: event.sha.clone(),
            branch: event.branch.clone(),
            inputs: serde_json::Map::new(),
            actor: event.actor.clone(),
            event: event.name.clone(),
            before: event.before.clone(),
            attempt: 1,
            reuse: serde_json::Map::new(),
            git_ref: Some(event.git_ref.clone())
                .filter(|r| *r != format!("refs/heads/{}", event.branch)),
            payload: event.payload.clone(),
            head_sha: event.head_sha.clone(),
        };
        if parsed.has_errors() {
            if matches!(event.name.as_str(), "push" | "pull_request") {
                let id = failed_run(state, &planned, &parsed.diagnostics).map_err(|e| {
                    format!("cannot record the failed run of `{path}`: {}", e.message)
                })?;
                runs.push(id);
            }
            continue;
        }
        if !matches!(decide(&parsed.workflow, &matched), Decision::Run) {
            continue;
        }
        let name = parsed
            .workflow
            .name
            .as_ref()
            .map_or_else(|| path.clone(), |n| n.value.clone());
        let run = planned.new_run(state, name);
        let detail = json!({
            "workflow": path,
            "ref": event.git_ref,
            "sha": event.sha,
            "before": event.before,
            "action": event.action,
            "changed": changed.as_ref().map(Vec::len),
        });
        let audit = (event.actor.as_str(), event.name.as_str(), &detail);
        let run_id = record_and_start(
            state,
            crate::state::AppState::store,
            &run,
            audit,
            planned,
            git,
        )
        .map_err(|e| format!("cannot start a run of `{path}`: {}", e.message))?;
        runs.push(run_id);
    }
    Ok(runs)
}

/// Starts the push runs of `git_ref` (a branch or a tag) moving from `before` to `sha`
/// (pushed by `actor`). A new branch (`before` all zeros) is compared with where it leaves
/// the default branch; tags have no path filters.
pub(crate) fn push(
    state: &SharedState,
    repo: &RepoConfig,
    git: &Repository,
    git_ref: &str,
    before: &str,
    sha: &str,
    actor: &str,
) -> Result<Vec<i64>, String> {
    let (branch, is_tag) = match git_ref.strip_prefix("refs/tags/") {
        Some(tag) => (tag.to_owned(), true),
        None => (
            git_ref
                .strip_prefix("refs/heads/")
                .unwrap_or(git_ref)
                .to_owned(),
            false,
        ),
    };
    if !is_tag && let Some(observer) = &state.config.observer {
        observer.pushed(&repo.name, &branch, sha);
    }
    let created = before.chars().all(|c| c == '0');
    let changes = if is_tag {
        None
    } else if created {
        let default = repo
            .default_branch
            .clone()
            .or_else(|| git.current_branch())
            .unwrap_or_else(|| "main".to_owned());
        // The first push of a repository has no default branch to leave: every file of
        // its commit counts as changed (compared with git's empty tree).
        let base = if default == branch {
            EMPTY_TREE.to_owned()
        } else {
            git.merge_base(&default, sha)
                .unwrap_or_else(|_| EMPTY_TREE.to_owned())
        };
        Some((base, sha.to_owned()))
    } else {
        Some((before.to_owned(), sha.to_owned()))
    };
    start_runs(
        state,
        repo,
        git,
        &ServerEvent {
            name: "push".to_owned(),
            git_ref: git_ref.to_owned(),
            sha: sha.to_owned(),
            branch,
            changes,
            before: Some(before.to_owned()),
            actor: actor.to_owned(),
            ..ServerEvent::default()
        },
    )
}

/// Events that run on one ref: `create` (the ref created), `delete` and
/// `repository_dispatch` / `workflow_run` (the default branch), `release` (its tag).
pub(crate) fn on_ref(
    state: &SharedState,
    repo: &RepoConfig,
    git: &hoist_git::Repository,
    event: &str,
    payload: &serde_json::Value,
    sender: &str,
) -> Result<Vec<i64>, String> {
    let default = repo
        .default_branch
        .clone()
        .or_else(|| {
            payload["repository"]["default_branch"]
                .as_str()
                .map(str::to_owned)
        })
        .or_else(|| git.current_branch())
        .unwrap_or_else(|| "main".to_owned());
    let named = |kind: &str, name: &str| match kind {
        "tag" => format!("refs/tags/{name}"),
        _ => format!("refs/heads/{name}"),
    };
    let git_ref = match event {
        "create" => named(
            payload["ref_type"].as_str().unwrap_or("branch"),
            payload["ref"].as_str().unwrap_or_default(),
        ),
        "release" => named(
            "tag",
            payload["release"]["tag_name"].as_str().unwrap_or_default(),
        ),
        _ => format!("refs/heads/{default}"),
    };
    let sha = git
        .resolve(&git_ref)
        .map_err(|_| format!("`{}` has no `{git_ref}`", repo.name))?;
    let action = match event {
        "workflow_run" | "release" => payload["action"].as_str().map(str::to_owned),
        "repository_dispatch" => payload["action"].as_str().map(str::to_owned),
        _ => None,
    };
    let branch = git_ref
        .strip_prefix("refs/heads/")
        .or(git_ref.strip_prefix("refs/tags/"))
        .unwrap_or(&git_ref)
        .to_owned();
    start_runs(
        state,
        repo,
        git,
        &ServerEvent {
            name: event.to_owned(),
            action,
            git_ref: git_ref.clone(),
            sha,
            branch,
            payload: Some(payload.clone()),
            actor: sender.to_owned(),
            workflow_name: payload["workflow_run"]["name"].as_str().map(str::to_owned),
            ..ServerEvent::default()
        },
    )
}
