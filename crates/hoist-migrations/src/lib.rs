//! Migration guardrails: a directory of schema migrations read as the tool that applies them
//! reads it (golang-migrate, sqlx, Flyway, dbmate, goose), its layout checked (versions that
//! collide, ups without downs, files the tool would silently ignore), and every statement
//! parsed as PostgreSQL.
//!
//! Pure: callers hand in file names and texts and receive the migrations with diagnostics per
//! file. The binary reads the directory and prints.

mod history;
mod layout;
mod lint;
mod syntax;

pub use history::compare_with_base;
pub use layout::{Migration, MigrationFile, Part, Tool, read_migrations};

use hoist_diagnostics::{Diagnostic, SarifRule};

/// The result of checking a directory: the tool, its migrations in order, and diagnostics
/// by file (as the file was named).
#[derive(Debug)]
pub struct Checked {
    pub tool: Option<Tool>,
    pub migrations: Vec<Migration>,
    pub diagnostics: Vec<(String, Diagnostic)>,
}

/// Reads the migrations of `files` (as `tool` lays them out, or as detected) and checks their
/// layout and the syntax of every part.
pub fn check(files: &[MigrationFile], tool: Option<Tool>) -> Checked {
    let mut read = read_migrations(files, tool);
    let by_path: std::collections::HashMap<&str, &MigrationFile> =
        files.iter().map(|f| (f.path.as_str(), f)).collect();
    for migration in &read.migrations {
        let parts = [(&migration.up, false), (&migration.down, true)];
        for (part, is_down) in parts
            .into_iter()
            .filter_map(|(p, d)| p.as_ref().map(|p| (p, d)))
        {
            let Some(file) = by_path.get(part.file.as_str()) else {
                continue;
            };
            let Some(sql) = file.text.get(part.start..part.end) else {
                continue;
            };
            // One parse serves the syntax check and the lints.
            let parse = squawk_syntax::SourceFile::parse(sql);
            let errors = syntax::check(&file.text, part, &parse);
            let broken = !errors.is_empty();
            read.diagnostics
                .extend(errors.into_iter().map(|d| (part.file.clone(), d)));
            if let (Some(tool), false) = (read.tool, broken) {
                for d in lint::check(&file.text, part, &parse, tool, is_down) {
                    read.diagnostics.push((part.file.clone(), d));
                }
            }
        }
    }
    read
}

/// The syntax errors of SQL text on its own (as the text of one migration part): the verdict
/// `check` gives each part, for callers that hold statements rather than files.
pub fn syntax_errors(sql: &str) -> Vec<Diagnostic> {
    let part = Part {
        file: String::new(),
        start: 0,
        end: sql.len(),
    };
    syntax::check(sql, &part, &squawk_syntax::SourceFile::parse(sql))
}

/// Every rule code, for SARIF's rule table.
pub const RULES: &[SarifRule] = &[
    SarifRule {
        id: "migration-syntax",
        description: "A statement that does not parse as PostgreSQL.",
    },
    SarifRule {
        id: "migration-version-collision",
        description: "Two migrations with the same version (Flyway: `V1` and `V1.0` too).",
    },
    SarifRule {
        id: "migration-missing-down",
        description: "A migration with no down (or an empty one) that is not marked irreversible.",
    },
    SarifRule {
        id: "migration-ignored-file",
        description: "A file in the migrations directory that the tool would silently ignore.",
    },
    SarifRule {
        id: "index-not-concurrent",
        description: "An index created without CONCURRENTLY, which blocks writes to the table.",
    },
    SarifRule {
        id: "index-drop-not-concurrent",
        description: "An index dropped without CONCURRENTLY.",
    },
    SarifRule {
        id: "concurrently-in-transaction",
        description: "CONCURRENTLY inside a transaction, which PostgreSQL refuses.",
    },
    SarifRule {
        id: "constraint-not-valid",
        description: "A constraint added without NOT VALID, which scans the table under a lock.",
    },
    SarifRule {
        id: "volatile-default",
        description: "A column added with a volatile default, which rewrites the table.",
    },
    SarifRule {
        id: "column-type-change",
        description: "A column type change, which rewrites the table and breaks running code.",
    },
    SarifRule {
        id: "not-null-without-default",
        description: "A NOT NULL column added without a default.",
    },
    SarifRule {
        id: "rename",
        description: "A table or column renamed under code that still uses the old name.",
    },
    SarifRule {
        id: "drop",
        description: "A table, column, constraint, type or index dropped in an up migration.",
    },
    SarifRule {
        id: "missing-lock-timeout",
        description: "A statement that takes a lock without `lock_timeout` set first (hygiene).",
    },
    SarifRule {
        id: "varchar-length",
        description: "varchar(n) where text is the cheaper choice (hygiene).",
    },
    SarifRule {
        id: "timestamp-without-time-zone",
        description: "timestamp without time zone (hygiene).",
    },
    SarifRule {
        id: "int-key",
        description: "int or smallint where bigint avoids running out (hygiene).",
    },
    SarifRule {
        id: "migration-edited",
        description: "A migration already on the base branch that was changed.",
    },
    SarifRule {
        id: "migration-deleted",
        description: "A migration on the base branch that was deleted.",
    },
    SarifRule {
        id: "migration-out-of-order",
        description: "A new migration with a version older than one already on the base branch.",
    },
    SarifRule {
        id: "migration-apply",
        description: "A migration that PostgreSQL refuses (the proof of `--postgres`/`--database`).",
    },
    SarifRule {
        id: "migration-not-reversible",
        description: "A down that does not bring the schema back to where it was before its up.",
    },
    SarifRule {
        id: "migration-layout",
        description: "Files of more than one migration tool's layout, or none.",
    },
];
