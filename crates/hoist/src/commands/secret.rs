//! `hoist secret`: set, list, delete a server's secrets; rotate the key they are sealed with.
//! `hoist oidc rotate-key`: the OIDC issuer's signing key.

use std::io::{IsTerminal, Read};

use anyhow::{Context, bail};

use crate::cli::{OidcCommand, SecretCommand, SecretScopeFlags, ServerFlags};
use crate::commands::Outcome;
use crate::output;
use crate::remote::{self, runtime};

fn client(flags: &ServerFlags) -> anyhow::Result<hoist_server::Client> {
    remote::client(flags.server.as_deref(), flags.token.as_deref())
}

fn scope(flags: &SecretScopeFlags) -> hoist_server::SecretScope {
    hoist_server::SecretScope {
        repo: flags.repo.clone(),
        environment: flags.environment.clone(),
    }
}

fn described(flags: &SecretScopeFlags) -> String {
    match (&flags.repo, &flags.environment) {
        (None, _) => "of the organisation".to_owned(),
        (Some(repo), None) => format!("of `{repo}`"),
        (Some(repo), Some(env)) => format!("of `{repo}` environment `{env}`"),
    }
}

pub(crate) fn secret(command: &SecretCommand) -> anyhow::Result<Outcome> {
    let rt = runtime()?;
    match command {
        SecretCommand::Set {
            name,
            scope: flags,
            server,
        } => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                output::stderr(&format!(
                    "value of `{name}` (end with Ctrl-D; it is not echoed back later):\n"
                ));
            }
            let mut value = String::new();
            stdin
                .lock()
                .read_to_string(&mut value)
                .context("cannot read the secret's value from stdin")?;
            // `echo value | hoist secret set` and a file ending in a newline mean the value
            // without it.
            if value.ends_with('\n') {
                value.pop();
                if value.ends_with('\r') {
                    value.pop();
                }
            }
            if value.is_empty() {
                bail!("no value on stdin; pipe it in: `hoist secret set {name} < FILE`");
            }
            let created = rt.block_on(client(server)?.set_secret(name, &scope(flags), &value))?;
            output::stderr(&format!(
                "secret `{}` {} {}\n",
                name.to_ascii_uppercase(),
                described(flags),
                if created { "created" } else { "updated" }
            ));
        }
        SecretCommand::List {
            scope: flags,
            json,
            server,
        } => {
            let secrets = rt.block_on(client(server)?.secrets(&scope(flags)))?;
            if *json {
                output::stdout(&format!("{}\n", serde_json::to_string_pretty(&secrets)?));
            } else if secrets.is_empty() {
                output::stderr(&format!("no secrets {}\n", described(flags)));
            } else {
                let rows: Vec<Vec<String>> = secrets
                    .iter()
                    .map(|s| {
                        vec![
                            s.name.clone(),
                            s.environment.clone().unwrap_or_else(|| "-".to_owned()),
                            crate::clock::ago(s.updated_at),
                            s.updated_by.clone(),
                        ]
                    })
                    .collect();
                output::stdout(&crate::table::render(
                    &["NAME", "ENVIRONMENT", "UPDATED", "BY"],
                    &rows,
                ));
            }
        }
        SecretCommand::Delete {
            name,
            scope: flags,
            server,
        } => {
            rt.block_on(client(server)?.delete_secret(name, &scope(flags)))?;
            output::stderr(&format!(
                "secret `{}` {} deleted\n",
                name.to_ascii_uppercase(),
                described(flags)
            ));
        }
        SecretCommand::RotateKey { json, server } => {
            let rotation = rt.block_on(client(server)?.rotate_secret_key())?;
            if *json {
                output::stdout(&format!("{}\n", serde_json::to_string_pretty(&rotation)?));
            } else {
                output::stderr(&format!(
                    "secrets sealed under the new key `{}`: {} value(s) resealed; the previous key `{}` stays in the key file until the next rotation{}\n",
                    rotation.key,
                    rotation.resealed,
                    rotation.previous,
                    if rotation.dropped.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "; dropped {}",
                            rotation
                                .dropped
                                .iter()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }
                ));
            }
        }
    }
    Ok(Outcome::Success)
}

pub(crate) fn oidc(command: &OidcCommand) -> anyhow::Result<Outcome> {
    let rt = runtime()?;
    match command {
        OidcCommand::RotateKey { json, server } => {
            let answer = rt.block_on(client(server)?.rotate_oidc_key())?;
            if *json {
                output::stdout(&format!("{}\n", serde_json::to_string_pretty(&answer)?));
            } else {
                output::stderr(&format!(
                    "tokens are signed with the new key `{}`; `{}` stays published until the next rotation{}\n",
                    answer["key"].as_str().unwrap_or_default(),
                    answer["previous"].as_str().unwrap_or("-"),
                    match answer["dropped"].as_array() {
                        Some(d) if !d.is_empty() => format!(
                            "; no longer published: {}",
                            d.iter()
                                .filter_map(|k| k.as_str())
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        _ => String::new(),
                    }
                ));
            }
        }
    }
    Ok(Outcome::Success)
}
