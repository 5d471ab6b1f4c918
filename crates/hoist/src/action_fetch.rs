//! Bringing remote actions into the action cache before anything runs: the actions a set of
//! workflows uses (through the local reusable workflows they call, too), fetched when
//! missing, and what is still missing named all at once. Used by `hoist run` and
//! `hoist actions pull`.

use std::collections::BTreeSet;
use std::path::Path;

use hoist_engine::action_cache::{ActionCache, HOW_TO_ADD, RemoteAction, remote_actions};
use hoist_workflow::model::Workflow;

/// How deep calls of local reusable workflows are followed (GitHub allows 4 levels).
const MAX_CALL_DEPTH: usize = 4;

/// The remote actions of `workflows` and of the local reusable workflows they call, read
/// from `project`.
pub(crate) fn actions_of<'a>(
    project: &Path,
    workflows: impl IntoIterator<Item = &'a Workflow>,
) -> BTreeSet<RemoteAction> {
    let mut found = BTreeSet::new();
    let mut seen_callees = BTreeSet::new();
    for workflow in workflows {
        collect(project, workflow, 0, &mut found, &mut seen_callees);
    }
    found
}

fn collect(
    project: &Path,
    workflow: &Workflow,
    depth: usize,
    found: &mut BTreeSet<RemoteAction>,
    seen_callees: &mut BTreeSet<String>,
) {
    found.extend(remote_actions(workflow));
    if depth >= MAX_CALL_DEPTH {
        return;
    }
    for job in workflow.jobs.values() {
        let Some(uses) = &job.uses else { continue };
        let Some(path) = uses.value.strip_prefix("./") else {
            continue;
        };
        if !seen_callees.insert(path.to_owned()) {
            continue;
        }
        // A callee that cannot be read or parsed is reported by the run itself.
        if let Ok(text) = std::fs::read_to_string(project.join(path)) {
            let callee = hoist_workflow::parse_workflow(&text);
            collect(project, &callee.workflow, depth + 1, found, seen_callees);
        }
    }
}

/// What became of one action.
#[derive(Debug)]
pub(crate) enum ActionState {
    Cached,
    Fetched { from: String },
    Failed { reason: String },
}

/// Fetches each action that is not cached yet, concurrently; returns every action's fate.
pub(crate) fn fetch_missing(
    cache: &ActionCache,
    actions: &BTreeSet<RemoteAction>,
) -> Vec<(RemoteAction, ActionState)> {
    let missing: Vec<&RemoteAction> = actions.iter().filter(|a| !cache.contains(a)).collect();
    let mut results: Vec<(RemoteAction, ActionState)> = actions
        .iter()
        .filter(|a| cache.contains(a))
        .map(|a| (a.clone(), ActionState::Cached))
        .collect();
    if missing.is_empty() {
        return results;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let reason = format!("cannot start the async runtime: {e}");
            results.extend(missing.into_iter().map(|a| {
                (
                    a.clone(),
                    ActionState::Failed {
                        reason: reason.clone(),
                    },
                )
            }));
            return results;
        }
    };
    let fetched = runtime.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for action in missing {
            let (cache, action) = (cache.clone(), action.clone());
            tasks.spawn(async move {
                match cache.fetch(&action).await {
                    Ok(from) => (action, ActionState::Fetched { from }),
                    Err(reason) => (action, ActionState::Failed { reason }),
                }
            });
        }
        let mut done = Vec::new();
        while let Some(result) = tasks.join_next().await {
            if let Ok(r) = result {
                done.push(r);
            }
        }
        done
    });
    results.extend(fetched);
    results.sort_by(|a, b| a.0.cmp(&b.0));
    results
}

/// The message for actions that are still missing, naming each, its cause, and the commands
/// that fix it.
pub(crate) fn missing_message(cache: &ActionCache, failed: &[(RemoteAction, String)]) -> String {
    let mut out = format!(
        "{} action(s) are not in the action cache (`{}`) and could not be fetched:\n",
        failed.len(),
        cache.dir.display()
    );
    for (action, reason) in failed {
        out.push_str(&format!("  {action}: {reason}\n"));
    }
    out.push_str(&format!("  hint: {HOW_TO_ADD}"));
    out
}
