//! `hoist run` and `hoist runs`: real git repositories, real processes, a real SQLite file.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::project::Project;
use crate::{stderr, stdout, workspace_root};

pub(crate) fn job<'a>(run: &'a Value, name: &str) -> &'a Value {
    run["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["name"] == name || j["key"] == name)
        .unwrap_or_else(|| panic!("no job {name} in {run:#}"))
}

pub(crate) fn conclusion(run: &Value, job_name: &str) -> String {
    job(run, job_name)["conclusion"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

pub(crate) fn step_conclusions(run: &Value, job_name: &str) -> Vec<String> {
    job(run, job_name)["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["conclusion"].as_str().unwrap_or_default().to_owned())
        .collect()
}

pub(crate) fn run_id(run: &Value) -> i64 {
    run["run"]["id"].as_i64().unwrap()
}

#[test]
fn bundled_example_runs_end_to_end() {
    let p = Project::new(&[]);
    let example = workspace_root().join("examples/platform");
    let status = Command::new("cp")
        .arg("-r")
        .arg(format!("{}/.", example.display()))
        .arg(p.root())
        .status()
        .unwrap();
    assert!(status.success());
    p.commit("example");
    let out = p.hoist(&["run", "--workflow", "ci.yml"]);
    crate::assert_succeeded(&out);
    let run = p.last_run();
    assert_eq!(run["run"]["conclusion"], "success");
    assert_eq!(run["run"]["workflow_name"], "CI");
    let discover = job(&run, "discover");
    assert_eq!(
        discover["outputs"]["services"],
        r#"["api-router-service","billing-service","model-gateway"]"#
    );
    for service in ["api-router-service", "billing-service", "model-gateway"] {
        assert_eq!(conclusion(&run, &format!("Build ({service})")), "success");
        assert_eq!(
            conclusion(&run, &format!("Test ({service}) / make test {service}")),
            "success"
        );
    }
    assert_eq!(conclusion(&run, "Metrics Upload"), "success");
    assert!(
        p.log(run_id(&run))
            .contains("api-router-service: 3 tests passed")
    );

    // A failing service: the run fails, metrics still run, the failed step's log is there.
    let out = p.hoist(&[
        "run",
        "--workflow",
        "ci.yml",
        "--var",
        "BREAK_SERVICE=billing-service",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let run = p.last_run();
    assert_eq!(run["run"]["conclusion"], "failure");
    assert_eq!(conclusion(&run, "Test (billing-service)"), "failure");
    assert_eq!(conclusion(&run, "Test (model-gateway)"), "success");
    assert_eq!(conclusion(&run, "Lint"), "skipped");
    assert_eq!(conclusion(&run, "Metrics Upload"), "success");
    let failed = stdout(&p.hoist(&["runs", "view", &run_id(&run).to_string(), "--log-failed"]));
    assert!(
        failed.contains("simulated regression in billing-service"),
        "{failed}"
    );
    assert!(
        !failed.contains("model-gateway: 3 tests passed"),
        "{failed}"
    );
}

const OUTPUTS: &str = r###"
name: outputs
on: push
jobs:
  produce:
    runs-on: ubuntu-latest
    outputs:
      list: ${{ steps.gen.outputs.list }}
      multi: ${{ steps.gen.outputs.multi }}
    steps:
      - id: gen
        run: |
          echo 'list=["a","b"]' >> "$GITHUB_OUTPUT"
          { echo 'multi<<EOF'; echo 'line one'; echo 'line two'; echo 'EOF'; } >> "$GITHUB_OUTPUT"
          echo "FROM_ENV_FILE=set by step" >> "$GITHUB_ENV"
          mkdir -p "$RUNNER_TEMP/bin" && printf '#!/bin/sh\necho tool-ran\n' > "$RUNNER_TEMP/bin/mytool" && chmod +x "$RUNNER_TEMP/bin/mytool"
          echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
          echo "## Summary of produce" >> "$GITHUB_STEP_SUMMARY"
      - run: |
          echo "env: $FROM_ENV_FILE"
          mytool
          echo "multi: ${{ steps.gen.outputs.multi }}" | head -1
  consume:
    needs: produce
    runs-on: ubuntu-latest
    strategy:
      matrix:
        item: ${{ fromJSON(needs.produce.outputs.list) }}
    steps:
      - run: echo "item=${{ matrix.item }} of ${{ strategy.job-total }} result=${{ needs.produce.result }}"
"###;

#[test]
fn outputs_env_path_summary_and_dynamic_matrix() {
    let p = Project::new(&[("outputs.yml", OUTPUTS)]);
    let out = p.hoist(&["run"]);
    crate::assert_succeeded(&out);
    let run = p.last_run();
    let produce = job(&run, "produce");
    assert_eq!(produce["outputs"]["multi"], "line one\nline two");
    assert_eq!(produce["steps"][0]["summary"], "## Summary of produce\n");
    let log = p.log(run_id(&run));
    assert!(log.contains("env: set by step"), "{log}");
    assert!(log.contains("tool-ran"), "{log}");
    assert!(log.contains("item=a of 2 result=success"), "{log}");
    assert!(log.contains("item=b of 2 result=success"), "{log}");
    assert_eq!(conclusion(&run, "consume (a)"), "success");
}

const STATUS: &str = r###"
on: push
jobs:
  steps:
    runs-on: ubuntu-latest
    steps:
      - id: soft
        continue-on-error: true
        run: exit 3
      - if: steps.soft.outcome == 'failure' && steps.soft.conclusion == 'success'
        run: echo "soft failure seen"
      - run: exit 1
      - run: echo "never printed"
      - if: failure()
        run: echo "failure handler ran"
      - if: always()
        run: echo "always ran"
      - if: success()
        run: echo "not after a failure"
  after:
    needs: steps
    runs-on: ubuntu-latest
    steps:
      - run: echo "should be skipped"
  cleanup:
    needs: steps
    if: always()
    runs-on: ubuntu-latest
    steps:
      - run: echo "cleanup saw ${{ needs.steps.result }}"
  on-failure:
    needs: steps
    if: failure()
    runs-on: ubuntu-latest
    steps:
      - run: echo "reporting failure"
"###;

#[test]
fn status_functions_and_continue_on_error() {
    let p = Project::new(&[("status.yml", STATUS)]);
    let out = p.hoist(&["run"]);
    assert_eq!(out.status.code(), Some(1));
    let run = p.last_run();
    assert_eq!(
        step_conclusions(&run, "steps"),
        [
            "success", "success", "failure", "skipped", "success", "success", "skipped"
        ]
    );
    assert_eq!(job(&run, "steps")["steps"][0]["outcome"], "failure");
    assert_eq!(job(&run, "steps")["steps"][0]["exit_code"], 3);
    assert_eq!(conclusion(&run, "after"), "skipped");
    assert_eq!(conclusion(&run, "cleanup"), "success");
    assert_eq!(conclusion(&run, "on-failure"), "success");
    let log = p.log(run_id(&run));
    assert!(log.contains("cleanup saw failure"));
    assert!(!log.contains("never printed"));
}

#[test]
fn secrets_and_add_mask_are_hidden_everywhere() {
    let wf = r###"
on: push
jobs:
  leak:
    runs-on: ubuntu-latest
    outputs:
      token: ${{ steps.s.outputs.token }}
    steps:
      - id: s
        env:
          TOKEN: ${{ secrets.API_TOKEN }}
        run: |
          echo "token is $TOKEN"
          echo "::add-mask::dynamic-value-42"
          echo "later: dynamic-value-42"
          echo "token=$TOKEN" >> "$GITHUB_OUTPUT"
          echo "::error title=Leak $TOKEN::found $TOKEN"
"###;
    let p = Project::new(&[("leak.yml", wf)]);
    let out = p.hoist(&["run", "--secret", "API_TOKEN=s3cr3t-value-xyz"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let printed = stdout(&out);
    assert!(
        !printed.contains("s3cr3t-value-xyz") && printed.contains("token is ***"),
        "{printed}"
    );
    assert!(
        !printed.contains("dynamic-value-42") && printed.contains("later: ***"),
        "{printed}"
    );
    let run = p.last_run();
    let log = p.log(run_id(&run));
    assert!(
        !log.contains("s3cr3t-value-xyz") && !log.contains("dynamic-value-42"),
        "{log}"
    );
    let annotations = run["annotations"].to_string();
    assert!(
        annotations.contains("found ***") && !annotations.contains("s3cr3t"),
        "{annotations}"
    );
    let db = std::fs::read(p.data().join("hoist.db")).unwrap();
    assert!(
        !db.windows(16).any(|w| w == b"s3cr3t-value-xyz"),
        "the secret reached the database file"
    );
}

#[test]
fn workflow_commands_become_annotations_and_groups() {
    let wf = r###"
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "::group::Setup"
          echo "inside"
          echo "::endgroup::"
          echo "::warning file=src/lib.rs,line=12,col=4::deprecated call"
          echo "::notice::just so you know"
          echo "::stop-commands::pause"
          echo "::error::not a command while stopped"
          echo "::pause::"
          echo "::debug::hidden unless verbose"
"###;
    let p = Project::new(&[("cmd.yml", wf)]);
    assert_eq!(p.hoist(&["run"]).status.code(), Some(0));
    let run = p.last_run();
    let annotations = run["annotations"].as_array().unwrap();
    assert_eq!(annotations.len(), 2, "{annotations:#?}");
    assert_eq!(annotations[0]["level"], "warning");
    assert_eq!(annotations[0]["file"], "src/lib.rs");
    assert_eq!(annotations[0]["line"], 12);
    assert_eq!(annotations[0]["column"], 4);
    assert_eq!(annotations[1]["level"], "notice");
    let log = p.log(run_id(&run));
    assert!(
        log.contains("▼ Setup") && log.contains("::error::not a command while stopped"),
        "{log}"
    );
    assert!(!log.contains("hidden unless verbose"));
}

#[test]
fn shells_working_directory_and_default_variables() {
    let wf = r###"
on: push
defaults:
  run:
    shell: bash
jobs:
  shells:
    runs-on: ubuntu-latest
    defaults:
      run:
        working-directory: sub
    steps:
      - uses: actions/checkout@v4
      - run: echo "pwd=$(basename "$PWD") pipefail=$(set -o | grep pipefail | tr -s ' \t' ' ')"
      - shell: sh
        run: echo "sh says hi"
      - shell: python
        run: |
          import os
          print("python", os.environ["GITHUB_JOB"], os.environ["GITHUB_EVENT_NAME"])
      - shell: perl -e 'print "custom shell\n"' {0}
        run: ignored
      - working-directory: .
        run: |
          echo "sha=$GITHUB_SHA ref=$GITHUB_REF name=$GITHUB_REF_NAME ci=$CI actions=$GITHUB_ACTIONS os=$RUNNER_OS"
          test -f "$GITHUB_EVENT_PATH" && grep -q '"after"' "$GITHUB_EVENT_PATH" && echo "event payload ok"
          test -f sub/file.txt && echo "checkout ok"
"###;
    let p = Project::new(&[("shells.yml", wf)]);
    p.write("sub/file.txt", "x");
    p.commit("sub");
    let sha = p.git(&["rev-parse", "HEAD"]).trim().to_owned();
    let out = p.hoist(&["run"]);
    crate::assert_succeeded(&out);
    let log = p.log(run_id(&p.last_run()));
    assert!(log.contains("pwd=sub pipefail=pipefail on"), "{log}");
    assert!(log.contains("sh says hi"));
    assert!(log.contains("python shells push"));
    assert!(log.contains("custom shell"));
    assert!(
        log.contains(&format!(
            "sha={sha} ref=refs/heads/main name=main ci=true actions=true os=Linux"
        )),
        "{log}"
    );
    assert!(
        log.contains("event payload ok") && log.contains("checkout ok"),
        "{log}"
    );
}

#[test]
fn step_timeout_kills_the_whole_process_group() {
    let wf = r###"
on: push
jobs:
  slow:
    runs-on: ubuntu-latest
    steps:
      - timeout-minutes: 0.02
        run: |
          sleep 297 &
          echo "child=$!" >> "$GITHUB_OUTPUT"
          echo "started"
          sleep 297
"###;
    let p = Project::new(&[("slow.yml", wf)]);
    let started = Instant::now();
    let out = p.hoist(&["run"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    let run = p.last_run();
    let log = p.log(run_id(&run));
    assert!(log.contains("The step has timed out"), "{log}");
    // No `sleep 297` of this run survives (a duration no other test uses: tests run at
    // once, and background.rs starts a `sleep 300` of its own).
    let ps = Command::new("pgrep")
        .args(["-f", "sleep 297"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&ps.stdout).trim().is_empty(),
        "a sleep survived the timeout"
    );
}

#[test]
fn fail_fast_cancels_the_other_matrix_jobs() {
    let wf = r###"
on: push
jobs:
  m:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        n: [fail, slow1, slow2]
    steps:
      - run: |
          if [ "${{ matrix.n }}" = fail ]; then sleep 0.5; exit 1; fi
          sleep 60
"###;
    let p = Project::new(&[("ff.yml", wf)]);
    let started = Instant::now();
    let out = p.hoist(&["run", "--jobs", "4"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    let run = p.last_run();
    assert_eq!(conclusion(&run, "m (fail)"), "failure");
    assert_eq!(conclusion(&run, "m (slow1)"), "cancelled");
    assert_eq!(conclusion(&run, "m (slow2)"), "cancelled");
}

#[test]
fn ctrl_c_sigterm_and_sighup_cancel_alike_and_cleanup_steps_still_run() {
    use nix::sys::signal::Signal;
    for (signal, seconds) in [
        (Signal::SIGINT, 125),
        (Signal::SIGTERM, 126),
        (Signal::SIGHUP, 127),
    ] {
        let wf = format!(
            r#"on: push
jobs:
  wait:
    runs-on: x
    steps:
      - run: sleep {seconds} & echo waiting; wait
      - run: echo not-after-cancel
      - if: always()
        run: echo cleanup-always
      - if: cancelled()
        run: echo cleanup-cancelled
      - if: failure()
        run: echo on-failure
      - if: success()
        run: echo on-success
  after:
    needs: wait
    if: always()
    runs-on: x
    steps:
      - run: echo after-always
  plain:
    needs: wait
    runs-on: x
    steps:
      - run: echo plain-job
"#
        );
        let p = Project::new(&[("wait.yml", &wf)]);
        let child = p
            .command(&["run"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for_log(&p, "waiting");
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), signal).unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{signal}: {}", stderr(&out));
        assert!(stderr(&out).contains(signal.as_str()), "{}", stderr(&out));
        assert_gone(&format!("sleep {seconds}"));
        let run = p.last_run();
        assert_eq!(run["run"]["conclusion"], "cancelled", "{signal}");
        assert_eq!(conclusion(&run, "wait"), "cancelled", "{signal}");
        assert_eq!(conclusion(&run, "after"), "success", "{signal}");
        assert_eq!(conclusion(&run, "plain"), "cancelled", "{signal}");
        let log = p.log(run_id(&run));
        // A step that did not start has no log at all, so its text is nowhere in it.
        for ran in ["cleanup-always", "cleanup-cancelled", "after-always"] {
            assert!(log.contains(ran), "{signal}: {ran} missing in\n{log}");
        }
        for skipped in ["not-after-cancel", "on-failure", "on-success", "plain-job"] {
            assert!(!log.contains(skipped), "{signal}: {skipped} ran:\n{log}");
        }
    }
}

#[test]
fn a_killed_run_is_marked_interrupted_and_the_database_survives() {
    // Two jobs in parallel, each with a process in the background of its step.
    let wf = "on: push\njobs:\n  wait:\n    runs-on: x\n    steps:\n      - run: sleep 122 & echo waiting; wait\n  other:\n    runs-on: x\n    steps:\n      - run: sleep 123 & sleep 124 & echo other; wait\n";
    let p = Project::new(&[("wait.yml", wf)]);
    let mut child = p
        .command(&["run", "--jobs", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_log(&p, "waiting");
    wait_for_log(&p, "other");
    assert!(processes_matching("sleep 12[234]") >= 3);
    child.kill().unwrap();
    child.wait().unwrap();
    // The steps' process groups end with the Hoist that ran them.
    assert_gone("sleep 12[234]");
    let out = p.hoist(&["runs", "list"]);
    assert!(stderr(&out).contains("was interrupted"), "{}", stderr(&out));
    let run = p.last_run();
    assert_eq!(run["run"]["conclusion"], "interrupted");
    // What the step printed before the kill is kept.
    let id = run["run"]["id"].as_i64().unwrap();
    assert!(p.log(id).contains("waiting"), "{}", p.log(id));
    let check = Command::new("sqlite3")
        .arg(p.data().join("hoist.db"))
        .arg("PRAGMA integrity_check")
        .output();
    if let Ok(check) = check
        && check.status.success()
    {
        assert_eq!(String::from_utf8_lossy(&check.stdout).trim(), "ok");
    }
    // And the next run works.
    std::fs::write(
        p.root().join(".github/workflows/wait.yml"),
        "on: push\njobs:\n  quick:\n    runs-on: x\n    steps:\n      - run: echo quick\n",
    )
    .unwrap();
    assert_eq!(p.hoist(&["run"]).status.code(), Some(0));
}

#[test]
fn what_a_killed_run_left_running_is_ended_on_the_next_start() {
    let wf = "on: push\njobs:\n  wait:\n    runs-on: x\n    steps:\n      - run: sleep 141 & echo waiting; wait\n";
    let p = Project::new(&[("wait.yml", wf)]);
    let mut child = p
        .command(&["run"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_log(&p, "waiting");
    // The step's process group, read from its background `sleep`.
    let out = Command::new("pgrep")
        .args(["-f", "sleep 141"])
        .output()
        .unwrap();
    let pid = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let pgid = stat[stat.rfind(')').unwrap() + 1..]
        .split_whitespace()
        .nth(2)
        .unwrap()
        .to_owned();
    // The first line of defence goes first: kill this step's watchdog, then Hoist.
    let watchdog = format!("hoist-watchdog {pgid}$");
    assert_eq!(
        processes_matching(&watchdog),
        1,
        "one watchdog for the step"
    );
    Command::new("pkill")
        .args(["-KILL", "-f", &watchdog])
        .status()
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        processes_matching("sleep 141"),
        1,
        "the step outlived Hoist"
    );
    // The next Hoist finds the run interrupted and ends the group it recorded.
    let out = p.hoist(&["runs", "list"]);
    let err = stderr(&out);
    assert!(err.contains("was interrupted"), "{err}");
    assert!(
        err.contains(&format!("ended process group {pgid} that a step of run")),
        "{err}"
    );
    assert_gone("sleep 141");
    // A group that is gone is not signalled again.
    let out = p.hoist(&["runs", "list"]);
    assert!(
        !stderr(&out).contains("ended process group"),
        "{}",
        stderr(&out)
    );
}

/// How many processes' command lines match `pattern` (`pgrep -f`).
fn processes_matching(pattern: &str) -> usize {
    let out = Command::new("pgrep")
        .args(["-f", pattern])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).lines().count()
}

/// Waits (10 s at most) until no process matches `pattern`; fails the test, and ends them,
/// if some are still there.
fn assert_gone(pattern: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while processes_matching(pattern) > 0 {
        if Instant::now() > deadline {
            let left = Command::new("pgrep")
                .args(["-af", pattern])
                .output()
                .unwrap();
            let _ = Command::new("pkill")
                .args(["-KILL", "-f", pattern])
                .status();
            panic!(
                "processes outlived the run: {}",
                String::from_utf8_lossy(&left.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Polls the store until a running step's log, as `hoist runs view --log` shows it, holds
/// `needle`: a running step's lines are in the store as they are printed.
fn wait_for_log(p: &Project, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = String::new();
    while Instant::now() < deadline {
        let out = p.hoist(&["runs", "list", "--json", "--limit", "1"]);
        if !out.status.success() {
            seen = format!("`runs list` failed: {}", stderr(&out));
        }
        if let Ok(v) = serde_json::from_slice::<Value>(&out.stdout)
            && let Some(id) = v[0]["id"].as_i64()
        {
            seen = p.log(id);
            if seen.contains(needle) {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no `{needle}` in the running step's log; last seen: {seen}");
}

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

const COMPOSITE_ACTION: &str = r###"
name: Greet
inputs:
  who:
    description: whom to greet
    required: true
  punctuation:
    default: "!"
  greeting:
    default: ${{ github.event_name == 'push' && 'Hello' || 'Hi' }}
outputs:
  message:
    value: ${{ steps.say.outputs.message }}
runs:
  using: composite
  steps:
    - id: say
      shell: bash
      run: |
        msg="${{ inputs.greeting }}, ${{ inputs.who }}${{ inputs.punctuation }}"
        echo "$msg"
        echo "message=$msg" >> "$GITHUB_OUTPUT"
        echo "GREETED=${{ inputs.who }}" >> "$GITHUB_ENV"
        test -f "$GITHUB_ACTION_PATH/action.yml" && echo "action path ok"
    - uses: ./.github/actions/inner
      with:
        value: nested-${{ inputs.who }}
"###;

const INNER_ACTION: &str = r###"
name: Inner
inputs:
  value: {}
runs:
  using: composite
  steps:
    - shell: sh
      run: echo "inner got ${{ inputs.value }}"
"###;

const NODE_ACTION: &str = r###"
name: Node action
inputs:
  name:
    required: true
  times:
    default: "2"
outputs:
  shout: {}
runs:
  using: node20
  main: main.js
  post: post.js
"###;

#[test]
fn composite_and_javascript_actions() {
    let wf = r###"
on: push
jobs:
  act:
    runs-on: x
    steps:
      - uses: actions/checkout@v4
      - id: greet
        uses: ./.github/actions/greet
        with:
          who: world
      - run: echo "message=${{ steps.greet.outputs.message }} env=$GREETED"
      - id: js
        uses: ./.github/actions/node
        with:
          name: hoist
          unexpected: 1
      - run: echo "js said ${{ steps.js.outputs.shout }}"
"###;
    let p = Project::new(&[("act.yml", wf)]);
    p.write(".github/actions/greet/action.yml", COMPOSITE_ACTION);
    p.write(".github/actions/inner/action.yml", INNER_ACTION);
    p.write(".github/actions/node/action.yml", NODE_ACTION);
    p.write(
        ".github/actions/node/main.js",
        "const fs = require('fs');\nconst name = process.env.INPUT_NAME, times = Number(process.env.INPUT_TIMES);\nconst shout = name.toUpperCase().repeat(times);\nconsole.log('main ran for ' + name);\nfs.appendFileSync(process.env.GITHUB_OUTPUT, `shout=${shout}\\n`);\n",
    );
    p.write(
        ".github/actions/node/post.js",
        "console.log('post ran, workspace ' + (process.env.GITHUB_WORKSPACE ? 'set' : 'unset'));\n",
    );
    p.commit("actions");
    let out = p.hoist(&["run"]);
    crate::assert_succeeded(&out);
    let run = p.last_run();
    let log = p.log(run_id(&run));
    assert!(log.contains("Hello, world!"), "{log}");
    assert!(log.contains("action path ok"), "{log}");
    assert!(log.contains("inner got nested-world"), "{log}");
    assert!(log.contains("message=Hello, world! env=world"), "{log}");
    assert!(
        log.contains("main ran for hoist") && log.contains("js said HOISTHOIST"),
        "{log}"
    );
    assert!(log.contains("post ran, workspace set"), "{log}");
    let steps: Vec<&str> = job(&run, "act")["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps.last(),
        Some(&"Post ./.github/actions/node"),
        "{steps:?}"
    );
    assert!(
        run["annotations"]
            .to_string()
            .contains("Unexpected input(s) [\\\"unexpected\\\"]"),
        "{}",
        run["annotations"]
    );
}

#[test]
fn unsupported_actions_fail_with_a_clear_message() {
    let wf =
        "on: push\njobs:\n  d:\n    runs-on: x\n    steps:\n      - uses: docker://alpine:3.20\n";
    let p = Project::new(&[("d.yml", wf)]);
    assert_eq!(p.hoist(&["run"]).status.code(), Some(1));
    let annotations = p.last_run()["annotations"].to_string();
    assert!(
        annotations.contains("docker://alpine:3.20")
            && annotations.contains("cannot run Docker actions"),
        "{annotations}"
    );
}

#[test]
fn cache_restores_across_runs_by_key_and_prefix() {
    let wf = r###"
on: push
jobs:
  c:
    runs-on: x
    steps:
      - uses: actions/checkout@v4
      - id: cache
        uses: actions/cache@v4
        with:
          path: deps
          key: deps-${{ hashFiles('lock.txt') }}
          restore-keys: |
            deps-
      - run: |
          echo "hit=${{ steps.cache.outputs.cache-hit }} matched=${{ steps.cache.outputs.cache-matched-key }}"
          if [ -f deps/built.txt ]; then echo "restored: $(cat deps/built.txt)"; else mkdir -p deps && echo "from $(cat lock.txt)" > deps/built.txt; fi
"###;
    let p = Project::new(&[("cache.yml", wf)]);
    p.write("lock.txt", "v1");
    p.commit("lock");
    assert_eq!(p.hoist(&["run"]).status.code(), Some(0));
    let log1 = p.log(run_id(&p.last_run()));
    assert!(log1.contains("hit=false matched="), "{log1}");
    assert!(log1.contains("Cache saved with key: deps-"), "{log1}");
    assert_eq!(p.hoist(&["run"]).status.code(), Some(0));
    let log2 = p.log(run_id(&p.last_run()));
    assert!(
        log2.contains("hit=true") && log2.contains("restored: from v1"),
        "{log2}"
    );
    assert!(
        !log2.contains("Cache saved"),
        "an exact hit is not saved again: {log2}"
    );
    p.write("lock.txt", "v2");
    assert_eq!(p.hoist(&["run"]).status.code(), Some(0));
    let log3 = p.log(run_id(&p.last_run()));
    assert!(
        log3.contains("hit=false matched=deps-") && log3.contains("restored: from v1"),
        "{log3}"
    );
    assert!(log3.contains("Cache saved with key"), "{log3}");
}

#[test]
fn artifacts_pass_between_jobs_and_are_listed() {
    let wf = r###"
on: push
jobs:
  make:
    runs-on: x
    steps:
      - run: mkdir -p out/sub && echo report-a > out/a.txt && echo report-b > out/sub/b.txt && echo skip > out/c.log
      - uses: actions/upload-artifact@v4
        with:
          name: reports
          path: |
            out/**/*.txt
  use:
    needs: make
    runs-on: x
    steps:
      - uses: actions/download-artifact@v4
        with:
          name: reports
          path: got
      - run: cat got/a.txt got/sub/b.txt && test ! -e got/c.log
      - uses: actions/download-artifact@v4
        with:
          name: missing
"###;
    let p = Project::new(&[("art.yml", wf)]);
    assert_eq!(p.hoist(&["run"]).status.code(), Some(1));
    let run = p.last_run();
    let artifacts = run["artifacts"].as_array().unwrap();
    assert_eq!(artifacts.len(), 1);
    assert_eq!(artifacts[0]["name"], "reports");
    assert_eq!(artifacts[0]["size"], 18);
    assert_eq!(
        step_conclusions(&run, "use"),
        ["success", "success", "failure"]
    );
    let log = p.log(run_id(&run));
    assert!(
        log.contains("report-a") && log.contains("report-b"),
        "{log}"
    );
    assert!(
        run["annotations"]
            .to_string()
            .contains("Artifact not found for name: missing (this run has: reports)")
    );
    let view = stdout(&p.hoist(&["runs", "view", &run_id(&run).to_string()]));
    assert!(
        view.contains("ARTIFACTS") && view.contains("reports (18 bytes, from make)"),
        "{view}"
    );
}

#[test]
fn setup_actions_find_toolchains_or_say_what_is_missing() {
    let wf = r###"
on: push
jobs:
  s:
    runs-on: x
    steps:
      - id: py
        uses: actions/setup-python@v5
        with:
          python-version: '3.x'
      - id: node
        uses: actions/setup-node@v4
        with:
          node-version: '>=18'
      - run: echo "python ${{ steps.py.outputs.python-version }} node ${{ steps.node.outputs.node-version }}"
      - uses: actions/setup-go@v5
        with:
          go-version: '0.99'
"###;
    let p = Project::new(&[("setup.yml", wf)]);
    assert_eq!(p.hoist(&["run"]).status.code(), Some(1));
    let run = p.last_run();
    assert_eq!(
        step_conclusions(&run, "s"),
        ["success", "success", "success", "failure"]
    );
    let log = p.log(run_id(&run));
    assert!(log.contains("python 3.") && log.contains("node "), "{log}");
    assert!(
        run["annotations"]
            .to_string()
            .contains("no go matching `0.99` on this machine"),
        "{}",
        run["annotations"]
    );
}

#[test]
fn setup_actions_find_pyenv_and_nvm_installs_by_version_spec() {
    // A home directory with toolchains as pyenv and nvm lay them out; each "toolchain" is a
    // script that prints its version.
    let home = tempfile::tempdir().unwrap();
    let fake = |rel: &str, says: &str| {
        let path = home.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, format!("#!/bin/sh\necho '{says}'\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    fake(".pyenv/versions/3.8.19/bin/python3", "Python 3.8.19");
    fake(".pyenv/versions/3.8.20/bin/python3", "Python 3.8.20");
    fake(".pyenv/versions/3.7.17/bin/python3", "Python 3.7.17");
    fake(".nvm/versions/node/v16.20.2/bin/node", "v16.20.2");
    fake(".nvm/versions/node/v17.9.1/bin/node", "v17.9.1");
    let wf = r###"
on: push
jobs:
  s:
    runs-on: x
    steps:
      - uses: actions/checkout@v4
      - id: py
        uses: actions/setup-python@v5
        with:
          python-version: '>=3.8 <3.9'
      - run: python3 --version
      - id: file
        uses: actions/setup-python@v5
      - id: node
        uses: actions/setup-node@v4
        with:
          node-version: lts/gallium
      - run: node --version
      - id: nvmrc
        uses: actions/setup-node@v4
        with:
          node-version-file: .nvmrc
      - run: echo "py=${{ steps.py.outputs.python-version }} file=${{ steps.file.outputs.python-version }} node=${{ steps.node.outputs.node-version }} nvmrc=${{ steps.nvmrc.outputs.node-version }}"
      - uses: actions/setup-python@v5
        with:
          python-version: '3.7.1'
"###;
    let p = Project::new(&[("setup.yml", wf)]);
    // setup-python reads .python-version when no version is given; .nvmrc names a version.
    p.write(".python-version", "3.7\n");
    p.write(".nvmrc", "v17\n");
    p.commit("versions");
    let out = p
        .command(&["run"])
        .env("HOME", home.path())
        .env_remove("PYENV_ROOT")
        .env_remove("NVM_DIR")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let run = p.last_run();
    let log = p.log(run_id(&run));
    assert!(
        log.contains("Python 3.8.20"),
        "the highest matching version: {log}"
    );
    assert!(log.contains("v16.20.2"), "{log}");
    assert!(
        log.contains("py=3.8.20 file=3.7.17 node=16.20.2 nvmrc=17.9.1"),
        "{log}"
    );
    // Nothing matches: the error lists what was found.
    let annotations = run["annotations"].to_string();
    assert!(
        annotations.contains("no python matching `3.7.1` on this machine"),
        "{annotations}"
    );
    assert!(
        annotations.contains("3.8.20 at ")
            && annotations.contains(".pyenv/versions/3.7.17/bin/python3"),
        "{annotations}"
    );
}

#[test]
fn workspaces_persist_between_runs_and_checkout_brings_them_up_to_date() {
    let wf = r###"
on: push
jobs:
  ws:
    runs-on: x
    steps:
      - uses: actions/checkout@v4
      - run: |
          echo "junk: $(test -e junk.txt && echo present || echo absent)"
          echo "old: $(test -e old.txt && echo present || echo absent)"
          echo "data: $(cat data.txt)"
          touch junk.txt
          echo "tmp: $(ls "$RUNNER_TEMP" | grep -c leftover || true)"
          touch "$RUNNER_TEMP/leftover"
"###;
    let p = Project::new(&[("ws.yml", wf)]);
    p.write("old.txt", "x");
    p.write("data.txt", "one");
    p.commit("files");
    assert_eq!(p.hoist(&["run"]).status.code(), Some(0));
    let log1 = p.log(run_id(&p.last_run()));
    assert!(
        log1.contains("junk: absent")
            && log1.contains("old: present")
            && log1.contains("data: one"),
        "{log1}"
    );
    std::fs::remove_file(p.root().join("old.txt")).unwrap();
    p.write("data.txt", "two");
    assert_eq!(p.hoist(&["run"]).status.code(), Some(0));
    let log2 = p.log(run_id(&p.last_run()));
    assert!(
        log2.contains("junk: absent"),
        "checkout removes files the last run left: {log2}"
    );
    assert!(
        log2.contains("old: absent") && log2.contains("data: two"),
        "{log2}"
    );
    assert!(log2.contains("tmp: 0"), "RUNNER_TEMP starts empty: {log2}");
}

#[test]
fn environment_scoped_secrets_and_vars() {
    let wf = r###"
on: push
jobs:
  plain:
    runs-on: x
    steps:
      - run: echo "plain region=${{ vars.REGION }} token=[${{ secrets.DEPLOY_TOKEN }}]"
  deploy:
    runs-on: x
    environment:
      name: production
      url: https://example.com
    steps:
      - run: echo "deploy region=${{ vars.REGION }} token=${{ secrets.DEPLOY_TOKEN }} shared=${{ secrets.SHARED }}"
"###;
    let p = Project::new(&[("env.yml", wf)]);
    p.write("hoist.toml", "[vars]\nREGION = \"us\"\n[environments.production]\nsecrets-file = \"prod.secrets\"\nvars = { REGION = \"eu\" }\n");
    p.write(
        "prod.secrets",
        "# production only\nDEPLOY_TOKEN=\"prod-token-123\"\n",
    );
    let out = p.hoist(&["run", "--secret", "SHARED=shared-value-9"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let log = p.log(run_id(&p.last_run()));
    assert!(log.contains("plain region=us token=[]"), "{log}");
    assert!(
        log.contains("deploy region=eu token=*** shared=***"),
        "{log}"
    );
}

#[test]
fn max_parallel_event_file_and_job_view() {
    let wf = r###"
on: pull_request
jobs:
  m:
    runs-on: x
    strategy:
      max-parallel: 1
      matrix:
        n: [1, 2, 3]
    steps:
      - run: |
          echo "start $(date +%s%N)" >> "$HOME/order-${{ github.run_id }}"
          sleep 0.2
          echo "end $(date +%s%N)" >> "$HOME/order-${{ github.run_id }}"
          echo "pr title: ${{ github.event.pull_request.title }} label: ${{ github.event.label }}"
"###;
    let p = Project::new(&[("mp.yml", wf)]);
    let home = p.beside("home");
    std::fs::create_dir_all(&home).unwrap();
    p.write(
        "event.json",
        r#"{"label": "from-file", "pull_request": {"title": "Custom title"}}"#,
    );
    let out = p
        .command(&[
            "run",
            "--event",
            "pull_request",
            "--event-file",
            "event.json",
            "--jobs",
            "3",
        ])
        .env("HOME", &home)
        .output()
        .unwrap();
    crate::assert_succeeded(&out);
    let run = p.last_run();
    let id = run_id(&run);
    let order = std::fs::read_to_string(home.join(format!("order-{id}"))).unwrap();
    let kinds: Vec<&str> = order
        .lines()
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["start", "end", "start", "end", "start", "end"],
        "max-parallel 1 runs one at a time: {order}"
    );
    let one = stdout(&p.hoist(&["runs", "view", &id.to_string(), "--log", "--job", "m (2)"]));
    assert!(
        one.contains("pr title: Custom title label: from-file"),
        "{one}"
    );
    assert!(one.lines().all(|l| l.starts_with("m (2)")), "{one}");
    let missing = p.hoist(&["runs", "view", &id.to_string(), "--job", "nope"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("has no job `nope`"));
}

#[test]
fn reusable_workflows_nest_and_pass_outputs_up() {
    let outer = r###"
on: push
jobs:
  call:
    uses: ./.github/workflows/middle.yml
    with:
      word: hoist
    secrets:
      token: ${{ secrets.TOKEN }}
  after:
    needs: call
    runs-on: x
    steps:
      - run: echo "final=${{ needs.call.outputs.result }}"
"###;
    let middle = r###"
on:
  workflow_call:
    inputs:
      word: {type: string, required: true}
    secrets:
      token: {required: true}
    outputs:
      result:
        value: ${{ jobs.inner.outputs.shout }}
jobs:
  inner:
    uses: ./.github/workflows/leaf.yml
    with:
      text: ${{ inputs.word }}-mid
    secrets: inherit
"###;
    let leaf = r###"
on:
  workflow_call:
    inputs:
      text: {type: string, required: true}
      times: {type: number, default: 2}
    outputs:
      shout:
        value: ${{ jobs.work.outputs.shout }}
jobs:
  work:
    runs-on: x
    outputs:
      shout: ${{ steps.s.outputs.shout }}
    steps:
      - id: s
        run: |
          echo "leaf sees token=${{ secrets.token }} times=${{ inputs.times }}"
          echo "shout=$(echo '${{ inputs.text }}' | tr a-z A-Z)" >> "$GITHUB_OUTPUT"
"###;
    let p = Project::new(&[
        ("outer.yml", outer),
        ("middle.yml", middle),
        ("leaf.yml", leaf),
    ]);
    let out = p.hoist(&[
        "run",
        "--workflow",
        "outer.yml",
        "--secret",
        "TOKEN=tok-abc-123",
    ]);
    crate::assert_succeeded(&out);
    let run = p.last_run();
    let log = p.log(run_id(&run));
    assert!(log.contains("leaf sees token=*** times=2"), "{log}");
    assert!(log.contains("final=HOIST-MID"), "{log}");
    assert_eq!(conclusion(&run, "call / inner / work"), "success");
}

#[test]
fn steps_can_run_hoist_itself() {
    let wf = "on: push\njobs:\n  gate:\n    runs-on: ubuntu-latest\n    steps:\n      - run: hoist expr \"format('gate {0}', 2)\"\n";
    let p = Project::new(&[("gate.yml", wf)]);
    let out = p.hoist(&["run"]);
    crate::assert_succeeded(&out);
    assert!(
        p.log(run_id(&p.last_run())).contains("gate 2"),
        "{}",
        p.log(run_id(&p.last_run()))
    );
}
