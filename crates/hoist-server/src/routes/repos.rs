//! Repositories: `GET /api/v1/repos` lists them, `POST /api/v1/repos` creates a hosted one
//! (admins), `PATCH /api/v1/repos/{repo}` changes its settings and
//! `PUT|DELETE /api/v1/repos/{repo}/branches/{branch}/protection` its protected branches
//! (admins, audited); `POST /api/v1/repos/{repo}/git/{hook}` is where hosted repositories'
//! hooks report pushes.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use hoist_store::{Protection, Role};
use serde::Deserialize;
use serde_json::json;

use crate::api_error::ApiError;
use crate::auth::Caller;
use crate::config::RepoConfig;
use crate::routes::off_thread;
use crate::routes::runs::bad_json;
use crate::state::SharedState;
use crate::wire::{HookAnswer, HookReport, RepoView};

pub(crate) fn view(state: &SharedState, repo: &RepoConfig) -> RepoView {
    RepoView {
        name: repo.name.clone(),
        hosted: repo.hosted,
        clone_url: if repo.hosted {
            format!("{}/git/{}.git", state.base_url(), repo.name)
        } else {
            repo.url
                .clone()
                .unwrap_or_else(|| repo.path.display().to_string())
        },
        default_branch: repo.default_branch.clone(),
        forge_name: repo.forge_name.clone(),
        webhook_secret: repo.webhook_secret.is_some(),
        protections: repo.protections.clone(),
        status_api: repo.status_api.clone(),
    }
}

/// The repository named in a path, or 404 naming the ones there are.
pub(crate) fn named(state: &SharedState, name: &str) -> Result<RepoConfig, ApiError> {
    state.repo_named(name)
}

pub(crate) async fn list(
    State(state): State<SharedState>,
    caller: Caller,
) -> Result<Json<Vec<RepoView>>, ApiError> {
    caller.require(Role::Viewer)?;
    Ok(Json(
        state
            .repos()
            .iter()
            .filter(|r| caller.require_repo(&r.name).is_ok())
            .map(|r| view(&state, r))
            .collect(),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateRepo {
    name: String,
    default_branch: Option<String>,
}

/// `POST /api/v1/repos`: a new hosted repository, empty, with its hooks.
pub(crate) async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    body: Result<Json<CreateRepo>, JsonRejection>,
) -> Result<(axum::http::StatusCode, Json<RepoView>), ApiError> {
    caller.require(Role::Admin)?;
    state.refuse_if_draining()?;
    let Json(body) = body.map_err(bad_json)?;
    crate::repos::valid_name(&body.name)
        .map_err(|e| ApiError::unprocessable(format!("`name`: {e}")))?;
    if state.repo(&body.name).is_some() {
        return Err(ApiError::conflict(format!(
            "a repository `{}` exists already",
            body.name
        )));
    }
    let default_branch = body.default_branch.unwrap_or_else(|| "main".to_owned());
    off_thread(move || {
        let path = crate::repos::hosted_path(&state.config.data_dir, &body.name);
        if path.exists() {
            return Err(ApiError::conflict(format!(
                "`{}` exists on disk but the server does not know it; move it away first",
                path.display()
            )));
        }
        hoist_git::init_bare(&path, &default_branch)
            .map_err(|e| ApiError::internal(format!("cannot create `{}`: {e}", path.display())))?;
        state.install_hooks(&body.name, &path);
        let created = state.store().create_repository(&body.name, &caller.name)?;
        if !created {
            let _ = std::fs::remove_dir_all(&path);
            return Err(ApiError::conflict(format!(
                "a repository `{}` exists already",
                body.name
            )));
        }
        state
            .store()
            .update_repo_settings(&body.name, &caller.name, |s| {
                s.default_branch = Some(default_branch.clone());
            })?;
        state.store().audit(
            &caller.name,
            "repo.create",
            Some(&body.name),
            &json!({"name": body.name, "default_branch": default_branch}),
            None,
        )?;
        state.reload_repos();
        let repo = named(&state, &body.name)?;
        Ok((axum::http::StatusCode::CREATED, Json(view(&state, &repo))))
    })
    .await
}

/// `PATCH /api/v1/repos/{repo}`: fields left out stay as they are; an empty string clears.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RepoPatch {
    forge_name: Option<String>,
    webhook_secret: Option<String>,
    default_branch: Option<String>,
    status_api: Option<String>,
    status_token: Option<String>,
}

pub(crate) async fn update(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Result<Json<RepoPatch>, JsonRejection>,
) -> Result<Json<RepoView>, ApiError> {
    caller.require(Role::Admin)?;
    let Json(patch) = body.map_err(bad_json)?;
    named(&state, &name)?;
    let set = |field: &Option<String>, into: &mut Option<String>| {
        if let Some(v) = field {
            *into = Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        }
    };
    state
        .store()
        .update_repo_settings(&name, &caller.name, |s| {
            set(&patch.forge_name, &mut s.forge_name);
            set(&patch.webhook_secret, &mut s.webhook_secret);
            set(&patch.default_branch, &mut s.default_branch);
            set(&patch.status_api, &mut s.status_api);
            set(&patch.status_token, &mut s.status_token);
        })?;
    // Which fields changed, never their secret values.
    let changed: Vec<&str> = [
        ("forge_name", patch.forge_name.is_some()),
        ("webhook_secret", patch.webhook_secret.is_some()),
        ("default_branch", patch.default_branch.is_some()),
        ("status_api", patch.status_api.is_some()),
        ("status_token", patch.status_token.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, set)| set.then_some(k))
    .collect();
    state.store().audit(
        &caller.name,
        "repo.update",
        Some(&name),
        &json!({"changed": changed}),
        None,
    )?;
    state.reload_repos();
    Ok(Json(view(&state, &named(&state, &name)?)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProtectionBody {
    #[serde(default)]
    require: Vec<String>,
}

/// `PUT /api/v1/repos/{repo}/branches/{branch}/protection`: protects `branch` (a name or a
/// `*` pattern), requiring the checks named.
pub(crate) async fn protect(
    State(state): State<SharedState>,
    caller: Caller,
    Path((name, branch)): Path<(String, String)>,
    body: Result<Json<ProtectionBody>, JsonRejection>,
) -> Result<Json<RepoView>, ApiError> {
    caller.require(Role::Admin)?;
    let Json(body) = body.map_err(bad_json)?;
    named(&state, &name)?;
    if let Some(empty) = body.require.iter().find(|r| r.trim().is_empty()) {
        return Err(ApiError::unprocessable(format!(
            "`require`: `{empty}` is not a check name (`Workflow / job`)"
        )));
    }
    let rule = Protection {
        branch: branch.clone(),
        require: body.require.clone(),
    };
    state
        .store()
        .update_repo_settings(&name, &caller.name, |s| {
            s.protections.retain(|p| p.branch != branch);
            s.protections.push(rule.clone());
        })?;
    state.store().audit(
        &caller.name,
        "repo.protect",
        Some(&name),
        &json!({"branch": branch, "require": body.require}),
        None,
    )?;
    state.reload_repos();
    Ok(Json(view(&state, &named(&state, &name)?)))
}

/// `DELETE /api/v1/repos/{repo}/branches/{branch}/protection`.
pub(crate) async fn unprotect(
    State(state): State<SharedState>,
    caller: Caller,
    Path((name, branch)): Path<(String, String)>,
) -> Result<Json<RepoView>, ApiError> {
    caller.require(Role::Admin)?;
    named(&state, &name)?;
    state
        .store()
        .update_repo_settings(&name, &caller.name, |s| {
            s.protections.retain(|p| p.branch != branch);
            // An empty rule hides one the configuration has.
            s.protections.push(Protection {
                branch: branch.clone(),
                require: Vec::new(),
            });
        })?;
    state.store().audit(
        &caller.name,
        "repo.unprotect",
        Some(&name),
        &json!({"branch": branch}),
        None,
    )?;
    state.reload_repos();
    Ok(Json(view(&state, &named(&state, &name)?)))
}

/// `POST /api/v1/repos/{repo}/git/{hook}`: a hosted repository's `pre-receive` or
/// `post-receive` hook (admin token: the hooks run as the server's user).
pub(crate) async fn hook(
    State(state): State<SharedState>,
    caller: Caller,
    Path((name, hook)): Path<(String, String)>,
    body: Result<Json<HookReport>, JsonRejection>,
) -> Result<Json<HookAnswer>, ApiError> {
    caller.require(Role::Admin)?;
    let Json(report) = body.map_err(bad_json)?;
    let repo = named(&state, &name)?;
    off_thread(move || {
        let git = state.git_of(&repo)?;
        match hook.as_str() {
            "pre-receive" => Ok(Json(crate::pushes::pre_receive(&state, &repo, &report))),
            "post-receive" => Ok(Json(crate::pushes::post_receive(
                &state, &repo, &git, &report,
            ))),
            other => Err(ApiError::not_found(format!(
                "no hook `{other}`; hooks are `pre-receive` and `post-receive`"
            ))),
        }
    })
    .await
}
