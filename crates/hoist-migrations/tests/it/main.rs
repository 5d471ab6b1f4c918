//! Migration directories of every layout, as files in memory: what is read and reported.

#![allow(clippy::unwrap_used)] // a panic is how a test reports failure

mod differential;
mod statements;

use hoist_migrations::{MigrationFile, Tool, check};

fn files(list: &[(&str, &str)]) -> Vec<MigrationFile> {
    list.iter()
        .map(|(path, text)| MigrationFile {
            path: (*path).to_owned(),
            text: (*text).to_owned(),
        })
        .collect()
}

/// Checks the files and compares the detected tool, the migrations (`version:name:up,down`)
/// and the layout and syntax diagnostics (`file:line:col code`) with what is expected.
fn check_dir(list: &[(&str, &str)], tool: Option<Tool>, expect_tool: &str, expect: &[&str]) {
    let files = files(list);
    let checked = check(&files, tool);
    assert_eq!(checked.tool.map_or("none", Tool::name), expect_tool);
    let mut got: Vec<String> = checked
        .migrations
        .iter()
        .map(|m| {
            format!(
                "{}:{}:{}{}",
                m.version,
                m.name,
                if m.up.is_some() { "up" } else { "-" },
                if m.down.is_some() { ",down" } else { "" }
            )
        })
        .collect();
    let mut diagnostics: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|(_, d)| d.code.starts_with("migration-"))
        .map(|(file, d)| {
            format!(
                "{file}:{}:{} {}",
                d.span.start.line, d.span.start.column, d.code
            )
        })
        .collect();
    diagnostics.sort();
    got.extend(diagnostics);
    assert_eq!(got, expect, "{:#?}", checked.diagnostics);
}

#[test]
fn a_good_golang_migrate_history_reports_nothing() {
    check_dir(
        &[
            (
                "001_create_routes.up.sql",
                "CREATE TABLE routes (id bigint PRIMARY KEY, path text NOT NULL);\n",
            ),
            ("001_create_routes.down.sql", "DROP TABLE routes;\n"),
            (
                "002_route_kind.up.sql",
                "CREATE TYPE route_kind AS ENUM ('http', 'grpc');\nALTER TABLE routes ADD COLUMN kind route_kind;\n",
            ),
            (
                "002_route_kind.down.sql",
                "ALTER TABLE routes DROP COLUMN kind;\nDROP TYPE route_kind;\n",
            ),
            ("README.md", "not a migration"),
        ],
        None,
        "golang-migrate",
        &["001:create_routes:up,down", "002:route_kind:up,down"],
    );
}

#[test]
fn collisions_missing_downs_ignored_files_and_syntax_errors_are_reported_on_their_files() {
    check_dir(
        &[
            ("001_init.up.sql", "CREATE TABLE t (id int);\n"),
            ("001_init.down.sql", "DROP TABLE t;\n"),
            ("002_add_a.up.sql", "ALTER TABLE t ADD COLUMN a int;\n"),
            ("002_add_b.up.sql", "ALTER TABLE t ADD COLUMN b int;\n"),
            ("003_index.up.sql", "CREATE INDEX i ON t (a);\nSELEC 1;\n"),
            ("003_index.down.sql", "-- nothing to undo\n"),
            ("004_notes.sql", "SELECT 1;\n"),
            (
                "0005_backfill.up.sql",
                "-- hoist:irreversible: data cannot come back\nUPDATE t SET a = 0;\n",
            ),
            ("02_again.up.sql", "SELECT 2;\n"),
        ],
        None,
        "golang-migrate",
        &[
            "001:init:up,down",
            "002:add_a:up",
            "003:index:up,down",
            "0005:backfill:up",
            "002_add_a.up.sql:1:1 migration-missing-down",
            "002_add_b.up.sql:1:1 migration-version-collision",
            "003_index.down.sql:1:1 migration-missing-down",
            "003_index.up.sql:2:1 migration-syntax",
            "004_notes.sql:1:1 migration-ignored-file",
        ]
        .into_iter()
        .chain(["02_again.up.sql:1:1 migration-version-collision"])
        .collect::<Vec<_>>(),
    );
}

#[test]
fn flyway_versions_compare_as_numbers() {
    check_dir(
        &[
            ("V1__init.sql", "CREATE TABLE t (id int);\n"),
            ("V1.0__again.sql", "CREATE TABLE u (id int);\n"),
            ("V2__more.sql", "ALTER TABLE t ADD COLUMN x int;\n"),
            ("U2__more.sql", "ALTER TABLE t DROP COLUMN x;\n"),
            ("R__views.sql", "CREATE OR REPLACE VIEW v AS SELECT 1;\n"),
            ("notes.sql", "SELECT 1;\n"),
        ],
        None,
        "flyway",
        &[
            // File names sort `V1.0__` before `V1__`: the second one read is the collision.
            "1.0:again:up",
            "2:more:up,down",
            "R:views:views:up",
            "V1__init.sql:1:1 migration-version-collision",
            "notes.sql:1:1 migration-ignored-file",
        ],
    );
}

#[test]
fn dbmate_and_goose_sections() {
    check_dir(
        &[
            (
                "20240101000000_init.sql",
                "-- migrate:up\nCREATE TABLE t (id int);\n\n-- migrate:down\nDROP TABLE t;\n",
            ),
            (
                "20240102000000_more.sql",
                "-- migrate:up\nALTER TABLE t ADD COLUMN x int;\n-- migrate:down\n",
            ),
        ],
        None,
        "dbmate",
        &[
            "20240101000000:init:up,down",
            "20240102000000:more:up,down",
            "20240102000000_more.sql:1:1 migration-missing-down",
        ],
    );
    check_dir(
        &[(
            "00001_init.sql",
            "-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE t (id int);\n-- +goose StatementEnd\n-- +goose Down\nDROP TABLE t;\nDROP TABL u;\n",
        )],
        None,
        "goose",
        &["00001:init:up,down", "00001_init.sql:7:1 migration-syntax"],
    );
}

#[test]
fn sqlx_plain_migrations_need_no_down_and_the_tool_can_be_named() {
    check_dir(
        &[
            ("20240101_init.sql", "CREATE TABLE t (id int);\n"),
            (
                "20240102_more.sql",
                "DO $$ BEGIN RAISE NOTICE 'x'; END $$;\nREINDEX TABLE t;\nDROP INDEX CONCURRENTLY IF EXISTS i;\n",
            ),
        ],
        Some(Tool::Sqlx),
        "sqlx",
        &["20240101:init:up", "20240102:more:up"],
    );
    check_dir(&[("notes.txt", "x")], None, "none", &[]);
    check_dir(
        &[("init.sql", "SELECT 1;")],
        None,
        "none",
        &["init.sql:1:1 migration-layout"],
    );
}

/// The lints of one migration pair: `line code severity` for each finding of the up, then the
/// down.
fn lints(tool: Tool, up: &str, down: &str) -> Vec<String> {
    let files = files(&[("001_x.up.sql", up), ("001_x.down.sql", down)]);
    let checked = check(&files, Some(tool));
    let mut out: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|(_, d)| !d.code.starts_with("migration-"))
        .map(|(f, d)| {
            format!(
                "{} {}:{} {} {}",
                if f.contains(".up.") { "up" } else { "down" },
                d.span.start.line,
                d.span.start.column,
                d.code,
                if d.is_error() { "error" } else { "warning" }
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn dangerous_operations_in_ups_and_the_profile_of_downs() {
    let up = "CREATE INDEX routes_path ON routes (path);
ALTER TABLE routes ADD CONSTRAINT fk FOREIGN KEY (owner) REFERENCES owners (id);
ALTER TABLE routes ALTER COLUMN path TYPE varchar(100);
ALTER TABLE routes RENAME COLUMN path TO route_path;
ALTER TABLE routes DROP COLUMN legacy;
-- hoist:allow index-not-concurrent (a new, empty table)
CREATE INDEX fresh_idx ON fresh (id);
";
    let down = "DROP INDEX routes_path;\nALTER TABLE routes ADD COLUMN legacy text;\n";
    assert_eq!(
        lints(Tool::GolangMigrate, up, down),
        [
            "up 1:1 index-not-concurrent error",
            // No `SET lock_timeout` first (reported once, at the first statement that locks).
            "up 1:1 missing-lock-timeout warning",
            "up 2:20 constraint-not-valid error",
            "up 3:38 column-type-change error",
            "up 3:43 varchar-length warning",
            "up 4:20 rename error",
            "up 5:20 drop error",
        ],
    );
    // Safe forms report nothing; a down may drop what its up created.
    let up = "SET lock_timeout = '2s';
CREATE INDEX CONCURRENTLY routes_owner ON routes (owner);
ALTER TABLE routes ADD CONSTRAINT fk FOREIGN KEY (owner) REFERENCES owners (id) NOT VALID;
ALTER TABLE routes ADD COLUMN note text;
";
    let down = "DROP INDEX CONCURRENTLY routes_owner;\nALTER TABLE routes DROP CONSTRAINT fk;\nALTER TABLE routes DROP COLUMN note;\n";
    let found = lints(Tool::Flyway, up, down);
    assert!(found.is_empty(), "{found:?}");
    // golang-migrate runs a file of several statements in a transaction, where CONCURRENTLY
    // cannot run (alone in its file, it runs outside one).
    let found = lints(
        Tool::GolangMigrate,
        "CREATE INDEX CONCURRENTLY i ON t (a);\nCREATE INDEX CONCURRENTLY j ON t (b);\n",
        "DROP INDEX i;\n",
    );
    assert_eq!(
        found,
        [
            "up 1:1 missing-lock-timeout warning",
            "up 1:14 concurrently-in-transaction error",
            "up 2:14 concurrently-in-transaction error"
        ]
    );
    let alone = lints(
        Tool::GolangMigrate,
        "CREATE INDEX CONCURRENTLY i ON t (a);\n",
        "DROP INDEX i;\n",
    );
    assert_eq!(alone, ["up 1:1 missing-lock-timeout warning"]);
}

proptest::proptest! {
    #[test]
    fn arbitrary_files_never_panic(
        names in proptest::collection::vec("[0-9A-Za-z_.]{0,12}(\\.up|\\.down)?\\.sql", 0..6),
        texts in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..200), 0..6),
    ) {
        let files: Vec<MigrationFile> = names
            .iter()
            .zip(texts.iter())
            .map(|(n, t)| MigrationFile { path: n.clone(), text: String::from_utf8_lossy(t).into_owned() })
            .collect();
        for tool in [None, Some(Tool::GolangMigrate), Some(Tool::Dbmate), Some(Tool::Goose), Some(Tool::Flyway)] {
            let _ = check(&files, tool);
        }
    }
}

#[test]
fn against_the_base_branch_migrations_are_append_only() {
    let base = files(&[
        ("001_a.up.sql", "CREATE TABLE a (id bigint);\n"),
        ("001_a.down.sql", "DROP TABLE a;\n"),
        ("003_c.up.sql", "CREATE TABLE c (id bigint);\n"),
        ("003_c.down.sql", "DROP TABLE c;\n"),
        ("004_d.up.sql", "CREATE TABLE d (id bigint);\n"),
        ("004_d.down.sql", "DROP TABLE d;\n"),
    ]);
    let now = files(&[
        (
            "001_a.up.sql",
            "CREATE TABLE a (id bigint);\nCREATE TABLE a2 (id bigint);\n",
        ),
        ("001_a.down.sql", "DROP TABLE a;\n"),
        ("002_b.up.sql", "CREATE TABLE b (id bigint);\n"),
        ("002_b.down.sql", "DROP TABLE b;\n"),
        ("003_c.up.sql", "CREATE TABLE c (id bigint);\n"),
        ("003_c.down.sql", "DROP TABLE c;\n"),
        ("005_e.up.sql", "CREATE TABLE e (id bigint);\n"),
        ("005_e.down.sql", "DROP TABLE e;\n"),
    ]);
    let mut found: Vec<String> =
        hoist_migrations::compare_with_base(&now, &check(&now, None), &base)
            .iter()
            .map(|(f, d)| format!("{f}:{} {}", d.span.start.line, d.code))
            .collect();
    found.sort();
    assert_eq!(
        found,
        // Both files of 004 were deleted; they are reported on the directory's first file.
        [
            "001_a.up.sql:1 migration-deleted",
            "001_a.up.sql:1 migration-deleted",
            "001_a.up.sql:2 migration-edited",
            "002_b.up.sql:1 migration-out-of-order",
        ]
    );
}

#[test]
fn flyway_versions_order_by_their_numbers() {
    // `1.10` is after `1.2`, as Flyway runs them; text order and decimal fractions say the
    // opposite.
    check_dir(
        &[
            ("V1.10__later.sql", "CREATE TABLE l (id bigint);\n"),
            ("V1.2__sooner.sql", "CREATE TABLE s (id bigint);\n"),
        ],
        None,
        "flyway",
        &["1.2:sooner:up", "1.10:later:up"],
    );
    let history = |base: &[(&str, &str)], now: &[(&str, &str)]| -> Vec<String> {
        let (base, now) = (files(base), files(now));
        hoist_migrations::compare_with_base(&now, &check(&now, None), &base)
            .iter()
            .map(|(f, d)| format!("{f} {}", d.code))
            .collect()
    };
    let v1_2 = ("V1.2__sooner.sql", "CREATE TABLE s (id bigint);\n");
    let v1_10 = ("V1.10__later.sql", "CREATE TABLE l (id bigint);\n");
    assert_eq!(history(&[v1_2], &[v1_2, v1_10]), Vec::<String>::new());
    assert_eq!(
        history(&[v1_10], &[v1_10, v1_2]),
        ["V1.2__sooner.sql migration-out-of-order"]
    );
}
