//! Push runs without webhooks: every `poll` interval the server reads the branch heads of
//! each polled repository and, for every branch that moved, starts the runs its workflows'
//! `push` triggers ask for (branch and path filters applied to the files the push changed).
//!
//! Guarantees: a branch seen for the first time is only remembered (starting the server does
//! not run the whole history); a head is remembered only after its runs were created, so a
//! crash in between runs them on the next look rather than never; a workflow that does not
//! check at the commit is skipped.

use std::time::Duration;

use crate::config::RepoConfig;
use crate::event_runs::push;
use crate::state::SharedState;

/// Starts a poller for every repository that asks for one.
pub(crate) fn spawn(state: &SharedState) {
    for repo in state.repos().iter().filter(|r| r.poll.is_some()) {
        let (state, repo) = (state.clone(), repo.clone());
        tokio::spawn(async move {
            let every = repo.poll.unwrap_or(Duration::from_secs(60));
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let (state, repo) = (state.clone(), repo.clone());
                let _ = tokio::task::spawn_blocking(move || look(&state, &repo)).await;
            }
        });
    }
}

/// One look at the branches of `repo`.
fn look(state: &SharedState, repo: &RepoConfig) {
    if state.refresh(repo).is_err() {
        // Unreachable for now: the next poll tries again.
        return;
    }
    let Some(git) = state.repository(repo) else {
        return;
    };
    let Ok(heads) = git.branch_heads() else {
        return;
    };
    for (branch, sha) in heads {
        let known = state
            .store()
            .branch_head(&repo.name, &branch)
            .ok()
            .flatten();
        match known {
            Some(before) if before == sha => {}
            Some(before) => {
                let git_ref = format!("refs/heads/{branch}");
                let pushed = push(state, repo, &git, &git_ref, &before, &sha, "hoist-poll");
                if pushed.is_ok() {
                    let _ = state.store().set_branch_head(&repo.name, &branch, &sha);
                }
            }
            None => {
                let _ = state.store().set_branch_head(&repo.name, &branch, &sha);
            }
        }
    }
}
