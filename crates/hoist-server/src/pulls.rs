//! Pull requests: opened on a hosted repository (`hoist pr open`, or a push with `-o pr`),
//! or told about by a forge's webhook. Each open pull request has a test merge of its head
//! into its base, made here with git as GitHub makes `refs/pull/N/merge`; its runs check
//! that commit out, with `GITHUB_REF=refs/pull/N/merge`, and their statuses go to the head.
//!
//! Guarantees: a pull request's refs (`refs/pull/N/head`, `refs/pull/N/merge`) always
//! match what its row says; a merge moves the base branch only from the commit the checks
//! were judged against (a compare-and-swap), so a push racing a merge loses nothing.

use hoist_git::Repository;
use hoist_store::{NewPull, PullRow};
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::config::RepoConfig;
use crate::event_runs::{ServerEvent, start_runs};
use crate::state::SharedState;

/// The test merge of a pull request's head into its base; `None` when they conflict.
fn test_merge(
    git: &Repository,
    base_sha: &str,
    head_sha: &str,
) -> Result<Option<String>, ApiError> {
    git.test_merge(
        base_sha,
        head_sha,
        &format!("Merge {head_sha} into {base_sha}"),
    )
    .map_err(|e| ApiError::internal(format!("cannot merge `{head_sha}` into `{base_sha}`: {e}")))
}

/// Points the pull request's refs at its commits.
pub(crate) fn write_refs(git: &Repository, pull: &PullRow) {
    let n = pull.number;
    let _ = git.set_ref(&format!("refs/pull/{n}/head"), &pull.head_sha);
    match &pull.merge_sha {
        Some(merge) => {
            let _ = git.set_ref(&format!("refs/pull/{n}/merge"), merge);
        }
        None => {
            let _ = git.delete_ref(&format!("refs/pull/{n}/merge"));
        }
    }
}

/// Opens a pull request of `head` into `base` in `repo` by `author` and starts its
/// `opened` runs.
pub(crate) fn open(
    state: &SharedState,
    repo: &RepoConfig,
    git: &Repository,
    head: &str,
    base: &str,
    title: Option<&str>,
    author: &str,
) -> Result<(PullRow, Vec<i64>), ApiError> {
    let head_sha = git.resolve(&format!("refs/heads/{head}")).map_err(|_| {
        ApiError::unprocessable(format!(
            "`{}` has no branch `{head}` to open a pull request from",
            repo.name
        ))
    })?;
    let base_sha = git.resolve(&format!("refs/heads/{base}")).map_err(|_| {
        ApiError::unprocessable(format!(
            "`{}` has no branch `{base}` to open a pull request into",
            repo.name
        ))
    })?;
    if head == base {
        return Err(ApiError::unprocessable(format!(
            "a pull request needs two branches; `{head}` is both head and base"
        )));
    }
    if let Some(open) = state
        .store()
        .pulls(&repo.name, Some("open"))?
        .into_iter()
        .find(|p| p.head_ref == head && p.base_ref == base)
    {
        return Err(ApiError::conflict(format!(
            "pull request #{} already asks to merge `{head}` into `{base}`",
            open.number
        )));
    }
    let merge_sha = test_merge(git, &base_sha, &head_sha)?;
    let subject = git
        .commit_info(&head_sha)
        .map(|c| c.message.lines().next().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let title = title.map(str::to_owned).unwrap_or(if subject.is_empty() {
        head.to_owned()
    } else {
        subject
    });
    let pull = state.store().open_pull(&NewPull {
        repo: &repo.name,
        number: None,
        title: &title,
        author,
        head_ref: head,
        base_ref: base,
        head_sha: &head_sha,
        base_sha: &base_sha,
        merge_sha: merge_sha.as_deref(),
    })?;
    write_refs(git, &pull);
    let _ = state.store().audit(
        author,
        "pr.open",
        Some(&repo.name),
        &json!({"number": pull.number, "head": head, "base": base, "head_sha": head_sha}),
        None,
    );
    let runs = runs_of(state, repo, git, &pull, "opened", author, None)?;
    Ok((pull, runs))
}

/// After branch `branch` of `repo` moved to `sha`: the open pull requests from it get a new
/// head and test merge and their `synchronize` runs; those into it get a new test merge
/// (and, as on GitHub, no runs). Returns the runs started.
pub(crate) fn branch_moved(
    state: &SharedState,
    repo: &RepoConfig,
    git: &Repository,
    branch: &str,
    sha: &str,
    actor: &str,
) -> Vec<i64> {
    let Ok(pulls) = state.store().open_pulls_touching(&repo.name, branch) else {
        return Vec::new();
    };
    let mut runs = Vec::new();
    for mut pull in pulls {
        let head_moved = pull.head_ref == branch;
        if head_moved {
            pull.head_sha = sha.to_owned();
        } else {
            pull.base_sha = sha.to_owned();
            // Its head was pushed into its base: merged, as GitHub sees it.
            if git.is_ancestor(&pull.head_sha, sha) {
                // Bound first: the store's guard must be gone before the block uses it.
                let closed = state
                    .store()
                    .close_pull(&repo.name, pull.number, true, actor);
                if let Ok(true) = closed {
                    pull.state = "merged".to_owned();
                    let _ = state.store().audit(
                        actor,
                        "pr.merge",
                        Some(&repo.name),
                        &json!({"number": pull.number, "base": pull.base_ref, "sha": sha, "head_sha": pull.head_sha, "pushed": true}),
                        None,
                    );
                    if let Ok(started) = runs_of(state, repo, git, &pull, "closed", actor, None) {
                        runs.extend(started);
                    }
                }
                continue;
            }
        }
        let Ok(merge) = test_merge(git, &pull.base_sha, &pull.head_sha) else {
            continue;
        };
        pull.merge_sha = merge;
        let updated = state.store().update_pull_commits(
            &repo.name,
            pull.number,
            &pull.head_sha,
            &pull.base_sha,
            pull.merge_sha.as_deref(),
        );
        if updated.is_err() {
            continue;
        }
        write_refs(git, &pull);
        if head_moved
            && let Ok(started) = runs_of(state, repo, git, &pull, "synchronize", actor, None)
        {
            runs.extend(started);
        }
    }
    runs
}

/// Starts the runs of `pull`'s `action` (`opened`, `synchronize`, `closed`, ...). A pull
/// request whose head and base conflict has no merge commit, so none start (as on GitHub).
pub(crate) fn runs_of(
    state: &SharedState,
    repo: &RepoConfig,
    git: &Repository,
    pull: &PullRow,
    action: &str,
    actor: &str,
    forge_payload: Option<Value>,
) -> Result<Vec<i64>, ApiError> {
    let mut runs = Vec::new();
    let merged = pull.state == "merged";
    // A closed pull request's runs check out its head (a merged one: the base it went to).
    let sha = match (&pull.merge_sha, pull.state.as_str()) {
        (Some(merge), "open") => merge.clone(),
        (_, "merged") => git
            .resolve(&format!("refs/heads/{}", pull.base_ref))
            .unwrap_or_else(|_| pull.head_sha.clone()),
        (None, "open") => return Ok(Vec::new()),
        _ => pull.head_sha.clone(),
    };
    for name in ["pull_request", "pull_request_target"] {
        let target = name == "pull_request_target";
        let event = ServerEvent {
            name: name.to_owned(),
            action: Some(action.to_owned()),
            // `pull_request_target` runs the base's workflows on the base.
            git_ref: if target || merged {
                format!("refs/heads/{}", pull.base_ref)
            } else {
                format!("refs/pull/{}/merge", pull.number)
            },
            sha: if target {
                pull.base_sha.clone()
            } else {
                sha.clone()
            },
            branch: pull.head_ref.clone(),
            head_sha: Some(pull.head_sha.clone()),
            changes: Some((
                git.merge_base(&pull.base_sha, &pull.head_sha)
                    .unwrap_or_else(|_| pull.base_sha.clone()),
                pull.head_sha.clone(),
            )),
            base_branch: Some(pull.base_ref.clone()),
            payload: Some(
                forge_payload
                    .clone()
                    .unwrap_or_else(|| payload(state, repo, pull, action, actor)),
            ),
            actor: actor.to_owned(),
            workflows_at: target.then(|| pull.base_sha.clone()),
            ..ServerEvent::default()
        };
        runs.extend(start_runs(state, repo, git, &event).map_err(ApiError::internal)?);
    }
    Ok(runs)
}

/// The `pull_request` payload of `pull`, in GitHub's shape.
pub(crate) fn payload(
    state: &SharedState,
    repo: &RepoConfig,
    pull: &PullRow,
    action: &str,
    sender: &str,
) -> Value {
    let full_name = repo.forge_name.clone().unwrap_or_else(|| repo.name.clone());
    let owner = full_name.split('/').next().unwrap_or_default().to_owned();
    let repository = json!({
        "name": repo.name,
        "full_name": full_name,
        "owner": {"login": owner},
        "default_branch": repo.default_branch.clone().unwrap_or_else(|| "main".to_owned()),
        "clone_url": format!("{}/git/{}.git", state.base_url(), repo.name),
    });
    let time = |ms: i64| {
        jiff::Timestamp::from_second(ms.div_euclid(1000))
            .map(|t| t.to_string())
            .unwrap_or_default()
    };
    json!({
        "action": action,
        "number": pull.number,
        "pull_request": {
            "number": pull.number,
            "title": pull.title,
            "state": if pull.state == "open" { "open" } else { "closed" },
            "merged": pull.state == "merged",
            "merge_commit_sha": pull.merge_sha,
            "user": {"login": pull.author},
            "html_url": format!("{}/{}/pull/{}", state.base_url(), repo.name, pull.number),
            "created_at": time(pull.created_at),
            "updated_at": time(pull.updated_at),
            "head": {"ref": pull.head_ref, "sha": pull.head_sha, "label": format!("{owner}:{}", pull.head_ref), "repo": repository},
            "base": {"ref": pull.base_ref, "sha": pull.base_sha, "label": format!("{owner}:{}", pull.base_ref), "repo": repository},
        },
        "repository": repository,
        "sender": {"login": sender},
    })
}

/// Merges pull request `number` of `repo` (by `by`) with a merge commit, as GitHub's
/// default merge does: only when it is open, mergeable, and the checks its base requires
/// are green on its head. The base moves only from the commit it had when the merge was
/// made, so a push in between makes the merge fail rather than lose that push.
pub(crate) fn merge(
    state: &SharedState,
    repo: &RepoConfig,
    git: &Repository,
    number: i64,
    by: &str,
) -> Result<(PullRow, Vec<i64>), ApiError> {
    let pull = state.store().pull(&repo.name, number)?.ok_or_else(|| {
        ApiError::not_found(format!("`{}` has no pull request #{number}", repo.name))
    })?;
    if pull.state != "open" {
        return Err(ApiError::conflict(format!(
            "pull request #{number} is {}; only open ones merge",
            pull.state
        )));
    }
    let required = crate::statuses::required(&repo.protections, &pull.base_ref);
    let statuses = crate::statuses::of_commit(state, &repo.name, &pull.head_sha)?;
    let problems = crate::statuses::unmet(&required, &statuses);
    if !problems.is_empty() {
        return Err(ApiError::new(
            axum::http::StatusCode::METHOD_NOT_ALLOWED,
            format!(
                "`{}` is protected and pull request #{number} is not ready: {}",
                pull.base_ref,
                problems.join("; ")
            ),
        ));
    }
    let base_ref = format!("refs/heads/{}", pull.base_ref);
    let base_now = git
        .resolve(&base_ref)
        .map_err(|_| ApiError::conflict(format!("branch `{}` is gone", pull.base_ref)))?;
    let message = format!(
        "Merge pull request #{number} from {}\n\n{}",
        pull.head_ref, pull.title
    );
    let merged = git
        .test_merge(&base_now, &pull.head_sha, &message)
        .map_err(|e| ApiError::internal(format!("cannot merge: {e}")))?
        .ok_or_else(|| {
            ApiError::conflict(format!(
                "pull request #{number} conflicts with `{}`; merge `{}` into `{}` and push",
                pull.base_ref, pull.base_ref, pull.head_ref
            ))
        })?;
    git.update_ref(&base_ref, &merged, Some(&base_now))
        .map_err(|_| {
            ApiError::conflict(format!(
                "`{}` moved while merging; try again",
                pull.base_ref
            ))
        })?;
    state.store().close_pull(&repo.name, number, true, by)?;
    let _ = state.store().audit(
        by,
        "pr.merge",
        Some(&repo.name),
        &json!({"number": number, "base": pull.base_ref, "sha": merged, "head_sha": pull.head_sha}),
        None,
    );
    let pull = reread(state, repo, number)?;
    let mut runs = crate::event_runs::push(state, repo, git, &base_ref, &base_now, &merged, by)
        .map_err(ApiError::internal)?;
    runs.extend(branch_moved(state, repo, git, &pull.base_ref, &merged, by));
    runs.extend(runs_of(state, repo, git, &pull, "closed", by, None)?);
    Ok((pull, runs))
}

/// Closes pull request `number` without merging it, and starts its `closed` runs.
pub(crate) fn close(
    state: &SharedState,
    repo: &RepoConfig,
    git: &Repository,
    number: i64,
    by: &str,
) -> Result<(PullRow, Vec<i64>), ApiError> {
    if !state.store().close_pull(&repo.name, number, false, by)? {
        return Err(ApiError::conflict(format!(
            "`{}` has no open pull request #{number}",
            repo.name
        )));
    }
    let _ = state.store().audit(
        by,
        "pr.close",
        Some(&repo.name),
        &json!({"number": number}),
        None,
    );
    let pull = reread(state, repo, number)?;
    let runs = runs_of(state, repo, git, &pull, "closed", by, None)?;
    Ok((pull, runs))
}

/// Pull request `number` as the store has it now (after this module changed it).
fn reread(state: &SharedState, repo: &RepoConfig, number: i64) -> Result<PullRow, ApiError> {
    state
        .store()
        .pull(&repo.name, number)?
        .ok_or_else(|| ApiError::internal(format!("pull request #{number} vanished")))
}
