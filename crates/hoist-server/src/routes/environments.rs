//! Environments and deployments: protection rules set and listed, the deployments a run
//! waits on listed and reviewed (GitHub's `pending_deployments`), deployments listed.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use hoist_store::{DeploymentRow, EnvironmentRow, EnvironmentSettings, Reviewed, Role};
use serde::Deserialize;
use serde_json::json;

use crate::api_error::ApiError;
use crate::auth::Caller;
use crate::routes::runs::bad_json;
use crate::state::SharedState;
use crate::wire::{EnvironmentRef, PendingDeployment, ReviewRequest, Reviewer};

/// GitHub's limit on required reviewers.
const MAX_REVIEWERS: usize = 6;

pub(crate) async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    Path(repo): Path<String>,
) -> Result<Json<Vec<EnvironmentRow>>, ApiError> {
    caller.require(Role::Viewer)?;
    caller.require_repo(&repo)?;
    state.repo_named(&repo)?;
    Ok(Json(state.store().environments(Some(&repo))?))
}

pub(crate) async fn put(
    State(state): State<SharedState>,
    caller: Caller,
    Path((repo, name)): Path<(String, String)>,
    body: Result<Json<EnvironmentSettings>, JsonRejection>,
) -> Result<Json<EnvironmentRow>, ApiError> {
    caller.require(Role::Admin)?;
    let Json(settings) = body.map_err(bad_json)?;
    state.repo_named(&repo)?;
    check_settings(&name, &settings)?;
    let mut store = state.store();
    let row = store.put_environment(&repo, &name, &settings, "api")?;
    store.audit(
        &caller.name,
        "environment.protect",
        Some(&repo),
        &json!({"environment": row.name, "settings": settings}),
        None,
    )?;
    Ok(Json(row))
}

/// What `hoist env protect` and the configuration may set.
pub(crate) fn check_settings(name: &str, settings: &EnvironmentSettings) -> Result<(), ApiError> {
    if name.trim().is_empty() || name.len() > 255 || name.contains(['/', '\n']) {
        return Err(ApiError::unprocessable(format!(
            "the environment name `{name}` is not valid: it must be 1 to 255 characters, without `/`"
        )));
    }
    if settings.reviewers.len() > MAX_REVIEWERS {
        return Err(ApiError::unprocessable(format!(
            "`reviewers`: {} given; an environment takes at most {MAX_REVIEWERS}, as on GitHub",
            settings.reviewers.len()
        )));
    }
    for reviewer in &settings.reviewers {
        if let Some(role) = reviewer.strip_prefix("role:")
            && Role::parse(role).is_none()
        {
            return Err(ApiError::unprocessable(format!(
                "`reviewers`: `{reviewer}` names no role; roles are `viewer`, `developer`, `approver`, `admin`"
            )));
        }
        if reviewer.trim().is_empty() {
            return Err(ApiError::unprocessable("`reviewers`: an empty name"));
        }
    }
    if settings.wait_timer > 43_200 {
        return Err(ApiError::unprocessable(format!(
            "`wait_timer`: {} minutes; at most 43200 (30 days), as on GitHub",
            settings.wait_timer
        )));
    }
    if settings.protected_branches && !settings.branches.is_empty() {
        return Err(ApiError::unprocessable(
            "`protected_branches` and `branches` exclude each other: deploy from protected branches, or from branches matching patterns",
        ));
    }
    Ok(())
}

/// Whether `caller` is one of `reviewers`: named, or holding one of the roles named (or a
/// greater one).
pub(crate) fn is_reviewer(caller: &Caller, reviewers: &[String]) -> bool {
    reviewers.iter().any(|r| match r.strip_prefix("role:") {
        Some(role) => match (Role::parse(role), caller.role) {
            (Some(wanted), Some(have)) => have >= wanted,
            _ => false,
        },
        None => r == &caller.name,
    })
}

/// The environments run `id` waits on, with whether the caller may approve them.
pub(crate) async fn pending(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<PendingDeployment>>, ApiError> {
    let store = state.store();
    let run = store.run(id)?;
    caller.require_for_run(Role::Viewer, &run)?;
    let mut out: Vec<PendingDeployment> = Vec::new();
    for d in waiting_of(&store, id, run.attempt)? {
        if out.iter().any(|p| p.environment.id == d.env_id) {
            continue;
        }
        let Some(env) = store.environment(&run.repo, &d.environment)? else {
            continue;
        };
        let rules = &env.settings;
        out.push(PendingDeployment {
            environment: EnvironmentRef {
                id: env.id,
                name: env.name.clone(),
            },
            wait_timer: rules.wait_timer,
            wait_timer_started_at: d.created_at,
            current_user_can_approve: is_reviewer(&caller, &rules.reviewers)
                && !(rules.prevent_self_review && caller.name == run.actor),
            reviewers: rules
                .reviewers
                .iter()
                .map(|r| match r.strip_prefix("role:") {
                    Some(role) => Reviewer {
                        kind: "Role".into(),
                        name: role.into(),
                    },
                    None => Reviewer {
                        kind: "User".into(),
                        name: r.clone(),
                    },
                })
                .collect(),
        });
    }
    Ok(Json(out))
}

fn waiting_of(
    store: &hoist_store::Store,
    run_id: i64,
    attempt: i64,
) -> Result<Vec<DeploymentRow>, ApiError> {
    Ok(store
        .deployments_of_run(run_id)?
        .into_iter()
        .filter(|d| d.state == "waiting" && i64::from(d.attempt) == attempt.max(1))
        .collect())
}

/// Approves or rejects the deployments of run `id` to the environments named; only their
/// reviewers may, and with `prevent-self-review` not the person who triggered the run.
pub(crate) async fn review(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Result<Json<ReviewRequest>, JsonRejection>,
) -> Result<Json<Vec<DeploymentRow>>, ApiError> {
    let answered = match body {
        Ok(Json(body)) => review_now(&state, &caller, id, &body),
        Err(e) => Err(bad_json(e)),
    };
    // Every refusal is in the audit log, with what was asked and why; nothing changed.
    if let Err(e) = &answered
        && e.status.is_client_error()
    {
        let repo = state.store().run(id).ok().map(|r| r.repo);
        state.store().audit(
            &caller.name,
            "deployment.review_refused",
            repo.as_deref(),
            &json!({"status": e.status.as_u16(), "why": e.message}),
            Some(id),
        )?;
    }
    let answered = answered?;
    state.deployments_changed.notify_waiters();
    Ok(Json(answered))
}

fn review_now(
    state: &SharedState,
    caller: &Caller,
    id: i64,
    body: &ReviewRequest,
) -> Result<Vec<DeploymentRow>, ApiError> {
    caller.require(Role::Viewer)?;
    let verdict = match body.state.as_str() {
        "approved" | "rejected" => body.state.clone(),
        other => {
            return Err(ApiError::unprocessable(format!(
                "`state` is `{other}`; expected `approved` or `rejected`"
            )));
        }
    };
    if body.environment_ids.is_empty() && body.environments.is_empty() {
        return Err(ApiError::unprocessable(
            "name the environments to review: `environment_ids` (or `environments` by name)",
        ));
    }
    let mut store = state.store();
    let run = store.run(id)?;
    caller.require_repo(&run.repo)?;
    let waiting = waiting_of(&store, id, run.attempt)?;
    let mut chosen: Vec<(EnvironmentRow, Vec<DeploymentRow>)> = Vec::new();
    let asked: Vec<String> = body
        .environment_ids
        .iter()
        .map(|i| format!("#{i}"))
        .chain(body.environments.iter().cloned())
        .collect();
    for ask in &asked {
        let found = waiting.iter().find(|d| match ask.strip_prefix('#') {
            Some(n) => n.parse::<i64>().is_ok_and(|n| n == d.env_id),
            None => d.environment.eq_ignore_ascii_case(ask),
        });
        let Some(found) = found else {
            let names: Vec<String> = waiting
                .iter()
                .map(|d| format!("`{}` ({})", d.environment, d.env_id))
                .collect();
            return Err(ApiError::unprocessable(format!(
                "run {id} does not wait on the environment `{}`; it waits on {}",
                ask.trim_start_matches('#'),
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            )));
        };
        if chosen.iter().any(|(e, _)| e.id == found.env_id) {
            continue;
        }
        let env = store
            .environment(&run.repo, &found.environment)?
            .ok_or_else(|| {
                ApiError::not_found(format!("no environment `{}`", found.environment))
            })?;
        let refused = if !is_reviewer(caller, &env.settings.reviewers) {
            Some(format!(
                "`{}` is not a reviewer of `{}`; its reviewers are {}",
                caller.name,
                env.name,
                env.settings
                    .reviewers
                    .iter()
                    .map(|r| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        } else if env.settings.prevent_self_review && caller.name == run.actor {
            Some(format!(
                "`{}` triggered run {id} and `{}` prevents self-review: another reviewer must answer",
                caller.name, env.name
            ))
        } else {
            None
        };
        if let Some(message) = refused {
            return Err(ApiError::new(StatusCode::FORBIDDEN, message));
        }
        let deployments = waiting
            .iter()
            .filter(|d| d.env_id == env.id)
            .cloned()
            .collect();
        chosen.push((env, deployments));
    }
    let mut answered = Vec::new();
    for (env, deployments) in chosen {
        for d in deployments {
            match store.review_deployment(d.id, &caller.name, &verdict, &body.comment)? {
                Reviewed::Recorded => {}
                Reviewed::NotWaiting(now) => {
                    return Err(ApiError::conflict(format!(
                        "the deployment to `{}` is `{now}` now, no longer waiting",
                        env.name
                    )));
                }
            }
            if let Some(row) = store.deployment(d.id)? {
                answered.push(row);
            }
        }
        store.audit(
            &caller.name,
            if verdict == "approved" {
                "deployment.approve"
            } else {
                "deployment.reject"
            },
            Some(&run.repo),
            &json!({"environment": env.name, "comment": body.comment}),
            Some(id),
        )?;
    }
    Ok(answered)
}

/// `GET /api/v1/deployments?repo=&environment=&limit=`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DeploymentQuery {
    repo: Option<String>,
    environment: Option<String>,
    limit: Option<usize>,
}

pub(crate) async fn deployments(
    State(state): State<SharedState>,
    caller: Caller,
    Query(query): Query<DeploymentQuery>,
) -> Result<Json<Vec<DeploymentRow>>, ApiError> {
    caller.require(Role::Viewer)?;
    if let Some(repo) = &query.repo {
        caller.require_repo(repo)?;
    }
    let rows = state.store().deployments(
        query.repo.as_deref(),
        query.environment.as_deref(),
        query.limit.unwrap_or(50),
    )?;
    // A token limited to some repositories sees only theirs.
    let rows = rows
        .into_iter()
        .filter(|d| caller.repos.as_ref().is_none_or(|r| r.contains(&d.repo)))
        .collect();
    Ok(Json(rows))
}
