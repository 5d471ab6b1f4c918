//! `workflow_run` from the server's own runs: when a run is requested and when it completes,
//! the default branch's workflows that list its workflow under `on.workflow_run.workflows`
//! run, with GitHub's payload (`github.event.workflow_run`).
//!
//! Guarantees: as on GitHub, a chain of `workflow_run` runs stops after three levels (a run
//! started by a `workflow_run` of a run started by a `workflow_run` of a run started by one
//! starts nothing more), so a workflow that names itself cannot loop; the `branches` filters
//! see the triggering run's branch.

use serde_json::json;

use crate::state::SharedState;

/// How many `workflow_run` levels GitHub chains.
const MAX_DEPTH: u32 = 3;

/// Run `run_id` was requested (`requested`) or has completed (`completed`): starts the
/// `workflow_run` runs it triggers. Blocking (git and the store); errors only mean that
/// nothing is started, as a webhook that matched no workflow.
pub(crate) fn run_changed(state: &SharedState, run_id: i64, action: &str) {
    let Ok(run) = state.store().run(run_id) else {
        return;
    };
    if run.request["server"] != true || depth(state, &run) >= MAX_DEPTH {
        return;
    }
    let Some(repo) = state.repo(&run.repo) else {
        return;
    };
    let Some(git) = state.repository(&repo) else {
        return;
    };
    let full_name = repo.forge_name.clone().unwrap_or_else(|| repo.name.clone());
    let base = state.base_url();
    let payload = json!({
        "action": action,
        "workflow_run": {
            "id": run.id,
            "name": run.workflow_name,
            "path": run.workflow_path,
            "display_title": run.workflow_name,
            "run_number": run.number,
            "run_attempt": run.attempt,
            "event": run.event,
            "status": run.status,
            "conclusion": run.conclusion,
            "head_branch": run.branch,
            "head_sha": run.head_sha.clone().unwrap_or_else(|| run.sha.clone()),
            "actor": {"login": run.actor},
            "triggering_actor": {"login": run.actor},
            "url": format!("{base}/api/v1/runs/{}", run.id),
            "html_url": format!("{base}/runs/{}", run.id),
            "created_at": rfc3339(run.created_at),
            "updated_at": rfc3339(run.finished_at.or(run.started_at).unwrap_or(run.created_at)),
            "repository": {"name": repo.name, "full_name": full_name},
        },
        "workflow": {"name": run.workflow_name, "path": run.workflow_path},
        "repository": {"name": repo.name, "full_name": full_name},
        "sender": {"login": run.actor},
    });
    let _ = crate::event_runs::on_ref(state, &repo, &git, "workflow_run", &payload, &run.actor);
}

/// How many `workflow_run` runs lead up to `run` (0 for a run started otherwise).
fn depth(state: &SharedState, run: &hoist_store::RunRow) -> u32 {
    let mut depth = 0;
    let mut current = run.clone();
    while current.event == "workflow_run" && depth < MAX_DEPTH {
        depth += 1;
        let Some(parent) = current.request["payload"]["workflow_run"]["id"].as_i64() else {
            break;
        };
        match state.store().run(parent) {
            Ok(p) => current = p,
            Err(_) => break,
        }
    }
    depth
}

/// Milliseconds since the epoch as GitHub writes times (`2026-12-01T03:30:00Z`).
fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}
