//! `hoist pr` and `hoist status`: pull requests of a server's repositories and the checks
//! of their commits.

use std::time::{Duration, Instant};

use crate::cli::{PrCommand, StatusArgs};
use crate::commands::Outcome;
use crate::commands::repo::client;
use crate::output;
use crate::remote::runtime;

/// Whether the server refused because the checked thing is not ready (405, 409): the
/// command's exit code 1, not a tool error.
fn refused_as_failure(e: &hoist_server::ServerError) -> bool {
    matches!(e, hoist_server::ServerError::Refused { message }
        if message.starts_with("405") || message.starts_with("409"))
}

fn checks_text(checks: &[hoist_server::CommitStatus]) -> String {
    let rows: Vec<Vec<String>> = checks
        .iter()
        .map(|c| {
            vec![
                c.state.clone(),
                c.context.clone(),
                c.description.clone(),
                c.target_url.clone(),
            ]
        })
        .collect();
    crate::table::render(&["STATE", "CHECK", "DESCRIPTION", "RUN"], &rows)
}

fn print_pull(view: &hoist_server::PullView) {
    let p = &view.pull;
    let mut text = format!(
        "#{} {}\n  {} into {} · {} · by {}\n  head {} · base {} · {}\n",
        p.number,
        p.title,
        p.head_ref,
        p.base_ref,
        p.state,
        p.author,
        &p.head_sha[..p.head_sha.len().min(12)],
        &p.base_sha[..p.base_sha.len().min(12)],
        if view.mergeable {
            "mergeable"
        } else {
            "conflicts with its base"
        }
    );
    text.push_str(&format!("  checks: {}\n", view.checks_state));
    if !view.checks.is_empty() {
        text.push('\n');
        text.push_str(&checks_text(&view.checks));
    }
    if !view.blocking.is_empty() {
        text.push_str("\nblocking the merge:\n");
        for b in &view.blocking {
            text.push_str(&format!("  - {b}\n"));
        }
    }
    output::stdout(&text);
}

pub(crate) fn run(command: &PrCommand) -> anyhow::Result<Outcome> {
    let rt = runtime()?;
    match command {
        PrCommand::Open {
            repo,
            head,
            base,
            title,
            json,
            server,
        } => {
            let view = rt.block_on(client(server)?.open_pull(
                &repo.repo,
                head,
                base.as_deref(),
                title.as_deref(),
            ))?;
            if *json {
                output::stdout(&format!("{}\n", serde_json::to_string_pretty(&view)?));
            } else {
                output::stderr(&format!(
                    "opened pull request #{}: `{}` into `{}`; runs {}\n",
                    view.pull.number,
                    view.pull.head_ref,
                    view.pull.base_ref,
                    if view.runs.is_empty() {
                        "none".to_owned()
                    } else {
                        view.runs
                            .iter()
                            .map(i64::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ));
            }
            Ok(Outcome::Success)
        }
        PrCommand::List {
            repo,
            state,
            json,
            server,
        } => {
            let pulls = rt.block_on(client(server)?.pulls(&repo.repo, state.as_str()))?;
            if *json {
                output::stdout(&format!("{}\n", serde_json::to_string_pretty(&pulls)?));
            } else {
                let rows: Vec<Vec<String>> = pulls
                    .iter()
                    .map(|p| {
                        vec![
                            format!("#{}", p.number),
                            p.title.clone(),
                            format!("{} → {}", p.head_ref, p.base_ref),
                            p.state.clone(),
                            p.author.clone(),
                        ]
                    })
                    .collect();
                output::stdout(&crate::table::render(
                    &["NUMBER", "TITLE", "BRANCHES", "STATE", "AUTHOR"],
                    &rows,
                ));
            }
            Ok(Outcome::Success)
        }
        PrCommand::View {
            number,
            repo,
            json,
            server,
        } => {
            let view = rt.block_on(client(server)?.pull(&repo.repo, *number))?;
            if *json {
                output::stdout(&format!("{}\n", serde_json::to_string_pretty(&view)?));
            } else {
                print_pull(&view);
            }
            Ok(Outcome::Success)
        }
        PrCommand::Merge {
            number,
            repo,
            server,
        } => match rt.block_on(client(server)?.merge_pull(&repo.repo, *number)) {
            Ok(view) => {
                output::stderr(&format!(
                    "merged pull request #{} into `{}`\n",
                    view.pull.number, view.pull.base_ref
                ));
                Ok(Outcome::Success)
            }
            Err(e) if refused_as_failure(&e) => {
                output::stderr(&format!("hoist pr merge: {e}\n"));
                Ok(Outcome::Failure)
            }
            Err(e) => Err(e.into()),
        },
        PrCommand::Close {
            number,
            repo,
            server,
        } => {
            let view = rt.block_on(client(server)?.close_pull(&repo.repo, *number))?;
            output::stderr(&format!("closed pull request #{}\n", view.pull.number));
            Ok(Outcome::Success)
        }
    }
}

/// `hoist status REF`.
pub(crate) fn status(args: &StatusArgs) -> anyhow::Result<Outcome> {
    let rt = runtime()?;
    let client = client(&args.server)?;
    let started = Instant::now();
    let status = loop {
        let status = rt.block_on(client.status(&args.repo.repo, &args.reference))?;
        if !args.wait
            || status.state != "pending"
            || started.elapsed() > Duration::from_secs(args.timeout)
        {
            break status;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    if args.json {
        output::stdout(&format!("{}\n", serde_json::to_string_pretty(&status)?));
    } else {
        output::stdout(&format!(
            "{} {}: {} ({} checks)\n",
            args.repo.repo,
            &status.sha[..status.sha.len().min(12)],
            status.state,
            status.total_count
        ));
        if !status.statuses.is_empty() {
            output::stdout(&checks_text(&status.statuses));
        }
    }
    Ok(if status.state == "success" {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}
