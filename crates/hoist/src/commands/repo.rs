//! `hoist repo`: a server's repositories: hosted ones created, settings and branch
//! protection changed, `repository_dispatch` events sent.

use anyhow::{Context, bail};
use serde_json::json;

use crate::cli::{RepoCommand, ServerFlags};
use crate::commands::Outcome;
use crate::output;
use crate::remote::{self, runtime};

pub(crate) fn client(flags: &ServerFlags) -> anyhow::Result<hoist_server::Client> {
    remote::client(flags.server.as_deref(), flags.token.as_deref())
}

/// The trimmed contents of `file`, which holds a secret.
fn secret_from(file: &std::path::Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read `{}`", file.display()))?;
    Ok(text.trim().to_owned())
}

fn print_repo(repo: &hoist_server::RepoView) {
    let mut text = format!(
        "{}{}\n  clone: {}\n",
        repo.name,
        if repo.hosted { " (hosted)" } else { "" },
        repo.clone_url
    );
    if let Some(b) = &repo.default_branch {
        text.push_str(&format!("  default branch: {b}\n"));
    }
    if let Some(f) = &repo.forge_name {
        text.push_str(&format!("  forge name: {f}\n"));
    }
    text.push_str(&format!(
        "  webhook secret: {}\n",
        if repo.webhook_secret { "set" } else { "none" }
    ));
    for p in &repo.protections {
        text.push_str(&format!(
            "  protected: {} (requires {})\n",
            p.branch,
            if p.require.is_empty() {
                "no checks".to_owned()
            } else {
                p.require.join(", ")
            }
        ));
    }
    output::stdout(&text);
}

pub(crate) fn run(command: &RepoCommand) -> anyhow::Result<Outcome> {
    let rt = runtime()?;
    match command {
        RepoCommand::Create {
            name,
            default_branch,
            json,
            server,
        } => {
            let repo = rt.block_on(client(server)?.create_repo(name, Some(default_branch)))?;
            if *json {
                output::stdout(&format!("{}\n", serde_json::to_string_pretty(&repo)?));
            } else {
                output::stderr(&format!(
                    "created `{}`: git clone {} (any user name, a token as the password)\n",
                    repo.name, repo.clone_url
                ));
            }
        }
        RepoCommand::List { json, server } => {
            let repos = rt.block_on(client(server)?.repos())?;
            if *json {
                output::stdout(&format!("{}\n", serde_json::to_string_pretty(&repos)?));
            } else {
                let rows: Vec<Vec<String>> = repos
                    .iter()
                    .map(|r| {
                        vec![
                            r.name.clone(),
                            if r.hosted { "hosted" } else { "configured" }.to_owned(),
                            r.default_branch.clone().unwrap_or_else(|| "-".to_owned()),
                            r.protections
                                .iter()
                                .filter(|p| !p.require.is_empty())
                                .map(|p| p.branch.clone())
                                .collect::<Vec<_>>()
                                .join(","),
                            r.clone_url.clone(),
                        ]
                    })
                    .collect();
                output::stdout(&crate::table::render(
                    &["NAME", "KIND", "DEFAULT", "PROTECTED", "CLONE"],
                    &rows,
                ));
            }
        }
        RepoCommand::Set {
            name,
            webhook_secret_file,
            forge_name,
            default_branch,
            status_api,
            status_token_file,
            server,
        } => {
            let mut patch = serde_json::Map::new();
            if let Some(f) = webhook_secret_file {
                patch.insert("webhook_secret".into(), secret_from(f)?.into());
            }
            if let Some(f) = status_token_file {
                patch.insert("status_token".into(), secret_from(f)?.into());
            }
            for (key, value) in [
                ("forge_name", forge_name),
                ("default_branch", default_branch),
                ("status_api", status_api),
            ] {
                if let Some(v) = value {
                    patch.insert(key.into(), v.clone().into());
                }
            }
            if patch.is_empty() {
                bail!(
                    "nothing to set: give `--webhook-secret-file`, `--forge-name`, `--default-branch`, `--status-api` or `--status-token-file`"
                );
            }
            let repo = rt.block_on(client(server)?.update_repo(name, &patch.into()))?;
            print_repo(&repo);
        }
        RepoCommand::Protect {
            name,
            branch,
            require,
            server,
        } => {
            let repo = rt.block_on(client(server)?.protect(name, branch, Some(require)))?;
            print_repo(&repo);
        }
        RepoCommand::Unprotect {
            name,
            branch,
            server,
        } => {
            let repo = rt.block_on(client(server)?.protect(name, branch, None))?;
            print_repo(&repo);
        }
        RepoCommand::Dispatch {
            name,
            event_type,
            payload,
            json,
            server,
        } => {
            let payload: serde_json::Value = match payload {
                Some(text) => serde_json::from_str(text)
                    .with_context(|| format!("`--payload` is not JSON: `{text}`"))?,
                None => json!({}),
            };
            if !payload.is_object() {
                bail!("`--payload` must be a JSON object, like '{{\"env\": \"staging\"}}'");
            }
            let answer =
                rt.block_on(client(server)?.repository_dispatch(name, event_type, &payload))?;
            if *json {
                output::stdout(&format!("{}\n", serde_json::to_string_pretty(&answer)?));
            } else {
                let runs: Vec<String> = answer["runs"]
                    .as_array()
                    .map(|r| r.iter().map(ToString::to_string).collect())
                    .unwrap_or_default();
                output::stderr(&if runs.is_empty() {
                    format!("`{event_type}` sent; no workflow of `{name}` listens to it\n")
                } else {
                    format!("`{event_type}` sent; runs {} started\n", runs.join(", "))
                });
            }
        }
    }
    Ok(Outcome::Success)
}
