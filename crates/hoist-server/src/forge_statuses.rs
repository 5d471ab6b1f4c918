//! Commit statuses posted back to a repository's forge, for repositories whose CI events
//! come from GitHub, Gitea or Forgejo (`status-api` in the repository's settings): every
//! context of `statuses.rs` (`CI`, `CI / Lint`) goes to the forge's commit-status API
//! (`POST {status-api}/repos/{forge-name}/statuses/{sha}`, GitHub's and Gitea's shape) when
//! its state changes, so the forge's pull request shows Hoist's checks.
//!
//! Guarantees: a state is posted until the forge accepts it (2xx), then not again; a forge
//! that fails is retried after a lease's time (with one audit entry per outage, not one per try);
//! posting never changes a run. Several replicas may each post a change once (the forge
//! keeps the latest), never a stale state after a newer one, since each posts what the
//! history says now.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::config::RepoConfig;
use crate::state::SharedState;
use crate::statuses::CommitStatus;

/// Runs finished longer ago than this have had their statuses posted (or given up on).
const RECENT_MS: i64 = 15 * 60 * 1000;

/// Starts the loop that posts statuses, once a second.
pub(crate) fn spawn(state: &SharedState) {
    let state = state.clone();
    tokio::spawn(async move {
        let Ok(http) = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("hoist/", env!("CARGO_PKG_VERSION")))
            .build()
        else {
            return;
        };
        // A failing forge is left alone for a lease (30 s unless configured) between tries.
        let retry_after = state.config.lease;
        let mut failing: HashMap<String, Instant> = HashMap::new();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            let repos: Vec<RepoConfig> = state
                .repos()
                .into_iter()
                .filter(|r| r.status_api.is_some())
                .collect();
            for repo in repos {
                if failing
                    .get(&repo.name)
                    .is_some_and(|until| Instant::now() < *until)
                {
                    continue;
                }
                let looked = {
                    let (state, name) = (state.clone(), repo.name.clone());
                    tokio::task::spawn_blocking(move || due(&state, &name)).await
                };
                let Ok(Ok(due)) = looked else {
                    continue;
                };
                let mut failure = None;
                for (sha, status) in due {
                    match post(&http, &repo, &sha, &status).await {
                        Ok(()) => {
                            let _ = state.store().record_posted_status(
                                &repo.name,
                                &sha,
                                &status.context,
                                &status.state,
                            );
                        }
                        Err(e) => {
                            failure = Some(e);
                            break;
                        }
                    }
                }
                match failure {
                    Some(error) => {
                        if failing
                            .insert(repo.name.clone(), Instant::now() + retry_after)
                            .is_none()
                        {
                            let _ = state.store().audit(
                                "hoist-statuses",
                                "status.post_failed",
                                Some(&repo.name),
                                &json!({"api": repo.status_api, "error": error,
                                        "retry_after_s": retry_after.as_secs()}),
                                None,
                            );
                        }
                    }
                    None => {
                        failing.remove(&repo.name);
                    }
                }
            }
        }
    });
}

/// The statuses of `repo`'s recent commits that differ from what its forge was last told.
fn due(
    state: &SharedState,
    repo: &str,
) -> Result<Vec<(String, CommitStatus)>, hoist_store::StoreError> {
    let runs = state.store().list_runs(&hoist_store::RunFilter {
        repo: Some(repo.to_owned()),
        limit: 200,
        ..hoist_store::RunFilter::default()
    })?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let since = now - RECENT_MS;
    let mut commits: Vec<String> = Vec::new();
    for run in runs
        .iter()
        .filter(|r| r.status != "completed" || r.finished_at.is_some_and(|f| f >= since))
    {
        let sha = run.head_sha.clone().unwrap_or_else(|| run.sha.clone());
        if !commits.contains(&sha) {
            commits.push(sha);
        }
    }
    let mut out = Vec::new();
    for sha in commits {
        let posted = state.store().posted_statuses(repo, &sha)?;
        // Oldest context first: a run's status goes before its jobs'.
        for status in crate::statuses::of_commit(state, repo, &sha)?
            .into_iter()
            .rev()
        {
            let known = posted
                .iter()
                .any(|(context, s)| *context == status.context && *s == status.state);
            if !known {
                out.push((sha.clone(), status));
            }
        }
    }
    Ok(out)
}

/// Posts one status in GitHub's (and Gitea's) shape.
async fn post(
    http: &reqwest::Client,
    repo: &RepoConfig,
    sha: &str,
    status: &CommitStatus,
) -> Result<(), String> {
    let api = repo.status_api.as_deref().unwrap_or_default();
    let full_name = repo.forge_name.as_deref().unwrap_or(&repo.name);
    let url = format!(
        "{}/repos/{full_name}/statuses/{sha}",
        api.trim_end_matches('/')
    );
    let mut request = http
        .post(&url)
        .header("Accept", "application/vnd.github+json")
        .json(&json!({
            "state": status.state,
            "target_url": status.target_url,
            "description": status.description,
            "context": status.context,
        }));
    if let Some(token) = &repo.status_token {
        // `token T` is what both GitHub and Gitea accept.
        request = request.header("Authorization", format!("token {}", token.trim()));
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("cannot reach `{url}`: {e}"))?;
    if response.status().is_success() {
        return Ok(());
    }
    let code = response.status();
    let body = response.text().await.unwrap_or_default();
    Err(format!(
        "`{url}` answered {code}: {}",
        body.chars().take(200).collect::<String>()
    ))
}
