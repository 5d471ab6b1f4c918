//! `hoist hook pre-receive|post-receive`: what the hooks of a hosted repository run. Git
//! gives the pushed refs on standard input (`old new name` per line) and the push options
//! in `GIT_PUSH_OPTION_*`; the hook hands them to the server that wrote it and prints the
//! server's messages, which git shows the pusher as `remote: …` lines. A refused
//! `pre-receive` exits 1, and git refuses the push.

use std::io::Read;

use anyhow::Context;

use crate::cli::GitHook;
use crate::commands::Outcome;
use crate::output;
use crate::remote::runtime;

pub(crate) fn run(hook: GitHook) -> anyhow::Result<Outcome> {
    let var = |name: &str| {
        std::env::var(name).with_context(|| format!("`{name}` is not set: this runs from a hosted repository's hook, which `hoist serve` writes"))
    };
    let server = var("HOIST_HOOK_SERVER")?;
    let repo = var("HOIST_HOOK_REPO")?;
    let token_file = var("HOIST_HOOK_TOKEN_FILE")?;
    let token = std::fs::read_to_string(&token_file)
        .with_context(|| format!("cannot read the server's token from `{token_file}`"))?;
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("cannot read the pushed refs")?;
    let updates = input
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            Some(hoist_server::RefUpdate {
                old: fields.next()?.to_owned(),
                new: fields.next()?.to_owned(),
                name: fields.next()?.to_owned(),
            })
        })
        .collect();
    let count: usize = std::env::var("GIT_PUSH_OPTION_COUNT")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let options = (0..count)
        .filter_map(|i| std::env::var(format!("GIT_PUSH_OPTION_{i}")).ok())
        .collect();
    let pusher = std::env::var("HOIST_PUSHER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "git".to_owned());
    let report = hoist_server::HookReport {
        updates,
        pusher,
        options,
    };
    let name = match hook {
        GitHook::PreReceive => "pre-receive",
        GitHook::PostReceive => "post-receive",
    };
    let client = hoist_server::Client::new(&server, token.trim());
    let answer = match runtime()?.block_on(client.hook(&repo, name, &report)) {
        Ok(answer) => answer,
        // Without the server nothing can be checked: a pre-receive refuses (protected
        // branches stay protected); a post-receive lets the push stand and says so.
        Err(e) => {
            output::stderr(&format!(
                "hoist: cannot reach the server at {server}: {e}\n"
            ));
            return Ok(match hook {
                GitHook::PreReceive => Outcome::Failure,
                GitHook::PostReceive => Outcome::Success,
            });
        }
    };
    for message in &answer.messages {
        output::stderr(&format!("hoist: {message}\n"));
    }
    Ok(match hook {
        GitHook::PreReceive if !answer.allowed => Outcome::Failure,
        _ => Outcome::Success,
    })
}
