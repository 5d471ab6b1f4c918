//! `hoist check`.

use crate::project::Project;
use crate::{assert_succeeded, hoist, pipeline, stderr, stdout, workspace_root};

#[test]
fn clean_pipeline_exits_zero() {
    let out = hoist(
        &["check", pipeline("valid").to_str().unwrap()],
        &workspace_root(),
    );
    assert_succeeded(&out);
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains("checked 6 workflow file(s): 0 error(s), 0 warning(s)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn broken_pipeline_exits_one_with_located_errors() {
    let dir = pipeline("broken");
    let out = hoist(&["check", "."], &dir);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains(
            ".github/workflows/ci.yml:67:5: error: unknown key `run-on` in job `lint` [unknown-key]"
        ),
        "{text}"
    );
    assert!(
        text.contains("   = hint: did you mean `runs-on`?"),
        "{text}"
    );
    assert!(
        text.contains("67 |     run-on: ubuntu-latest\n   |     ^^^^^^\n"),
        "{text}"
    );
    assert!(
        stderr(&out).contains("17 error(s), 3 warning(s)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn json_output_lists_every_diagnostic() {
    let dir = pipeline("broken");
    let out = hoist(&["check", "--format", "json", "."], &dir);
    assert_eq!(out.status.code(), Some(1));
    let items: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(items.len(), 20);
    // The cycle is reported on each of its dependencies, and at the jobs that cannot start.
    let cycle: Vec<(u64, u64)> = items
        .iter()
        .filter(|i| i["code"] == "needs-cycle")
        .map(|i| {
            assert_eq!(i["path"], "./.github/workflows/db-guardrails.yml");
            assert_eq!(i["severity"], "error");
            (i["line"].as_u64().unwrap(), i["column"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(cycle, [(13, 3), (15, 12), (32, 12)]);
}

#[test]
fn sarif_output_is_well_formed() {
    let dir = pipeline("broken");
    let out = hoist(&["check", "--format", "sarif", "."], &dir);
    assert_eq!(out.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    crate::assert_valid_sarif(&log);
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "hoist");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 20);
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rules[index]["id"], r["ruleId"],
            "ruleIndex points at the rule"
        );
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1);
        assert!(region["startColumn"].as_u64().unwrap() >= 1);
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(uri.ends_with(".yml") && !uri.contains('\\'));
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
    }
}

#[test]
fn checks_the_repository_workflows_by_default() {
    let p = Project::new(&[(
        "ci.yml",
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ matrix.os }}\n",
    )]);
    let sub = p.root().join("src/deep");
    std::fs::create_dir_all(&sub).unwrap();
    let out = hoist(&["check", "-D", "warnings"], &sub);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(
            "ci.yml:6:30: warning: `matrix.os` is used but job `build` has no `strategy.matrix`"
        ),
        "{}",
        stdout(&out)
    );
}

#[test]
fn warnings_alone_exit_zero_and_can_be_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("w.yml");
    std::fs::write(&file, "on:\n  schedule:\n    - cron: '* * * * *'\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: echo\n").unwrap();
    let out = hoist(&["check", "w.yml"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("warning: cron `* * * * *` runs every 1 minute(s)"));
    let quiet = hoist(&["check", "--no-warnings", "w.yml"], dir.path());
    assert_eq!(stdout(&quiet), "");
}

#[test]
fn usage_errors_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    let missing = hoist(&["check", "nope.yml"], dir.path());
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("`nope.yml` does not exist"),
        "{}",
        stderr(&missing)
    );
    let no_repo = hoist(&["check"], dir.path());
    assert_eq!(no_repo.status.code(), Some(2));
    assert!(
        stderr(&no_repo).contains("no `.github/workflows` directory"),
        "{}",
        stderr(&no_repo)
    );
    let bad_flag = hoist(&["check", "--format", "xml"], dir.path());
    assert_eq!(bad_flag.status.code(), Some(2));
}

#[test]
fn warnings_pass_unless_denied() {
    let dir = tempfile::tempdir().unwrap();
    // GitHub runs this; the reference to a step that does not exist is only a warning.
    std::fs::write(
        dir.path().join("w.yml"),
        "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ steps.nope.outputs.x }}\n",
    )
    .unwrap();
    let out = hoist(&["check", "w.yml"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("warning:"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("0 error(s), 1 warning(s)"),
        "{}",
        stderr(&out)
    );
    for deny in [
        &["--deny-warnings"][..],
        &["-D", "warnings"],
        &["-Dwarnings"],
    ] {
        let mut args = vec!["check", "w.yml"];
        args.extend_from_slice(deny);
        let out = hoist(&args, dir.path());
        assert_eq!(out.status.code(), Some(1), "{deny:?}: {}", stderr(&out));
    }
    let out = hoist(&["check", "w.yml", "-D", "errors"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let out = hoist(&["check", "w.yml", "--no-warnings"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert!(!stdout(&out).contains("warning:"));
}

#[test]
fn labels_of_the_projects_runners_are_known() {
    let p = Project::new(&[(
        "ci.yml",
        "on: push\njobs:\n  train:\n    runs-on: [linux, gpu]\n    steps:\n      - run: echo\n",
    )]);
    let out = p.hoist(&["check"]);
    assert!(
        stdout(&out).contains("no GitHub-hosted or configured runner has the label `gpu`"),
        "{}",
        stdout(&out)
    );
    p.write("hoist.toml", "[runner]\nlabels = [\"linux\", \"gpu\"]\n");
    let out = p.hoist(&["check", "-D", "warnings"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn run_scripts_are_linted_with_shellcheck_at_their_lines() {
    // The real shellcheck; the test fails, naming the setup command, where it is missing.
    hoist_testbed::program("shellcheck");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("w.yml"),
        r#"on: push
jobs:
  linux:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "${{ github.sha }}" ${{ github.ref }}
          cd $HOME/build
      - shell: sh
        run: echo $1
      - shell: python
        run: print($HOME)
  windows:
    runs-on: windows-latest
    steps:
      - run: cd $HOME
"#,
    )
    .unwrap();
    let out = hoist(
        &[
            "check",
            "w.yml",
            "--shellcheck",
            "always",
            "--format",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let items: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(u64, u64, String)> = items
        .iter()
        .map(|i| {
            assert_eq!(i["code"], "shellcheck");
            assert_eq!(i["severity"], "warning");
            let sc = i["message"]
                .as_str()
                .unwrap()
                .split(':')
                .next()
                .unwrap()
                .to_owned();
            (
                i["line"].as_u64().unwrap(),
                i["column"].as_u64().unwrap(),
                sc,
            )
        })
        .collect();
    // Line 8: `cd` without `|| exit` and an unquoted `$HOME`; line 10 (sh): unquoted `$1`.
    // Nothing for the placeholders of `${{ }}`, the Python step or the Windows job.
    assert_eq!(
        found,
        [
            (8, 11, "SC2164".to_owned()),
            (8, 14, "SC2086".to_owned()),
            (10, 19, "SC2086".to_owned()),
        ],
        "{items:#?}"
    );
    let out = hoist(&["check", "w.yml", "--shellcheck", "never"], dir.path());
    assert!(!stdout(&out).contains("shellcheck"), "{}", stdout(&out));
}

#[test]
fn inputs_of_local_and_cached_actions_are_checked() {
    let p = Project::new(&[(
        "ci.yml",
        "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: acme/tool@v1\n        with:\n          levle: 3\n      - uses: ./.github/actions/local\n        with:\n          level: 1\n",
    )]);
    let metadata = "name: tool\ninputs:\n  level:\n    required: true\nruns:\n  using: node20\n  main: index.js\n";
    // As `hoist run` left it in the action cache of the data directory.
    let cached = p.data().join("actions/acme/tool@v1/action.yml");
    std::fs::create_dir_all(cached.parent().unwrap()).unwrap();
    std::fs::write(cached, metadata).unwrap();
    p.write(".github/actions/local/action.yml", metadata);
    let out = p.hoist(&["check", "--shellcheck", "never"]);
    let text = stdout(&out);
    assert!(
        text.contains("ci.yml:8:11: warning: `acme/tool@v1` has no input `levle`; it is ignored"),
        "{text}"
    );
    assert!(text.contains("did you mean `level`?"), "{text}");
    assert!(
        text.contains("ci.yml:6:15: warning: `acme/tool@v1` needs the input `level`"),
        "{text}"
    );
    assert!(
        !text.contains("./.github/actions/local"),
        "the local action is given its input: {text}"
    );
}

#[test]
fn migrations_gate_reports_layout_and_syntax_on_their_lines() {
    let dir = workspace_root().join("crates/hoist-migrations/tests/data/broken");
    let out = hoist(
        &["check", "migrations", dir.to_str().unwrap()],
        &workspace_root(),
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    for expected in [
        "002_kind.up.sql:2:1: error: invalid PostgreSQL: expected command, found IDENT [migration-syntax]",
        "002_path.up.sql:1:1: error: version `002` is used again: `002_path.up.sql` and `002_kind.down.sql` are two migrations with one version [migration-version-collision]",
        "002_kind.down.sql:1:1: error: migration `002` (kind) has an empty down, so it cannot be rolled back [migration-missing-down]",
        "003_seed.sql:1:1: error: golang-migrate ignores `003_seed.sql`",
        "004_index.up.sql:2:1: error: During normal index creation, table updates are blocked",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    let out = hoist(
        &[
            "check",
            "migrations",
            dir.to_str().unwrap(),
            "--format",
            "sarif",
        ],
        &workspace_root(),
    );
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    crate::assert_valid_sarif(&log);
    // JUnit: a test case per file, the five with errors failing; read by Hoist's own reader of
    // test reports, as `hoist metrics` would count it.
    let out = hoist(
        &[
            "check",
            "migrations",
            dir.to_str().unwrap(),
            "--format",
            "junit",
        ],
        &workspace_root(),
    );
    let counts = hoist_metrics::junit::parse(&stdout(&out)).unwrap();
    assert_eq!(
        (counts.total, counts.failed, counts.passed),
        (8, 5, 3),
        "{}",
        stdout(&out)
    );
    // The bundled example's history is clean.
    let out = hoist(
        &["check", "migrations", "examples/platform/db/migrations"],
        &workspace_root(),
    );
    assert_succeeded(&out);
    let out = hoist(&["check", "migrations", "/nonexistent"], &workspace_root());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn migrations_are_compared_with_the_base_branch() {
    let p = Project::new(&[]);
    let write = |name: &str, text: &str| p.write(&format!("db/migrations/{name}"), text);
    write("001_a.up.sql", "CREATE TABLE a (id bigint);\n");
    write("001_a.down.sql", "DROP TABLE a;\n");
    // Already on main, and not concurrent: an old finding `--changed-only` leaves out.
    write("003_c.up.sql", "CREATE INDEX c_idx ON a (id);\n");
    write("003_c.down.sql", "DROP INDEX c_idx;\n");
    p.commit("base");
    p.git(&["checkout", "-q", "-b", "feature"]);
    write("001_a.up.sql", "CREATE TABLE a (id bigint, name text);\n");
    write("002_b.up.sql", "CREATE TABLE b (id bigint);\n");
    write("002_b.down.sql", "DROP TABLE b;\n");
    let run = |extra: &[&str]| {
        let mut args = vec!["check", "migrations", "db/migrations", "--base", "main"];
        args.extend_from_slice(extra);
        p.hoist(&args)
    };
    let out = run(&[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.contains(
            "001_a.up.sql:1:1: error: this migration is already on the base branch and has changed"
        ),
        "{text}"
    );
    assert!(
        text.contains("002_b.up.sql:1:1: error: version `002` is new but older than `003`"),
        "{text}"
    );
    assert!(text.contains("[index-not-concurrent]"), "{text}");
    let out = run(&["--changed-only"]);
    let text = stdout(&out);
    assert!(!text.contains("[index-not-concurrent]"), "{text}");
    assert!(
        text.contains("[migration-edited]") && text.contains("[migration-out-of-order]"),
        "{text}"
    );
    let out = p.hoist(&["check", "migrations", "db/migrations", "--base", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`--base nope` is not a revision"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn migrations_are_proven_reversible_on_a_real_postgres() {
    // A real server from Debian's packages; the test fails, naming the setup, without one.
    hoist_testbed::tools::system_command("initdb");
    let root = workspace_root();
    let out = hoist(
        &[
            "check",
            "migrations",
            "examples/platform/db/migrations",
            "--postgres",
        ],
        &root,
    );
    assert_succeeded(&out);
    assert!(
        stderr(&out).contains("8 migration(s) went up, down to the same schema, and up again"),
        "{}",
        stderr(&out)
    );

    let broken = root.join("crates/hoist-migrations/tests/data/irreversible");
    let out = hoist(
        &[
            "check",
            "migrations",
            broken.to_str().unwrap(),
            "--postgres",
        ],
        &root,
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.contains("002_route_kind.down.sql:1:1: error: the down of `002` (route_kind) does not undo its up: it leaves behind `CREATE TYPE public.route_kind AS ENUM (`"),
        "{text}"
    );

    // An up that PostgreSQL refuses is reported at its line.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("001_a.up.sql"),
        "CREATE TABLE a (id bigint);\nALTER TABLE missing ADD COLUMN x text;\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("001_a.down.sql"), "DROP TABLE a;\n").unwrap();
    let out = hoist(
        &[
            "check",
            "migrations",
            dir.path().to_str().unwrap(),
            "--postgres",
        ],
        &root,
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.contains("001_a.up.sql:2:1: error: the up of `001` (a) fails on PostgreSQL: relation \"missing\" does not exist [migration-apply]"),
        "{text}"
    );
}

#[test]
fn migration_rules_can_be_turned_off_or_raised_in_hoist_toml() {
    let p = Project::new(&[]);
    p.write(
        "db/migrations/001_a.up.sql",
        "SET lock_timeout = '1s';\nCREATE TABLE a (id int PRIMARY KEY);\nALTER TABLE a RENAME TO b;\n",
    );
    p.write("db/migrations/001_a.down.sql", "DROP TABLE b;\n");
    let out = p.hoist(&["check", "migrations"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("error: ") && text.contains("[rename]"),
        "{text}"
    );
    assert!(
        text.contains("warning: ") && text.contains("[int-key]"),
        "{text}"
    );
    p.write(
        "hoist.toml",
        "[migrations]\ntool = \"golang-migrate\"\nrules = { rename = \"off\", int-key = \"error\" }\n",
    );
    let out = p.hoist(&["check", "migrations"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(!text.contains("[rename]"), "{text}");
    assert!(
        text.contains("error: Using 32-bit integer fields"),
        "{text}"
    );
    p.write(
        "hoist.toml",
        "[migrations]\nrules = { renames = \"off\" }\n",
    );
    let out = p.hoist(&["check", "migrations"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("names `renames`, which is not a rule"),
        "{}",
        stderr(&out)
    );
}
