//! `hoist check migrations [DIR]`: the migration guardrail.

use std::path::PathBuf;

use anyhow::{Context, bail};
use hoist_diagnostics::{FileReport, render_human, render_json, render_sarif};
use hoist_migrations::{MigrationFile, Tool, check};

use crate::cli::{Format, MigrationsArgs};
use crate::commands::Outcome;
use crate::output;

pub(crate) fn run(args: &MigrationsArgs) -> anyhow::Result<Outcome> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("db/migrations"));
    if !dir.is_dir() {
        bail!(
            "no migrations directory `{}`; name it: `hoist check migrations path/to/migrations`",
            dir.display()
        );
    }
    let tool = args.tool.as_deref().and_then(Tool::parse);
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot list `{}`", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    let mut files = Vec::new();
    for path in entries {
        // Only what a migration tool would read: SQL files (others are left alone).
        if path.extension().is_none_or(|x| x != "sql") {
            continue;
        }
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
        files.push(MigrationFile {
            path: path.display().to_string(),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        });
    }
    let checked = check(&files, tool);
    let mut by_file: std::collections::HashMap<&str, Vec<hoist_diagnostics::Diagnostic>> =
        std::collections::HashMap::new();
    for (file, d) in &checked.diagnostics {
        by_file.entry(file.as_str()).or_default().push(d.clone());
    }
    let mut reports: Vec<FileReport> = Vec::new();
    for file in &files {
        let Some(diagnostics) = by_file.remove(file.path.as_str()) else {
            continue;
        };
        let mut report = FileReport {
            path: file.path.clone(),
            text: file.text.clone(),
            diagnostics,
        };
        report.sort();
        reports.push(report);
    }
    let errors: usize = reports.iter().map(FileReport::error_count).sum();
    match args.format {
        Format::Text => {
            let out: String = reports.iter().map(render_human).collect();
            output::stdout(&out);
            output::stderr(&format!(
                "checked {} migration(s) in `{}` ({}): {errors} error(s)\n",
                checked.migrations.len(),
                dir.display(),
                checked.tool.map_or("no known layout", Tool::name)
            ));
        }
        Format::Json => output::stdout(&render_json(&reports)),
        Format::Sarif => output::stdout(&render_sarif(
            "hoist",
            env!("CARGO_PKG_VERSION"),
            hoist_migrations::RULES,
            &reports,
        )),
    }
    Ok(if errors > 0 {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}
