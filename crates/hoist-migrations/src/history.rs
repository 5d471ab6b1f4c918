//! Migrations are append-only: once on the base branch, a migration has run on databases, so
//! editing or deleting it, or adding one with an older version after it, leaves those
//! databases out of step with the files.

use std::collections::HashMap;

use hoist_diagnostics::{Diagnostic, Position, Span};

use crate::layout::{MigrationFile, VersionKey, read_migrations, version_key};

/// What changed against the base branch's migrations (`base`, same directory, same names);
/// `current` is what [`crate::check`] read from `files`.
pub fn compare_with_base(
    files: &[MigrationFile],
    current: &crate::Checked,
    base: &[MigrationFile],
) -> Vec<(String, Diagnostic)> {
    let mut out = Vec::new();
    let base_by_name: HashMap<&str, &MigrationFile> =
        base.iter().map(|f| (file_name(&f.path), f)).collect();
    let current_names: Vec<&str> = files.iter().map(|f| file_name(&f.path)).collect();
    for file in files {
        let Some(before) = base_by_name.get(file_name(&file.path)) else {
            continue;
        };
        if before.text != file.text {
            let line = first_difference(&before.text, &file.text);
            out.push((
                file.path.clone(),
                Diagnostic::error(
                    "migration-edited",
                    Span::on_line(Position::new(line, 1), 1),
                    "this migration is already on the base branch and has changed; databases that ran it will not run it again",
                )
                .with_hint("migrations are append-only: undo the edit and write a new migration for the change"),
            ));
        }
    }
    for before in base {
        if before.path.ends_with(".sql") && !current_names.contains(&file_name(&before.path)) {
            out.push((
                files.first().map(|f| f.path.clone()).unwrap_or_default(),
                Diagnostic::error(
                    "migration-deleted",
                    Span::on_line(Position::new(1, 1), 1),
                    format!(
                        "`{}` is on the base branch but deleted here; databases that ran it keep its changes",
                        file_name(&before.path)
                    ),
                )
                .with_hint("keep it, and undo what it did in a new migration"),
            ));
        }
    }
    // A new version older than the newest on the base branch never runs where that one ran.
    let base_read = read_migrations(base, current.tool);
    let Some(tool) = base_read.tool else {
        return out;
    };
    let numbered = |version: &str| {
        Some(version_key(tool, version)).filter(|k| matches!(k, VersionKey::Numbered(_)))
    };
    let newest_base = base_read
        .migrations
        .iter()
        .filter_map(|m| numbered(&m.version).map(|k| (k, &m.version)))
        .max();
    if let Some((newest, newest_text)) = newest_base {
        for m in &current.migrations {
            let on_base = base_read.migrations.iter().any(|b| b.version == m.version);
            let Some(key) = numbered(&m.version) else {
                continue;
            };
            if on_base || key >= newest {
                continue;
            }
            let file = m.up.as_ref().map(|p| p.file.clone()).unwrap_or_default();
            out.push((
                file,
                Diagnostic::error(
                    "migration-out-of-order",
                    Span::on_line(Position::new(1, 1), 1),
                    format!(
                        "version `{}` is new but older than `{newest_text}`, already on the base branch: databases that ran `{newest_text}` skip it",
                        m.version
                    ),
                )
                .with_hint(format!("give it a version after `{newest_text}`")),
            ));
        }
    }
    out
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The 1-based line where two texts first differ.
fn first_difference(a: &str, b: &str) -> u32 {
    let mut line = 1;
    for (x, y) in a.lines().zip(b.lines()) {
        if x != y {
            return line;
        }
        line += 1;
    }
    line.min(b.lines().count().max(1) as u32)
}
