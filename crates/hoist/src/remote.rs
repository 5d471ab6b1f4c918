//! How the CLI reaches a server: its URL (`--server`, `HOIST_SERVER`, else the local
//! default) and the token (`--token`, `HOIST_TOKEN`, else the local server's admin token).

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::config::Config;

/// Where `hoist serve` listens unless told otherwise.
pub(crate) const DEFAULT_SERVER: &str = "http://127.0.0.1:7420";

/// The data directory of a server on this machine: `server/` in Hoist's data directory.
pub(crate) fn server_data_dir(explicit: Option<&Path>) -> PathBuf {
    explicit.map_or_else(
        || Config::default().data_dir().join("server"),
        Path::to_path_buf,
    )
}

/// A client for the server the flags (or the environment) name.
pub(crate) fn client(
    server: Option<&str>,
    token: Option<&str>,
) -> anyhow::Result<hoist_server::Client> {
    let server = server.unwrap_or(DEFAULT_SERVER);
    let token = match token {
        Some(t) => t.to_owned(),
        None => hoist_server::read_admin_token(&server_data_dir(None)).context(
            "no token: pass `--token` or set `HOIST_TOKEN` (the server's admin token is in `<data dir>/server/admin-token`)",
        )?,
    };
    Ok(hoist_server::Client::new(server, &token))
}

/// A runtime for one command's calls.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Waits until remote run `id` has completed, then prints its jobs and result (its record
/// as JSON with `json`); the outcome is the run's.
pub(crate) fn follow_run(
    rt: &tokio::runtime::Runtime,
    client: &hoist_server::Client,
    id: i64,
    json: bool,
) -> anyhow::Result<crate::commands::Outcome> {
    let run = rt.block_on(async {
        loop {
            let run = client.run(id).await?;
            if run.status == "completed" {
                return Ok::<_, hoist_server::ServerError>(run);
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    })?;
    if json {
        crate::output::stdout(&format!("{}\n", serde_json::to_string_pretty(&run)?));
    } else {
        for job in &run.jobs {
            crate::output::stdout(&format!(
                "  {:<30} {:<10} {}\n",
                job.name,
                job.conclusion.as_deref().unwrap_or(&job.status),
                job.runner.as_deref().unwrap_or("")
            ));
        }
        crate::output::stdout(&format!(
            "run {}: {}\n",
            run.id,
            run.conclusion.as_deref().unwrap_or("unknown")
        ));
    }
    Ok(if run.conclusion.as_deref() == Some("success") {
        crate::commands::Outcome::Success
    } else {
        crate::commands::Outcome::Failure
    })
}
