//! Steps that run beside others: `background`, `wait`, `wait-all`, `cancel` and `parallel`
//! groups, with GitHub's rules for when their results join the job.

use crate::project::Project;
use crate::run::{conclusion, job, run_id, step_conclusions};

/// Every rendezvous below needs two steps running at the same time: run one after the other,
/// the first would give up after 10 s and fail.
const STEPS: &str = r#"
on: push
jobs:
  steps:
    runs-on: ubuntu-latest
    steps:
      - id: server
        background: true
        run: |
          touch "$RUNNER_TEMP/server-up"
          for i in $(seq 200); do [ -f "$RUNNER_TEMP/client-done" ] && break; sleep 0.05; done
          test -f "$RUNNER_TEMP/client-done"
          echo "port=8080" >> "$GITHUB_OUTPUT"
          echo "SERVER_ENV=yes" >> "$GITHUB_ENV"
      - name: client
        run: |
          for i in $(seq 200); do [ -f "$RUNNER_TEMP/server-up" ] && break; sleep 0.05; done
          test -f "$RUNNER_TEMP/server-up"
          echo "before the wait: [${{ steps.server.outputs.port }}] [${SERVER_ENV:-}]"
          touch "$RUNNER_TEMP/client-done"
      - wait: server
      - run: |
          echo "after the wait: [${{ steps.server.outputs.port }}] [$SERVER_ENV] [${{ steps.server.outcome }}]"
      - id: forever
        background: true
        run: sleep 300
      - cancel: forever
      - name: both at once
        parallel:
          - run: |
              touch "$RUNNER_TEMP/a"
              for i in $(seq 200); do [ -f "$RUNNER_TEMP/b" ] && exit 0; sleep 0.05; done
              exit 1
          - run: |
              touch "$RUNNER_TEMP/b"
              for i in $(seq 200); do [ -f "$RUNNER_TEMP/a" ] && exit 0; sleep 0.05; done
              exit 1
      - id: broken
        background: true
        run: exit 3
      - run: echo "still runs before the wait"
      - wait-all:
      - run: echo never printed
      - id: tolerated
        if: always()
        background: true
        continue-on-error: true
        run: exit 4
      - name: unwaited
        if: always()
        background: true
        run: echo "collected at the end of the job"
"#;

#[test]
fn background_steps_run_beside_the_others_and_join_the_job_when_collected() {
    let p = Project::new(&[("steps.yml", STEPS)]);
    let out = p.hoist(&["run"]);
    // `broken` fails the job at the `wait-all` that collects it.
    assert_eq!(out.status.code(), Some(1), "{}", crate::stderr(&out));
    let run = p.last_run();
    assert_eq!(conclusion(&run, "steps"), "failure");
    assert_eq!(
        step_conclusions(&run, "steps"),
        [
            "success",   // server
            "success",   // client, while the server ran
            "success",   // wait: server
            "success",   // its outputs and env after the wait
            "cancelled", // forever
            "success",   // cancel: forever
            "success",   // parallel member a
            "success",   // parallel member b
            "success",   // the group's end
            "failure",   // broken
            "success",   // steps before the wait still run
            "failure",   // wait-all collects the failure
            "skipped",   // the job has failed
            "success",   // continue-on-error: the failure is tolerated
            "success",   // collected at the end
        ]
    );
    let steps = job(&run, "steps")["steps"].as_array().unwrap();
    assert_eq!(steps[2]["name"], "Wait for `server`");
    assert_eq!(steps[8]["name"], "both at once");
    assert_eq!(steps[13]["outcome"], "failure");
    let log = p.log(run_id(&run));
    assert!(log.contains("before the wait: [] []"), "{log}");
    assert!(
        log.contains("after the wait: [8080] [yes] [success]"),
        "{log}"
    );
    assert!(log.contains("Cancelling `forever`"), "{log}");
    assert!(log.contains("background step(s) failed: `broken`"), "{log}");
    assert!(log.contains("still runs before the wait"), "{log}");
    assert!(!log.contains("never printed"), "{log}");
    assert!(log.contains("collected at the end of the job"), "{log}");
    assert!(!log.contains("not supported"), "{log}");
}

#[test]
fn a_wait_for_a_step_that_is_not_in_the_background_fails_with_the_reason() {
    let p = Project::new(&[(
        "wait.yml",
        "on: push\njobs:\n  w:\n    runs-on: ubuntu-latest\n    steps:\n      - id: plain\n        run: 'true'\n      - wait: plain\n",
    )]);
    let out = p.hoist(&["run"]);
    assert_eq!(out.status.code(), Some(1));
    let run = p.last_run();
    assert_eq!(step_conclusions(&run, "w"), ["success", "failure"]);
    let log = p.log(run_id(&run));
    assert!(
        log.contains("no background step with id `plain` was started before this step"),
        "{log}"
    );
}
