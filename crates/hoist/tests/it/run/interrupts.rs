//! Timeouts, fail-fast, signals and killed runs: what `hoist run` ends and what it leaves.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{conclusion, run_id};
use crate::project::Project;
use crate::stderr;

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
