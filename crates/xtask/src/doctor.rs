//! `cargo xtask doctor`: every test dependency, found or missing, with its version and place.

use anyhow::Result;
use hoist_testbed::tools;
use serde_json::json;

use crate::probe::{self, Found};

/// One row of the report.
#[derive(Debug)]
struct Row {
    name: String,
    /// The pinned version, or the Debian package for system commands.
    wanted: String,
    status: &'static str,
    found: String,
    purpose: &'static str,
}

/// Prints the report; returns whether everything is present.
pub(crate) fn run(json: bool) -> Result<bool> {
    let mut rows = Vec::new();
    for command in tools::SYSTEM {
        let found = command.find();
        rows.push(Row {
            name: command.command.to_owned(),
            wanted: format!("(Debian `{}`)", command.package),
            status: if found.is_some() { "found" } else { "missing" },
            found: found.map(|p| p.display().to_string()).unwrap_or_default(),
            purpose: command.purpose,
        });
    }
    for tool in tools::TOOLS {
        let (status, found) = match probe::find(tool) {
            Found::Cache(p) => ("found", p.display().to_string()),
            Found::OnPath(p) => ("found", p.display().to_string()),
            Found::Missing { other: None } => ("missing", String::new()),
            Found::Missing {
                other: Some((p, version)),
            } => ("other version", format!("{} ({version})", p.display())),
        };
        rows.push(Row {
            name: tool.name.to_owned(),
            wanted: tool.version.to_owned(),
            status,
            found,
            purpose: tool.purpose,
        });
    }
    for corpus in tools::CORPORA {
        let found = corpus.is_installed();
        rows.push(Row {
            name: corpus.name.to_owned(),
            wanted: corpus.version.to_owned(),
            status: if found { "found" } else { "missing" },
            found: if found {
                corpus.dir().display().to_string()
            } else {
                String::new()
            },
            purpose: corpus.purpose,
        });
    }
    let all_found = rows.iter().all(|r| r.status == "found");
    if json {
        let rows: Vec<_> = rows
            .iter()
            .map(|r| {
                json!({"name": r.name, "version": r.wanted, "status": r.status,
                       "path": r.found, "purpose": r.purpose})
            })
            .collect();
        let doc = json!({"cache": tools::cache_dir(), "ok": all_found, "dependencies": rows});
        crate::say_out(&serde_json::to_string_pretty(&doc)?);
        return Ok(all_found);
    }
    crate::say_out(&format!("cache: {}", tools::cache_dir().display()));
    let width = |f: fn(&Row) -> usize| rows.iter().map(f).max().unwrap_or(0);
    let (w_name, w_wanted, w_status) = (
        width(|r| r.name.len()).max(4),
        width(|r| r.wanted.len()).max(7),
        width(|r| r.status.len()).max(6),
    );
    crate::say_out(&format!(
        "{:w_name$}  {:w_wanted$}  {:w_status$}  WHERE",
        "NAME", "VERSION", "STATUS"
    ));
    for r in &rows {
        let place = if r.found.is_empty() {
            r.purpose.to_owned()
        } else {
            r.found.clone()
        };
        crate::say_out(&format!(
            "{:w_name$}  {:w_wanted$}  {:w_status$}  {place}",
            r.name, r.wanted, r.status
        ));
    }
    if !all_found {
        crate::say_out(&format!(
            "\nrun `{}` to install what is missing",
            tools::SETUP_COMMAND
        ));
    }
    Ok(all_found)
}
