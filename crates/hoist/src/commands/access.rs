//! `hoist token` and `hoist audit`: a server's tokens and its audit log.

use anyhow::bail;

use crate::cli::{AuditArgs, ServerFlags, TokenCommand};
use crate::commands::Outcome;
use crate::output;
use crate::remote::{self, runtime};

fn client(flags: &ServerFlags) -> anyhow::Result<hoist_server::Client> {
    remote::client(flags.server.as_deref(), flags.token.as_deref())
}

pub(crate) fn token(command: &TokenCommand) -> anyhow::Result<Outcome> {
    let rt = runtime()?;
    match command {
        TokenCommand::Create {
            name,
            role,
            repos,
            server,
            json,
        } => {
            let body = hoist_server::TokenRequest {
                name: name.clone(),
                role: role.clone(),
                repos: (!repos.is_empty()).then(|| repos.clone()),
            };
            let created = rt.block_on(client(server)?.create_token(&body))?;
            if *json {
                output::stdout(&format!("{}\n", serde_json::to_string_pretty(&created)?));
            } else {
                let what = if created.role == "runner" {
                    "a runner registration token: give it to `hoist runner --token`".to_owned()
                } else if repos.is_empty() {
                    created.role.clone()
                } else {
                    format!("{}, for {}", created.role, repos.join(", "))
                };
                output::stderr(&format!(
                    "token {} for `{}` ({what}); it is shown only now:\n",
                    created.id, created.name
                ));
                output::stdout(&format!("{}\n", created.token));
            }
        }
        TokenCommand::List { server, json } => {
            let tokens = rt.block_on(client(server)?.tokens())?;
            if *json {
                output::stdout(&format!("{}\n", serde_json::to_string_pretty(&tokens)?));
            } else {
                output::stdout(&format!(
                    "{:<4} {:<20} {:<19} {:<8} {}\n",
                    "ID", "NAME", "ROLE", "STATE", "REPOSITORIES"
                ));
                for t in tokens {
                    output::stdout(&format!(
                        "{:<4} {:<20} {:<19} {:<8} {}\n",
                        t.id,
                        t.name,
                        t.kind,
                        if t.revoked { "revoked" } else { "active" },
                        t.repos.map_or_else(|| "all".to_owned(), |r| r.join(","))
                    ));
                }
            }
        }
        TokenCommand::Revoke { id, server } => {
            rt.block_on(client(server)?.revoke_token(*id))?;
            output::stderr(&format!("token {id} revoked\n"));
        }
    }
    Ok(Outcome::Success)
}

pub(crate) fn audit(args: &AuditArgs) -> anyhow::Result<Outcome> {
    let since = match &args.since {
        Some(age) => Some(crate::clock::now_ms() - age_ms(age)?),
        None => None,
    };
    let query = hoist_server::AuditQuery {
        repo: args.repo.clone(),
        since,
        limit: Some(args.limit),
    };
    let rows = runtime()?.block_on(client(&args.server)?.audit(&query))?;
    if args.json {
        output::stdout(&format!("{}\n", serde_json::to_string_pretty(&rows)?));
        return Ok(Outcome::Success);
    }
    for row in rows {
        let at = jiff::Timestamp::from_millisecond(row.at)
            .map_or_else(|_| row.at.to_string(), |t| t.to_string());
        output::stdout(&format!(
            "{at}  {:<12} {:<14} {:<16} {}{}\n",
            row.actor,
            row.action,
            row.repo.as_deref().unwrap_or("-"),
            row.detail,
            row.run_id.map_or(String::new(), |r| format!("  run {r}"))
        ));
    }
    Ok(Outcome::Success)
}

/// `30m`, `24h`, `7d` (and `s`) in milliseconds.
fn age_ms(age: &str) -> anyhow::Result<i64> {
    let (number, unit) = age.split_at(age.len().saturating_sub(1));
    let n: i64 = number.parse().map_err(|_| {
        anyhow::anyhow!("`--since {age}`: expected a number and a unit, as in `30m`, `24h`, `7d`")
    })?;
    let unit_ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => bail!("`--since {age}`: the unit is `s`, `m`, `h` or `d`"),
    };
    Ok(n * unit_ms)
}

/// `hoist hooks deliveries`.
pub(crate) fn hooks(command: &crate::cli::HooksCommand) -> anyhow::Result<Outcome> {
    let (failed, json, server) = match command {
        crate::cli::HooksCommand::Deliveries {
            failed,
            json,
            server,
        } => (failed, json, server),
        crate::cli::HooksCommand::Redeliver { id, server } => {
            let answer = runtime()?.block_on(client(server)?.redeliver(id))?;
            output::stderr(&format!(
                "delivery `{id}` received again: {}\n",
                answer["message"].as_str().unwrap_or("accepted")
            ));
            return Ok(Outcome::Success);
        }
    };
    let rows = runtime()?.block_on(client(server)?.deliveries(*failed))?;
    if *json {
        output::stdout(&format!("{}\n", serde_json::to_string_pretty(&rows)?));
        return Ok(Outcome::Success);
    }
    output::stdout(&format!(
        "{:<38} {:<8} {:<14} {:<9} {}\n",
        "DELIVERY", "FORGE", "EVENT", "STATUS", "WHAT"
    ));
    for d in rows {
        let what = match (&d.reason, d.runs.is_empty()) {
            (Some(r), _) => r.clone(),
            (None, false) => format!(
                "runs {}",
                d.runs
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            (None, true) => String::new(),
        };
        output::stdout(&format!(
            "{:<38} {:<8} {:<14} {:<9} {what}\n",
            d.id, d.forge, d.event, d.status
        ));
    }
    Ok(Outcome::Success)
}
