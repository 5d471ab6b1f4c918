//! `hoist check migrations [DIR]`: the migration guardrail.

use std::path::PathBuf;

use anyhow::{Context, bail};
use hoist_diagnostics::FileReport;
use hoist_migrations::{MigrationFile, Tool, check, compare_with_base};

use crate::cli::MigrationsArgs;
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
    // hoist.toml of the project, if any: the tool and per-rule levels.
    let cwd = std::env::current_dir().context("cannot determine the current directory")?;
    let project = crate::project::find_project(&cwd).ok();
    let (config, config_path) =
        crate::config::Config::load(None, project.as_deref().or(Some(&cwd)))?;
    let settings = &config.migrations;
    for rule in settings.rules.keys() {
        if !hoist_migrations::RULES.iter().any(|r| r.id == rule) {
            let known: Vec<&str> = hoist_migrations::RULES.iter().map(|r| r.id).collect();
            bail!(
                "{}: `[migrations] rules` names `{rule}`, which is not a rule; the rules are {}",
                config_path.map_or_else(|| "hoist.toml".to_owned(), |p| p.display().to_string()),
                known.join(", ")
            );
        }
    }
    let tool_name = args.tool.as_deref().or(settings.tool.as_deref());
    let tool = match tool_name {
        Some(name) => Some(Tool::parse(name).with_context(|| {
            format!("`{name}` is not a migration tool Hoist knows: golang-migrate, sqlx, flyway, dbmate or goose")
        })?),
        None => None,
    };
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
    let mut checked = check(&files, tool);
    if let Some(rev) = &args.base {
        let base = base_files(&dir, rev)?;
        if args.changed_only {
            // Only what the branch adds or changes.
            let unchanged: Vec<&str> = files
                .iter()
                .filter(|f| base.iter().any(|b| b.path == f.path && b.text == f.text))
                .map(|f| f.path.as_str())
                .collect();
            checked
                .diagnostics
                .retain(|(file, _)| !unchanged.contains(&file.as_str()));
        }
        let history = compare_with_base(&files, &checked, &base);
        checked.diagnostics.extend(history);
    }
    apply_levels(&mut checked.diagnostics, &settings.rules);
    let layout_errors = checked.diagnostics.iter().any(|(_, d)| d.is_error());
    let mut proven = None;
    if args.postgres || args.database.is_some() {
        if layout_errors {
            output::stderr(
                "note: the reversibility proof needs a history without errors; fix them first\n",
            );
        } else {
            let pg = match &args.database {
                Some(url) => hoist_postgres::Postgres::at(url)?,
                None => hoist_postgres::Postgres::throwaway()
                    .context("cannot start PostgreSQL for the reversibility proof")?,
            };
            let proof = crate::migration_proof::prove(&pg, &files, &checked)?;
            proven = Some((proof.proven, pg.is_throwaway()));
            checked.diagnostics.extend(proof.findings);
        }
    }
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
    let mut summary = format!(
        "checked {} migration(s) in `{}` ({}): {errors} error(s)\n",
        checked.migrations.len(),
        dir.display(),
        checked.tool.map_or("no known layout", Tool::name)
    );
    if let Some((n, throwaway)) = proven {
        summary.push_str(&format!(
            "PostgreSQL ({}): {n} migration(s) went up, down to the same schema, and up again\n",
            if throwaway {
                "a throwaway server"
            } else {
                "the given database"
            }
        ));
    }
    let names: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    let gate = crate::gate_report::Gate {
        suite: "hoist check migrations",
        rules: hoist_migrations::RULES,
    };
    crate::gate_report::print(&gate, args.format, &names, &reports, &summary);
    Ok(if errors > 0 {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}

/// The migrations of `dir` at revision `rev`, named as the working tree's are.
fn base_files(dir: &std::path::Path, rev: &str) -> anyhow::Result<Vec<MigrationFile>> {
    let repo = hoist_git::Repository::discover(dir).with_context(|| {
        format!(
            "`--base` needs `{}` to be inside a git repository",
            dir.display()
        )
    })?;
    let absolute = std::fs::canonicalize(dir)
        .with_context(|| format!("cannot resolve `{}`", dir.display()))?;
    let root = std::fs::canonicalize(&repo.root).unwrap_or(repo.root.clone());
    let relative = absolute.strip_prefix(&root).unwrap_or(&absolute);
    repo.resolve(rev)
        .with_context(|| format!("`--base {rev}` is not a revision of this repository"))?;
    let files = repo
        .files_at(rev, relative)
        .with_context(|| format!("cannot read the migrations at `{rev}`"))?;
    Ok(files
        .into_iter()
        .filter(|(name, _)| name.ends_with(".sql"))
        .filter(|(name, _)| std::path::Path::new(name).parent() == Some(relative))
        .map(|(name, bytes)| {
            let base_name = name.rsplit('/').next().unwrap_or(&name).to_owned();
            MigrationFile {
                path: dir.join(base_name).display().to_string(),
                text: String::from_utf8_lossy(&bytes).into_owned(),
            }
        })
        .collect())
}

/// `[migrations] rules`: a rule turned off drops its findings; one given a level reports at it.
fn apply_levels(
    diagnostics: &mut Vec<(String, hoist_diagnostics::Diagnostic)>,
    levels: &std::collections::BTreeMap<String, crate::config::RuleLevel>,
) {
    use crate::config::RuleLevel;
    use hoist_diagnostics::Severity;
    diagnostics.retain_mut(|(_, d)| match levels.get(d.code) {
        Some(RuleLevel::Off) => false,
        Some(RuleLevel::Warning) => {
            d.severity = Severity::Warning;
            true
        }
        Some(RuleLevel::Error) => {
            d.severity = Severity::Error;
            true
        }
        None => true,
    });
}
