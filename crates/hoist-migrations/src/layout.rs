//! How each migration tool names and splits its migrations, and the layout mistakes that
//! make a tool skip, reorder or refuse them.

use std::collections::BTreeMap;

use hoist_diagnostics::{Diagnostic, Position, Span};
use regex::Regex;

/// The tools whose layouts are known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tool {
    /// `NNN_name.up.sql` / `NNN_name.down.sql`.
    GolangMigrate,
    /// `<version>_<name>.sql`, or `.up.sql` / `.down.sql` for reversible ones.
    Sqlx,
    /// `V<ver>__desc.sql`, `U<ver>__desc.sql` (undo), `R__desc.sql` (repeatable).
    Flyway,
    /// One file, `-- migrate:up` and `-- migrate:down` sections.
    Dbmate,
    /// One file, `-- +goose Up` and `-- +goose Down` sections.
    Goose,
}

impl Tool {
    pub const ALL: [Tool; 5] = [
        Tool::GolangMigrate,
        Tool::Sqlx,
        Tool::Flyway,
        Tool::Dbmate,
        Tool::Goose,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Tool::GolangMigrate => "golang-migrate",
            Tool::Sqlx => "sqlx",
            Tool::Flyway => "flyway",
            Tool::Dbmate => "dbmate",
            Tool::Goose => "goose",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Whether the tool runs each migration file in one transaction (so `CONCURRENTLY`
    /// cannot be used in it without opting out).
    pub fn runs_in_transaction(self) -> bool {
        matches!(
            self,
            Tool::GolangMigrate | Tool::Dbmate | Tool::Sqlx | Tool::Goose
        )
    }
}

/// A file of the migrations directory: its name (as shown) and text.
#[derive(Clone, Debug)]
pub struct MigrationFile {
    pub path: String,
    pub text: String,
}

/// Where one direction of a migration is: a file, and the byte range of its SQL in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub file: String,
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Debug)]
pub struct Migration {
    pub version: String,
    pub name: String,
    pub up: Option<Part>,
    pub down: Option<Part>,
    /// Marked `-- hoist:irreversible`: no down is expected.
    pub irreversible: bool,
}

/// Migrations read as `tool` (or the detected tool) lays them out, with layout diagnostics.
pub fn read_migrations(files: &[MigrationFile], tool: Option<Tool>) -> crate::Checked {
    let mut diagnostics = Vec::new();
    let tool = tool.or_else(|| detect(files));
    let Some(tool) = tool else {
        if files.iter().any(|f| f.path.ends_with(".sql")) {
            let first = files.iter().find(|f| f.path.ends_with(".sql"));
            diagnostics.push((
                first.map(|f| f.path.clone()).unwrap_or_default(),
                file_error(
                    "migration-layout",
                    "these files follow no migration tool's layout".to_owned(),
                    "name them as your tool does (`001_init.up.sql` for golang-migrate, `V1__init.sql` for Flyway, ...) or pass `--tool`",
                ),
            ));
        }
        return crate::Checked {
            tool: None,
            migrations: Vec::new(),
            diagnostics,
        };
    };
    let mut by_version: BTreeMap<VersionKey, Migration> = BTreeMap::new();
    let mut seen_names: BTreeMap<VersionKey, (String, String)> = BTreeMap::new();
    let mut sorted: Vec<&MigrationFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    for file in sorted {
        let base = file.path.rsplit('/').next().unwrap_or(&file.path);
        if !base.ends_with(".sql") {
            continue;
        }
        let Some(named) = name_of(tool, base) else {
            diagnostics.push((
                file.path.clone(),
                file_error(
                    "migration-ignored-file",
                    format!(
                        "{} ignores `{base}`: it is not named as its migrations are",
                        tool.name()
                    ),
                    ignored_hint(tool),
                ),
            ));
            continue;
        };
        let key = version_key(tool, &named.version);
        // One version, one migration: a second name for it is a collision.
        if let Some((first_file, first_name)) = seen_names.get(&key)
            && *first_name != named.name
        {
            diagnostics.push((
                file.path.clone(),
                file_error(
                    "migration-version-collision",
                    format!(
                        "version `{}` is used again: `{base}` and `{first_file}` are two migrations with one version",
                        named.version
                    ),
                    "give each migration a version of its own (the next free one)",
                ),
            ));
            continue;
        }
        seen_names
            .entry(key.clone())
            .or_insert((base.to_owned(), named.name.clone()));
        let migration = by_version.entry(key).or_insert_with(|| Migration {
            version: named.version.clone(),
            name: named.name.clone(),
            up: None,
            down: None,
            irreversible: false,
        });
        if file.text.contains("hoist:irreversible") {
            migration.irreversible = true;
        }
        match named.direction {
            Direction::Up => migration.up = Some(whole(file)),
            Direction::Down => migration.down = Some(whole(file)),
            Direction::Both => {
                let (up, down) = sections(tool, file);
                migration.up = up;
                migration.down = down;
            }
            Direction::UpOnly => {
                migration.up = Some(whole(file));
                migration.irreversible = true;
            }
        }
    }
    let migrations: Vec<Migration> = by_version.into_values().collect();
    let texts: std::collections::HashMap<&str, &str> = files
        .iter()
        .map(|f| (f.path.as_str(), f.text.as_str()))
        .collect();
    for m in &migrations {
        let file =
            m.up.as_ref()
                .or(m.down.as_ref())
                .map(|p| p.file.clone())
                .unwrap_or_default();
        if m.irreversible || tool == Tool::Flyway {
            continue;
        }
        let empty_down = m.down.as_ref().is_some_and(|d| {
            texts
                .get(d.file.as_str())
                .and_then(|t| t.get(d.start..d.end))
                .is_some_and(|sql| !has_statement(sql))
        });
        if m.down.is_none() || empty_down {
            let what = if empty_down {
                "an empty down"
            } else {
                "no down"
            };
            // An empty down is shown where it is; a missing one at its up.
            let file = match (&m.down, empty_down) {
                (Some(down), true) => down.file.clone(),
                _ => file,
            };
            diagnostics.push((
                file,
                file_error(
                    "migration-missing-down",
                    format!("migration `{}` ({}) has {what}, so it cannot be rolled back", m.version, m.name),
                    "write the down that undoes it, or mark the up `-- hoist:irreversible` when it truly cannot be undone",
                ),
            ));
        }
    }
    crate::Checked {
        tool: Some(tool),
        migrations,
        diagnostics,
    }
}

/// The layout the files follow: sections in files first (they name files like sqlx does),
/// then Flyway's prefixes, then `.up.sql` pairs, then plain numbered files.
fn detect(files: &[MigrationFile]) -> Option<Tool> {
    let sql: Vec<&MigrationFile> = files.iter().filter(|f| f.path.ends_with(".sql")).collect();
    if sql.iter().any(|f| f.text.contains("-- migrate:up")) {
        return Some(Tool::Dbmate);
    }
    if sql
        .iter()
        .any(|f| f.text.to_ascii_lowercase().contains("-- +goose up"))
    {
        return Some(Tool::Goose);
    }
    let base = |f: &&MigrationFile| f.path.rsplit('/').next().unwrap_or(&f.path).to_owned();
    if sql
        .iter()
        .any(|f| name_of(Tool::Flyway, &base(f)).is_some())
    {
        return Some(Tool::Flyway);
    }
    if sql.iter().any(|f| f.path.ends_with(".up.sql")) {
        return Some(Tool::GolangMigrate);
    }
    if sql.iter().any(|f| name_of(Tool::Sqlx, &base(f)).is_some()) {
        return Some(Tool::Sqlx);
    }
    None
}

enum Direction {
    Up,
    Down,
    /// Both, in sections of one file.
    Both,
    /// An up with no down by design (sqlx's simple migrations, Flyway's versioned ones).
    UpOnly,
}

struct Named {
    version: String,
    name: String,
    direction: Direction,
}

/// The file-name pattern of each tool, compiled once.
fn pattern(tool: Tool) -> Option<&'static Regex> {
    static PATTERNS: std::sync::LazyLock<Vec<(Tool, Option<Regex>)>> =
        std::sync::LazyLock::new(|| {
            Tool::ALL
                .into_iter()
                .map(|tool| {
                    let source = match tool {
                        Tool::GolangMigrate => r"^(\d+)_(.+)\.(up|down)\.sql$",
                        Tool::Sqlx => r"^(\d+)_(.+?)(?:\.(up|down))?\.sql$",
                        Tool::Flyway => r"^([VU])(\d+(?:[._]\d+)*)__(.+)\.sql$|^(R)__(.+)\.sql$",
                        Tool::Dbmate | Tool::Goose => r"^(\d+)_(.+)\.sql$",
                    };
                    (tool, Regex::new(source).ok())
                })
                .collect()
        });
    PATTERNS
        .iter()
        .find(|(t, _)| *t == tool)
        .and_then(|(_, re)| re.as_ref())
}

fn name_of(tool: Tool, base: &str) -> Option<Named> {
    let c = pattern(tool)?.captures(base)?;
    let text = |i: usize| c.get(i).map(|m| m.as_str().to_owned());
    Some(match tool {
        Tool::Flyway => match (text(1), text(4)) {
            (Some(kind), _) => Named {
                version: text(2)?,
                name: text(3)?,
                direction: if kind == "U" {
                    Direction::Down
                } else {
                    Direction::UpOnly
                },
            },
            // Repeatable migrations have no version; their name is their identity.
            (None, Some(_)) => Named {
                version: format!("R:{}", text(5)?),
                name: text(5)?,
                direction: Direction::UpOnly,
            },
            _ => return None,
        },
        Tool::Dbmate | Tool::Goose => Named {
            version: text(1)?,
            name: text(2)?,
            direction: Direction::Both,
        },
        Tool::GolangMigrate | Tool::Sqlx => Named {
            version: text(1)?,
            name: text(2)?,
            direction: match text(3).as_deref() {
                Some("up") => Direction::Up,
                Some("down") => Direction::Down,
                _ => Direction::UpOnly,
            },
        },
    })
}

/// A version as the tool orders and identifies it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum VersionKey {
    /// Its numbers: `001` is `[1]`; Flyway's dotted parts with trailing zeros dropped, so `1`
    /// and `1.0` are one version and `1.10` comes after `1.2`.
    Numbered(Vec<u128>),
    /// A version that is not a number: after the numbered ones, by its text.
    Other(String),
    /// Flyway's repeatable migrations (`R:name`), which run after every versioned one.
    Repeatable(String),
}

pub(crate) fn version_key(tool: Tool, version: &str) -> VersionKey {
    if let Some(name) = version.strip_prefix("R:") {
        return VersionKey::Repeatable(name.to_owned());
    }
    let numbers: Option<Vec<u128>> = if tool == Tool::Flyway {
        version.split(['.', '_']).map(|p| p.parse().ok()).collect()
    } else {
        version.parse().ok().map(|n| vec![n])
    };
    match numbers {
        Some(mut numbers) => {
            while numbers.len() > 1 && numbers.last() == Some(&0) {
                numbers.pop();
            }
            VersionKey::Numbered(numbers)
        }
        None => VersionKey::Other(version.to_owned()),
    }
}

fn whole(file: &MigrationFile) -> Part {
    Part {
        file: file.path.clone(),
        start: 0,
        end: file.text.len(),
    }
}

/// The up and down sections of a dbmate or goose file.
fn sections(tool: Tool, file: &MigrationFile) -> (Option<Part>, Option<Part>) {
    let (up_marker, down_marker) = match tool {
        Tool::Dbmate => ("-- migrate:up", "-- migrate:down"),
        _ => ("-- +goose up", "-- +goose down"),
    };
    let lower = file.text.to_ascii_lowercase();
    let up = lower.find(up_marker);
    let down = lower.find(down_marker);
    let line_end = |at: usize| lower[at..].find('\n').map_or(lower.len(), |n| at + n + 1);
    let part = |start: usize, end: usize| Part {
        file: file.path.clone(),
        start,
        end,
    };
    match (up, down) {
        (Some(u), Some(d)) if u < d => (
            Some(part(line_end(u), d)),
            Some(part(line_end(d), lower.len())),
        ),
        (Some(u), Some(d)) => (
            Some(part(line_end(u), lower.len())),
            Some(part(line_end(d), u)),
        ),
        (Some(u), None) => (Some(part(line_end(u), lower.len())), None),
        (None, Some(d)) => (None, Some(part(line_end(d), lower.len()))),
        (None, None) => (Some(part(0, lower.len())), None),
    }
}

/// Whether SQL text holds anything but whitespace and comments.
fn has_statement(sql: &str) -> bool {
    sql.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with("--")
    })
}

fn file_error(code: &'static str, message: String, hint: &str) -> Diagnostic {
    Diagnostic::error(code, Span::on_line(Position::new(1, 1), 1), message).with_hint(hint)
}

fn ignored_hint(tool: Tool) -> &'static str {
    match tool {
        Tool::GolangMigrate => {
            "name it `NNN_name.up.sql` (and its undo `NNN_name.down.sql`), or move it out of the migrations directory"
        }
        Tool::Sqlx => "name it `<version>_<name>.sql` (or `.up.sql`/`.down.sql`), or move it out",
        Tool::Flyway => {
            "name it `V<version>__<description>.sql` (undo: `U<version>__...`, repeatable: `R__...`), or move it out"
        }
        Tool::Dbmate | Tool::Goose => "name it `<version>_<name>.sql`, or move it out",
    }
}
