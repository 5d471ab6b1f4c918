//! `hoist env protect | list` and `hoist deployments`.

use anyhow::bail;

use crate::cli::{DeploymentsArgs, EnvCommand, ServerFlags};
use crate::commands::Outcome;
use crate::output;
use crate::remote::{self, runtime};

fn client(flags: &ServerFlags) -> anyhow::Result<hoist_server::Client> {
    remote::client(flags.server.as_deref(), flags.token.as_deref())
}

/// The rules of an environment in one line: `reviewers alice, role:approver; wait 5m; …`.
fn rules_line(s: &hoist_store::EnvironmentSettings) -> String {
    let mut parts = Vec::new();
    if !s.reviewers.is_empty() {
        parts.push(format!(
            "reviewers {}{}",
            s.reviewers.join(", "),
            if s.prevent_self_review {
                " (not the run's author)"
            } else {
                ""
            }
        ));
    }
    if s.wait_timer > 0 {
        parts.push(format!("wait {}m", s.wait_timer));
    }
    if s.protected_branches {
        parts.push("protected branches only".to_owned());
    }
    if !s.branches.is_empty() {
        parts.push(format!("branches {}", s.branches.join(", ")));
    }
    if !s.tags.is_empty() {
        parts.push(format!("tags {}", s.tags.join(", ")));
    }
    if !s.vars.is_empty() {
        parts.push(format!(
            "vars {}",
            s.vars.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    if parts.is_empty() {
        "no rules".to_owned()
    } else {
        parts.join("; ")
    }
}

pub(crate) fn env(command: &EnvCommand) -> anyhow::Result<Outcome> {
    let rt = runtime()?;
    match command {
        EnvCommand::Protect {
            repo,
            env,
            reviewers,
            prevent_self_review,
            wait_timer,
            branches,
            tags,
            protected_branches,
            vars,
            json,
            server,
        } => {
            let client = client(server)?;
            let mut settings = hoist_store::EnvironmentSettings {
                reviewers: reviewers.clone(),
                prevent_self_review: *prevent_self_review,
                wait_timer: *wait_timer,
                branches: branches.clone(),
                tags: tags.clone(),
                protected_branches: *protected_branches,
                vars: Default::default(),
            };
            if vars.is_empty() {
                // Rules only: the variables it has stay.
                let known = rt.block_on(client.environments(repo))?;
                if let Some(current) = known.iter().find(|e| e.name.eq_ignore_ascii_case(env)) {
                    settings.vars = current.settings.vars.clone();
                }
            }
            for var in vars {
                let Some((name, value)) = var.split_once('=') else {
                    bail!("`--var {var}`: expected NAME=VALUE");
                };
                settings.vars.insert(name.to_owned(), value.to_owned());
            }
            let row = rt.block_on(client.protect_environment(repo, env, &settings))?;
            if *json {
                output::stdout(&format!("{}\n", serde_json::to_string_pretty(&row)?));
            } else {
                output::stderr(&format!(
                    "environment `{}` of `{repo}`: {}\n",
                    row.name,
                    rules_line(&row.settings)
                ));
            }
        }
        EnvCommand::List { repo, json, server } => {
            let envs = rt.block_on(client(server)?.environments(repo))?;
            if *json {
                output::stdout(&format!("{}\n", serde_json::to_string_pretty(&envs)?));
            } else if envs.is_empty() {
                output::stderr(&format!(
                    "`{repo}` has no environments yet; a job's `environment:` creates one, `hoist env protect` sets its rules\n"
                ));
            } else {
                let rows: Vec<Vec<String>> = envs
                    .iter()
                    .map(|e| vec![e.name.clone(), e.source.clone(), rules_line(&e.settings)])
                    .collect();
                output::stdout(&crate::table::render(
                    &["ENVIRONMENT", "SET BY", "RULES"],
                    &rows,
                ));
            }
        }
    }
    Ok(Outcome::Success)
}

pub(crate) fn deployments(args: &DeploymentsArgs) -> anyhow::Result<Outcome> {
    let rt = runtime()?;
    let rows = rt.block_on(client(&args.server)?.deployments(
        args.repo.as_deref(),
        args.environment.as_deref(),
        args.limit,
    ))?;
    if args.json {
        output::stdout(&format!("{}\n", serde_json::to_string_pretty(&rows)?));
        return Ok(Outcome::Success);
    }
    if rows.is_empty() {
        output::stderr("no deployments\n");
        return Ok(Outcome::Success);
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|d| {
            let reviewed = d
                .reviews
                .iter()
                .map(|r| format!("{} {}", r.state, r.reviewer))
                .collect::<Vec<_>>()
                .join(", ");
            vec![
                d.id.to_string(),
                d.repo.clone(),
                d.environment.clone(),
                d.state.clone(),
                format!("run {} {}", d.run_id, d.job_key),
                d.git_ref
                    .strip_prefix("refs/heads/")
                    .unwrap_or(&d.git_ref)
                    .to_owned(),
                d.sha.chars().take(8).collect(),
                d.creator.clone(),
                if reviewed.is_empty() {
                    "-".to_owned()
                } else {
                    reviewed
                },
                crate::clock::ago(d.created_at),
                d.url.clone().unwrap_or_else(|| "-".to_owned()),
            ]
        })
        .collect();
    output::stdout(&crate::table::render(
        &[
            "ID",
            "REPO",
            "ENVIRONMENT",
            "STATE",
            "JOB",
            "REF",
            "SHA",
            "BY",
            "REVIEWS",
            "CREATED",
            "URL",
        ],
        &table,
    ));
    Ok(Outcome::Success)
}
