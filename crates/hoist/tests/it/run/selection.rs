//! Which jobs run: dispatch inputs, filters, reruns, listing, bad configuration, platforms.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::{conclusion, job, run_id};
use crate::project::Project;
use crate::{stderr, stdout};

#[test]
fn dispatch_inputs_filters_and_skip_reasons() {
    let wf = r###"
on:
  workflow_dispatch:
    inputs:
      service:
        default: all
      dry:
        type: boolean
        default: false
      level:
        type: choice
        options: [low, high]
        default: low
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - run: echo "service=${{ inputs.service }} dry=${{ inputs.dry }} level=${{ inputs.level }} event=${{ github.event.inputs.service }}"
"###;
    let paths = "on:\n  push:\n    paths: ['src/**']\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: echo src changed\n";
    let p = Project::new(&[("dispatch.yml", wf), ("paths.yml", paths)]);
    let out = p.hoist(&["run"]);
    assert!(
        stderr(&out)
            .contains("skipping .github/workflows/dispatch.yml: it does not listen to `push`"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("skipping .github/workflows/paths.yml: none of the"),
        "{}",
        stderr(&out)
    );
    let out = p.hoist(&[
        "run",
        "-e",
        "workflow_dispatch",
        "-i",
        "service=api",
        "-i",
        "dry=true",
        "-i",
        "level=high",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        p.log(run_id(&p.last_run()))
            .contains("service=api dry=true level=high event=api")
    );
    let bad = p.hoist(&["run", "-e", "workflow_dispatch", "-i", "level=medium"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("input `level` must be one of `low`, `high`, got `medium`"),
        "{}",
        stderr(&bad)
    );
    // An uncommitted file under src/ makes the path filter match (the working tree is used).
    p.write("src/new.rs", "fn main() {}");
    let out = p.hoist(&["run", "--workflow", "paths.yml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(p.log(run_id(&p.last_run())).contains("src changed"));
}

#[test]
fn job_and_matrix_filters_and_commit_checkout() {
    let wf = r###"
on: push
jobs:
  first:
    runs-on: x
    steps:
      - run: echo first
  second:
    needs: first
    runs-on: x
    strategy:
      matrix:
        os: [linux, mac]
        v: [1, 2]
    steps:
      - uses: actions/checkout@v4
      - run: echo "second ${{ matrix.os }}-${{ matrix.v }} $(cat version.txt)"
"###;
    let p = Project::new(&[("f.yml", wf)]);
    p.write("version.txt", "committed");
    p.commit("version");
    p.write("version.txt", "uncommitted");
    assert_eq!(
        p.hoist(&["run", "--job", "second", "--matrix", "os:mac"])
            .status
            .code(),
        Some(0)
    );
    let run = p.last_run();
    let names: Vec<&str> = run["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"second (mac, 1)") && names.contains(&"second (mac, 2)"));
    assert!(p.log(run_id(&run)).contains("second mac-1 uncommitted"));
    assert_eq!(
        p.hoist(&[
            "run", "--commit", "HEAD", "--job", "second", "--matrix", "os:linux", "--matrix", "v:2"
        ])
        .status
        .code(),
        Some(0)
    );
    let log = p.log(run_id(&p.last_run()));
    assert!(log.contains("second linux-2 committed"), "{log}");
}

#[test]
fn rerun_failed_reuses_successful_jobs() {
    let wf = r###"
on: push
jobs:
  build:
    runs-on: x
    outputs:
      n: ${{ steps.c.outputs.n }}
    steps:
      - id: c
        run: echo "n=$(date +%s%N)" >> "$GITHUB_OUTPUT"
  flaky:
    needs: build
    runs-on: x
    steps:
      - run: |
          echo "build said ${{ needs.build.outputs.n }}"
          test -f "$HOME/.hoist-test-flaky-${{ github.run_number }}" || { touch "$HOME/.hoist-test-flaky-${{ github.run_number }}"; exit 1; }
"###;
    let p = Project::new(&[("flaky.yml", wf)]);
    let home = p.beside("home");
    std::fs::create_dir_all(&home).unwrap();
    let first = p.command(&["run"]).env("HOME", &home).output().unwrap();
    assert_eq!(first.status.code(), Some(1));
    let run1 = p.last_run();
    let n = job(&run1, "build")["outputs"]["n"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = p
        .command(&["runs", "rerun", &run_id(&run1).to_string(), "--failed"])
        .env("HOME", &home)
        .output()
        .unwrap();
    crate::assert_succeeded(&out);
    let run2 = p.last_run();
    assert_eq!(run2["run"]["attempt"], 2);
    assert_eq!(run2["run"]["number"], run1["run"]["number"]);
    assert_eq!(
        job(&run2, "build")["outputs"]["n"],
        n.as_str(),
        "build was reused, not rerun"
    );
    assert!(p.log(run_id(&run2)).contains(&format!("build said {n}")));
    let list = stdout(&p.hoist(&["runs", "list", "--status", "failure"]));
    assert!(
        list.contains("✗ failure") && !list.contains("attempt 2"),
        "{list}"
    );
}

#[test]
fn runs_list_filters_and_json() {
    let ok = "name: Good\non: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: 'true'\n";
    let bad =
        "name: Bad\non: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: 'false'\n";
    let p = Project::new(&[("good.yml", ok), ("bad.yml", bad)]);
    assert_eq!(p.hoist(&["run"]).status.code(), Some(1));
    let all: Value = serde_json::from_slice(&p.hoist(&["runs", "list", "--json"]).stdout).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
    let good: Value = serde_json::from_slice(
        &p.hoist(&["runs", "list", "--json", "--workflow", "good.yml"])
            .stdout,
    )
    .unwrap();
    assert_eq!(good[0]["workflow_name"], "Good");
    assert_eq!(good.as_array().unwrap().len(), 1);
    let failed: Value = serde_json::from_slice(
        &p.hoist(&["runs", "list", "--json", "--status", "failure"])
            .stdout,
    )
    .unwrap();
    assert_eq!(failed[0]["workflow_name"], "Bad");
    let other_branch: Value = serde_json::from_slice(
        &p.hoist(&["runs", "list", "--json", "--branch", "dev"])
            .stdout,
    )
    .unwrap();
    assert!(other_branch.as_array().unwrap().is_empty());
    let view = p.hoist(&["runs", "view", "999"]);
    assert_eq!(view.status.code(), Some(2));
    assert!(stderr(&view).contains("run 999 does not exist"));
}

#[test]
fn configuration_errors_are_reported_with_position() {
    let p = Project::new(&[(
        "a.yml",
        "on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: echo\n",
    )]);
    p.write("hoist.toml", "jobs = 2\nbogus = true\n");
    let out = p.hoist(&["run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("hoist.toml:2:1: unknown field `bogus`"),
        "{}",
        stderr(&out)
    );
    p.write(
        "hoist.toml",
        "[runner]\nlabels = [\"self-hosted\", \"linux\"]\n[vars]\nREGION = \"eu\"\n",
    );
    p.write(".github/workflows/a.yml", "on: push\njobs:\n  j:\n    runs-on: [self-hosted, gpu]\n    steps:\n      - run: echo ${{ vars.REGION }}\n  k:\n    runs-on: linux\n    steps:\n      - run: echo region=${{ vars.REGION }}\n");
    let out = p.hoist(&["run"]);
    assert_eq!(out.status.code(), Some(1));
    let run = p.last_run();
    assert_eq!(conclusion(&run, "j"), "failure");
    assert!(
        run["annotations"]
            .to_string()
            .contains("this runner lacks `gpu`"),
        "{}",
        run["annotations"]
    );
    assert!(p.log(run_id(&run)).contains("region=eu"));
}

#[test]
fn a_workflow_that_does_not_parse_fails_the_run_with_its_errors() {
    let good = "on: push\njobs:\n  ok:\n    runs-on: x\n    steps:\n      - run: echo fine\n";
    // Unparseable YAML: nothing of it, not even `on:`, can be read.
    let broken = "on: push\njobs:\n  j:\n    runs-on: x\n    steps: [\n      - run: echo\n";
    let p = Project::new(&[("good.yml", good), ("broken.yml", broken)]);
    let out = p.hoist(&["run"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("error: `.github/workflows/broken.yml` is not a valid workflow"),
        "{err}"
    );
    assert!(err.contains(".github/workflows/broken.yml:"), "{err}");
    assert!(!err.contains("reusable workflow"), "{err}");
    // The valid workflow still ran, as on GitHub.
    assert_eq!(p.last_run()["run"]["conclusion"], "success");

    // Named on its own, it fails as well; so does valid YAML that is not a valid workflow.
    let out = p.hoist(&["run", "--workflow", "broken.yml"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("is not a valid workflow"));
    p.write(
        ".github/workflows/broken.yml",
        "on: push\njobs:\n  j:\n    runs-on: x\n    steps: 5\n",
    );
    let out = p.hoist(&["run", "--workflow", "broken.yml"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("broken.yml:5:"), "{err}");
    // One that is not triggered by this event is skipped as before, errors or not.
    p.write(
        ".github/workflows/broken.yml",
        "on: pull_request\njobs:\n  j:\n    runs-on: x\n    steps: 5\n",
    );
    let out = p.hoist(&["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn jobs_for_other_platforms_and_containers_are_skipped_with_the_reason() {
    let wf = r#"on: push
jobs:
  linux:
    runs-on: ubuntu-latest
    steps:
      - run: echo on-linux
  win:
    runs-on: windows-latest
    steps:
      - run: echo on-windows
  mac:
    runs-on: [macos-14]
    steps:
      - run: echo on-mac
  legs:
    strategy:
      matrix:
        os: [ubuntu-22.04, windows-2022]
    runs-on: ${{ matrix.os }}
    steps:
      - run: echo leg-${{ matrix.os }}
  alpine:
    runs-on: ubuntu-latest
    container: alpine:3.20
    steps:
      - run: echo in-alpine
  db:
    runs-on: ubuntu-latest
    services:
      postgres:
        image: postgres:15
    steps:
      - run: echo with-db
  after-win:
    needs: win
    runs-on: ubuntu-latest
    steps:
      - run: echo after-win
"#;
    let p = Project::new(&[("platforms.yml", wf)]);
    let out = p.hoist(&["run"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("[win]   | skipped: no runner for `windows-latest` here; map it with `--runner-label windows-latest=host` or `[runner] labels`"),
        "{text}"
    );
    assert!(
        text.contains("[alpine]   | skipped: the job runs in `alpine:3.20`"),
        "{text}"
    );
    assert!(text.contains("--container-mode host"), "{text}");
    assert!(text.contains("5 job(s) not run on this machine:"), "{text}");
    assert!(
        text.contains("legs (windows-2022): no runner for `windows-2022` here"),
        "{text}"
    );
    assert!(
        text.contains("db: the job runs with the services `postgres`"),
        "{text}"
    );
    let run = p.last_run();
    for skipped in [
        "win",
        "mac",
        "legs (windows-2022)",
        "alpine",
        "db",
        "after-win",
    ] {
        assert_eq!(conclusion(&run, skipped), "skipped", "{skipped}");
    }
    assert_eq!(conclusion(&run, "linux"), "success");
    assert_eq!(conclusion(&run, "legs (ubuntu-22.04)"), "success");
    let log = p.log(run_id(&run));
    assert!(
        log.contains("on-linux") && log.contains("leg-ubuntu-22.04"),
        "{log}"
    );
    for absent in [
        "on-windows",
        "on-mac",
        "leg-windows",
        "in-alpine",
        "with-db",
        "after-win",
    ] {
        assert!(!log.contains(absent), "{absent} ran:\n{log}");
    }
    // The history keeps the reason with the job.
    assert!(
        log.contains("skipped: no runner for `macos-14` here"),
        "{log}"
    );

    // Mapped to this machine, they run; a container job then runs on the host, warned.
    let out = p.hoist(&[
        "run",
        "--runner-label",
        "windows-latest=host",
        "--container-mode",
        "host",
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("2 job(s) not run on this machine:"), "{text}");
    let run = p.last_run();
    for ran in ["win", "alpine", "db", "after-win"] {
        assert_eq!(conclusion(&run, ran), "success", "{ran}");
    }
    assert_eq!(conclusion(&run, "mac"), "skipped");
    let log = p.log(run_id(&run));
    assert!(
        log.contains("on-windows") && log.contains("in-alpine"),
        "{log}"
    );
    assert!(
        log.contains(
            "Warning: this job asks to run in `alpine:3.20`; it runs on this machine instead"
        ),
        "{log}"
    );

    let out = p.hoist(&["run", "--runner-label", "windows-latest"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("must be written as `LABEL=host`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn no_workflows_directory_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .arg("run")
        .current_dir(dir.path())
        .env("HOIST_DATA_DIR", dir.path().join("d"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no `.github/workflows` directory"));
    let _ = Path::new("");
}
