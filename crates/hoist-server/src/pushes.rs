//! Pushes to hosted repositories, as their git hooks report them: `pre-receive` asks
//! whether the push may land (protected branches need their required checks green on the
//! pushed commit; `refs/pull/` belongs to the server), `post-receive` says it landed, and
//! the server starts its runs, updates the pull requests it touches, and opens one when the
//! push asked for it (`git push -o pr`, `-o pr=BASE`).

use hoist_git::Repository;

use crate::config::RepoConfig;
use crate::state::SharedState;
use crate::statuses;
use crate::wire::{HookAnswer, HookReport, RefUpdate};

fn is_zero(sha: &str) -> bool {
    sha.chars().all(|c| c == '0')
}

/// Whether the push `report` may update `repo`; the answer says why not.
pub(crate) fn pre_receive(
    state: &SharedState,
    repo: &RepoConfig,
    report: &HookReport,
) -> HookAnswer {
    let mut messages = Vec::new();
    for update in &report.updates {
        if update.name.starts_with("refs/pull/") {
            messages.push(format!(
                "`{}`: refs/pull/ belongs to the server; open a pull request with `hoist pr open` or `git push -o pr`",
                update.name
            ));
            continue;
        }
        let Some(branch) = update.name.strip_prefix("refs/heads/") else {
            continue;
        };
        if !statuses::is_protected(&repo.protections, branch) {
            continue;
        }
        if is_zero(&update.new) {
            messages.push(format!("`{branch}` is protected: it cannot be deleted"));
            continue;
        }
        let required = statuses::required(&repo.protections, branch);
        if required.is_empty() {
            continue;
        }
        let found = match statuses::of_commit(state, &repo.name, &update.new) {
            Ok(found) => found,
            Err(e) => {
                messages.push(format!(
                    "cannot read the checks of `{}`: {e}",
                    short(&update.new)
                ));
                continue;
            }
        };
        let problems = statuses::unmet(&required, &found);
        if !problems.is_empty() {
            messages.push(format!(
                "`{branch}` is protected: {} needs every required check green first:",
                short(&update.new)
            ));
            messages.extend(problems.into_iter().map(|p| format!("  - {p}")));
        }
    }
    let allowed = messages.is_empty();
    if !allowed {
        messages.push(
            "push the commit to another branch and open a pull request (`git push -o pr`); once its checks pass, `hoist pr merge` lands it"
                .to_owned(),
        );
    }
    HookAnswer {
        allowed,
        messages,
        runs: Vec::new(),
    }
}

/// What a push that landed starts; the answer lists it for the pusher.
pub(crate) fn post_receive(
    state: &SharedState,
    repo: &RepoConfig,
    git: &Repository,
    report: &HookReport,
) -> HookAnswer {
    let mut messages = Vec::new();
    let mut runs = Vec::new();
    let pr_base = report.options.iter().find_map(|o| {
        if o == "pr" {
            Some(None)
        } else {
            o.strip_prefix("pr=").map(|b| Some(b.to_owned()))
        }
    });
    let mut updates: Vec<&RefUpdate> = report.updates.iter().collect();
    // Branches before tags, as a forge delivers them.
    updates.sort_by_key(|u| !u.name.starts_with("refs/heads/"));
    for update in updates {
        if is_zero(&update.new) {
            continue;
        }
        match crate::event_runs::push(
            state,
            repo,
            git,
            &update.name,
            &update.old,
            &update.new,
            &report.pusher,
        ) {
            Ok(started) => runs.extend(started),
            Err(e) => messages.push(format!("no runs for `{}`: {e}", update.name)),
        }
        let Some(branch) = update.name.strip_prefix("refs/heads/") else {
            continue;
        };
        runs.extend(crate::pulls::branch_moved(
            state,
            repo,
            git,
            branch,
            &update.new,
            &report.pusher,
        ));
        if let Some(base) = &pr_base {
            let base = base
                .clone()
                .or_else(|| repo.default_branch.clone())
                .unwrap_or_else(|| "main".to_owned());
            if base == branch {
                continue;
            }
            match crate::pulls::open(state, repo, git, branch, &base, None, &report.pusher) {
                Ok((pull, started)) => {
                    messages.push(format!(
                        "opened pull request #{} (`{branch}` into `{base}`): `hoist pr view {} --repo {}`",
                        pull.number, pull.number, repo.name
                    ));
                    runs.extend(started);
                }
                Err(e) => messages.push(format!("no pull request opened: {}", e.message)),
            }
        }
    }
    runs.sort_unstable();
    runs.dedup();
    for id in &runs {
        messages.push(format!("run {id} started: {}/runs/{id}", state.base_url()));
    }
    HookAnswer {
        allowed: true,
        messages,
        runs,
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}
