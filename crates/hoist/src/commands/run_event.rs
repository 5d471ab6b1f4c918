//! The event a local `hoist run` simulates: its ref, SHA, changed files and payload, worked out from the repository and the command line.

use std::path::Path;

use anyhow::{Context, bail};
use hoist_engine::EventInfo;
use hoist_git::Repository;
use hoist_workflow::trigger::Event;
use serde_json::{Value as Json, json};

use crate::commands::run::Invocation;

pub(crate) struct BuiltEvent {
    pub(crate) info: EventInfo,
    pub(crate) trigger: Event,
    pub(crate) branch: String,
}

fn zero_sha() -> String {
    "0".repeat(40)
}

/// Works out ref, SHA, changed files and the payload for the simulated event.
pub(crate) fn build_event(
    project: &Path,
    repo: Option<&Repository>,
    inv: &Invocation,
) -> anyhow::Result<BuiltEvent> {
    let project_prefix = repo
        .and_then(|r| project.strip_prefix(&r.root).ok())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let rel = |files: Vec<String>| -> Vec<String> {
        files
            .into_iter()
            .filter_map(|f| {
                Path::new(&f)
                    .strip_prefix(&project_prefix)
                    .ok()
                    .map(|p| p.to_string_lossy().into_owned())
            })
            .collect()
    };
    let head = match (&inv.commit, repo) {
        (Some(rev), Some(r)) => Some(
            r.resolve(rev)
                .with_context(|| format!("`--commit {rev}`"))?,
        ),
        (Some(_), None) => bail!("`--commit` needs a git repository"),
        (None, Some(r)) => r.head(),
        (None, None) => None,
    };
    let sha = head.clone().unwrap_or_else(zero_sha);
    let branch = repo
        .and_then(Repository::current_branch)
        .unwrap_or_else(|| "main".to_owned());
    let repository = repo.and_then(Repository::origin_slug).unwrap_or_else(|| {
        format!(
            "local/{}",
            project
                .file_name()
                .map_or("project".into(), |n| n.to_string_lossy().into_owned())
        )
    });
    let actor = repo
        .and_then(Repository::user_name)
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "hoist".to_owned());
    let repo_json = json!({
        "full_name": repository,
        "name": repository.split('/').nth(1).unwrap_or_default(),
        "owner": {"login": repository.split('/').next().unwrap_or_default()},
        "default_branch": inv.base.clone().unwrap_or_else(|| "main".to_owned()),
    });
    let sender = json!({"login": actor});
    let commit = match (repo, &head) {
        (Some(r), Some(h)) => r.commit_info(h).ok(),
        _ => None,
    };
    let head_commit = commit.as_ref().map_or(Json::Null, |c| {
        json!({
            "id": sha, "message": c.message, "timestamp": c.date,
            "author": {"name": c.author, "email": c.email}, "committer": {"name": c.author, "email": c.email},
        })
    });
    let mut info = EventInfo {
        name: inv.event.clone(),
        sha: sha.clone(),
        actor: actor.clone(),
        repository: repository.clone(),
        ..EventInfo::default()
    };
    let mut trigger = Event {
        name: inv.event.clone(),
        ..Event::default()
    };
    let mut payload = match inv.event.as_str() {
        "pull_request" | "pull_request_target" => {
            let base = inv.base.clone().unwrap_or_else(|| "main".to_owned());
            let base_sha =
                repo.and_then(|r| r.merge_base(&base, head.as_deref().unwrap_or("HEAD")).ok());
            if let (Some(r), Some(b)) = (repo, &base_sha) {
                trigger.changed_paths = Some(rel(
                    r.changed_files(b, inv.commit.as_deref().and(head.as_deref()))?
                ));
            }
            info.git_ref = if inv.event == "pull_request" {
                "refs/pull/1/merge".to_owned()
            } else {
                format!("refs/heads/{base}")
            };
            info.base_ref = base.clone();
            info.head_ref = branch.clone();
            trigger.base_ref = Some(base.clone());
            trigger.action = Some("synchronize".to_owned());
            json!({
                "action": "synchronize",
                "number": 1,
                "pull_request": {
                    "number": 1,
                    "title": commit.as_ref().map_or(String::new(), |c| c.message.lines().next().unwrap_or_default().to_owned()),
                    "head": {"ref": branch, "sha": sha},
                    "base": {"ref": base, "sha": base_sha.unwrap_or_else(zero_sha)},
                    "user": sender,
                },
                "repository": repo_json, "sender": sender,
            })
        }
        "push" => {
            info.git_ref = format!("refs/heads/{branch}");
            let before = match (repo, &head) {
                (Some(r), Some(h)) => r.parent(h),
                _ => None,
            };
            if let Some(r) = repo {
                let changed = match (&before, &inv.commit) {
                    (Some(b), Some(_)) => r.changed_files(b, head.as_deref())?,
                    (Some(b), None) => r.changed_files(b, None)?,
                    // The first commit: everything in it (or in the working tree) is new.
                    (None, _) => r
                        .working_tree_files(&r.root)?
                        .into_iter()
                        .map(|p| p.to_string_lossy().into_owned())
                        .collect(),
                };
                trigger.changed_paths = Some(rel(changed));
            }
            json!({
                "ref": info.git_ref, "before": before.unwrap_or_else(zero_sha), "after": sha,
                "repository": repo_json, "pusher": {"name": actor}, "sender": sender,
                "head_commit": head_commit.clone(),
                "commits": if head_commit.is_null() { json!([]) } else { json!([head_commit]) },
            })
        }
        "workflow_dispatch" => {
            info.git_ref = format!("refs/heads/{branch}");
            let inputs: serde_json::Map<String, Json> = inv
                .inputs
                .iter()
                .filter_map(|i| {
                    i.split_once('=')
                        .map(|(k, v)| (k.to_owned(), Json::String(v.to_owned())))
                })
                .collect();
            json!({"inputs": inputs, "ref": info.git_ref, "repository": repo_json, "sender": sender, "workflow": ""})
        }
        "schedule" => {
            info.git_ref = format!("refs/heads/{}", inv.base.clone().unwrap_or(branch.clone()));
            json!({"schedule": "", "repository": repo_json})
        }
        _ => {
            info.git_ref = format!("refs/heads/{branch}");
            json!({"repository": repo_json, "sender": sender})
        }
    };
    if let Some(path) = &inv.event_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read event file `{}`", path.display()))?;
        let extra: Json = serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "event file `{}` is not valid JSON at line {}, column {}: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        let Json::Object(extra) = extra else {
            bail!("event file `{}` must hold a JSON object", path.display())
        };
        if let Some(action) = extra.get("action").and_then(Json::as_str) {
            trigger.action = Some(action.to_owned());
        }
        if let Json::Object(p) = &mut payload {
            for (k, v) in extra {
                p.insert(k, v);
            }
        }
    }
    trigger.git_ref = Some(info.git_ref.clone());
    info.payload = payload;
    Ok(BuiltEvent {
        info,
        trigger,
        branch,
    })
}
