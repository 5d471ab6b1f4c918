//! The reversibility proof of `hoist check migrations --postgres` (or `--database URL`): on a
//! real PostgreSQL every migration is applied, its schema dumped, undone, dumped again, which
//! must equal the dump from before it, and applied once more, which must succeed.
//!
//! Guarantees: the first migration that fails a step ends the proof (the ones after it build
//! on its schema), and that failure is reported at the file and, where psql says, the line.

use hoist_diagnostics::{Diagnostic, Position, Span};
use hoist_migrations::{Checked, Migration, MigrationFile, Part};

use hoist_postgres::Postgres;

/// What was proven: how many migrations went up, down and up again cleanly, and the failure.
pub(crate) struct Proof {
    pub(crate) proven: usize,
    pub(crate) findings: Vec<(String, Diagnostic)>,
}

pub(crate) fn prove(
    pg: &Postgres,
    files: &[MigrationFile],
    checked: &Checked,
) -> anyhow::Result<Proof> {
    let mut proof = Proof {
        proven: 0,
        findings: Vec::new(),
    };
    let text_of = |part: &Part| -> Option<(&MigrationFile, &str)> {
        let file = files.iter().find(|f| f.path == part.file)?;
        Some((file, file.text.get(part.start..part.end)?))
    };
    for m in &checked.migrations {
        let Some(up) = &m.up else { continue };
        let Some((up_file, up_sql)) = text_of(up) else {
            continue;
        };
        let before = pg.schema()?;
        if let Some(failure) = apply(pg, up_sql, up_file, up)? {
            proof.findings.push(failed(
                &up_file.path,
                failure,
                format!("the up of `{}` ({}) fails on PostgreSQL", m.version, m.name),
            ));
            break;
        }
        let Some(down) = m.down.as_ref().filter(|_| !m.irreversible) else {
            continue;
        };
        let Some((down_file, down_sql)) = text_of(down) else {
            continue;
        };
        if let Some(failure) = apply(pg, down_sql, down_file, down)? {
            proof.findings.push(failed(
                &down_file.path,
                failure,
                format!(
                    "the down of `{}` ({}) fails on PostgreSQL",
                    m.version, m.name
                ),
            ));
            break;
        }
        let after = pg.schema()?;
        if after != before {
            proof
                .findings
                .push((down_file.path.clone(), not_reversible(m, &before, &after)));
            break;
        }
        if let Some(failure) = apply(pg, up_sql, up_file, up)? {
            proof.findings.push(failed(
                &up_file.path,
                failure,
                format!(
                    "the up of `{}` ({}) fails when applied again after its down",
                    m.version, m.name
                ),
            ));
            break;
        }
        proof.proven += 1;
    }
    Ok(proof)
}

/// psql's error for SQL that failed: the message and the line in the file, where it says.
struct Failure {
    message: String,
    line: u32,
}

/// Runs `sql`, the text of `part` of `file`; a failure is located in the file.
fn apply(
    pg: &Postgres,
    sql: &str,
    file: &MigrationFile,
    part: &Part,
) -> anyhow::Result<Option<Failure>> {
    let out = pg.run_sql(sql)?;
    if out.status.success() {
        return Ok(None);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let first = stderr
        .lines()
        .find(|l| l.contains("ERROR"))
        .unwrap_or(stderr.trim());
    // `psql:<stdin>:3: ERROR:  ...`: line 3 of the part.
    let line_in_part: u32 = first
        .strip_prefix("psql:<stdin>:")
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let offset_lines = file.text[..part.start.min(file.text.len())]
        .matches('\n')
        .count() as u32;
    let message = first
        .split_once("ERROR:")
        .map_or(first, |(_, m)| m)
        .trim()
        .to_owned();
    Ok(Some(Failure {
        message,
        line: offset_lines + line_in_part,
    }))
}

fn failed(file: &str, failure: Failure, what: String) -> (String, Diagnostic) {
    (
        file.to_owned(),
        Diagnostic::error(
            "migration-apply",
            Span::on_line(Position::new(failure.line, 1), 1),
            format!("{what}: {}", failure.message),
        )
        .with_hint("the migrations after it were not tried: they build on its schema"),
    )
}

/// The schema after up and down differs from before the up: say what was left behind and
/// what went missing.
fn not_reversible(m: &Migration, before: &[String], after: &[String]) -> Diagnostic {
    let show = |lines: Vec<&String>| -> String {
        let mut shown: Vec<String> = lines
            .iter()
            .take(4)
            .map(|l| format!("`{}`", l.trim()))
            .collect();
        if lines.len() > 4 {
            shown.push(format!("and {} more line(s)", lines.len() - 4));
        }
        shown.join(", ")
    };
    let left: Vec<&String> = after.iter().filter(|l| !before.contains(l)).collect();
    let gone: Vec<&String> = before.iter().filter(|l| !after.contains(l)).collect();
    let mut parts = Vec::new();
    if !left.is_empty() {
        parts.push(format!("leaves behind {}", show(left)));
    }
    if !gone.is_empty() {
        parts.push(format!("does not restore {}", show(gone)));
    }
    if parts.is_empty() {
        parts.push("changes the order of the schema".to_owned());
    }
    Diagnostic::error(
        "migration-not-reversible",
        Span::on_line(Position::new(1, 1), 1),
        format!(
            "the down of `{}` ({}) does not undo its up: it {}",
            m.version,
            m.name,
            parts.join("; ")
        ),
    )
    .with_hint("make the down drop or restore exactly what the up changed")
}
