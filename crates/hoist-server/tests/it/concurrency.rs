//! Concurrency groups on the server: one running and one waiting member per group, a newer
//! waiting run replacing the older one, `cancel-in-progress` cancelling the running run
//! (whose `always()` steps still run), groups named by expressions, and job-level groups
//! that keep matrix legs from overlapping, with jobs on two runners.

use std::time::Duration;

use crate::{Options, Served, serve_with};

const DEPLOY: &str = r#"name: Deploy
on:
  workflow_dispatch:
    inputs:
      lane:
        default: main
      hold:
        required: true
concurrency:
  group: deploy-${{ inputs.lane }}
  cancel-in-progress: ${{ inputs.lane == 'fast' }}
jobs:
  ship:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "start ${{ github.run_id }}"
          while [ ! -f "${{ inputs.hold }}" ]; do sleep 0.1; done
      - if: always()
        run: echo "cleanup ${{ github.run_id }} ${{ job.status }}"
"#;

fn two_runners() -> Options {
    Options {
        runners: 2,
        // Runners renew every second: a cancellation reaches a running job within one.
        lease: Some(Duration::from_secs(3)),
        ..Options::default()
    }
}

fn group_state(view: &hoist_server::RunView) -> Option<&str> {
    view.concurrency
        .iter()
        .find(|g| g.job.is_none())
        .map(|g| g.state.as_str())
}

fn job_running(view: &hoist_server::RunView) -> bool {
    view.jobs.iter().any(|j| j.status == "in_progress")
}

fn completed(view: &hoist_server::RunView) -> bool {
    view.status == "completed"
}

fn touch(path: &std::path::Path) {
    std::fs::write(path, "").unwrap();
}

#[test]
fn a_group_runs_one_run_replaces_the_waiting_one_and_cancel_in_progress_cancels_the_running_one() {
    let served: Served = serve_with(&[("deploy.yml", DEPLOY)], two_runners());
    let gates = tempfile::tempdir().unwrap();
    let gate = |name: &str| gates.path().join(name);
    let hold = |name: &str| gate(name).display().to_string();

    // Lane `main`: no cancel-in-progress.
    let a = served.dispatch("deploy.yml", &[("hold", &hold("a"))]);
    served.wait_for(a, "its job running", job_running);
    let b = served.dispatch("deploy.yml", &[("hold", &hold("b"))]);
    let view = served.wait_for(b, "waiting in its group", |v| {
        group_state(v) == Some("pending")
    });
    assert_eq!(view.concurrency[0].group, "deploy-main");
    assert!(view.jobs.is_empty(), "a waiting run has no jobs: {view:#?}");
    touch(&gate("c"));
    let c = served.dispatch("deploy.yml", &[("hold", &hold("c"))]);
    // The newer waiting run replaces the older one, which ends cancelled without a job.
    let view = served.wait_for(b, "replaced", completed);
    assert_eq!(view.conclusion.as_deref(), Some("cancelled"));
    assert!(view.jobs.is_empty());
    let reason = view.concurrency[0].reason.clone().unwrap_or_default();
    assert!(
        reason.contains("higher priority waiting request for 'deploy-main'"),
        "{reason}"
    );
    served.wait_for(c, "waiting", |v| group_state(v) == Some("pending"));

    // Lane `fast` is another group (its name is an expression of the inputs), and there
    // a newer run cancels the running one.
    let d = served.dispatch("deploy.yml", &[("lane", "fast"), ("hold", &hold("d"))]);
    served.wait_for(d, "its job running", job_running);
    let started = std::time::Instant::now();
    while !served.log(d, "ship").contains(&format!("start {d}")) {
        assert!(
            started.elapsed().as_secs() < 30,
            "run {d} never started its step"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    touch(&gate("e"));
    let e = served.dispatch("deploy.yml", &[("lane", "fast"), ("hold", &hold("e"))]);
    let view = served.wait_for(d, "cancelled", completed);
    assert_eq!(view.conclusion.as_deref(), Some("cancelled"), "{view:#?}");
    // Its cleanup step ran, seeing the job cancelled.
    let log = served.log(d, "ship");
    assert!(log.contains(&format!("cleanup {d} cancelled")), "{log}");
    let view = served.wait_for(e, "done", completed);
    assert_eq!(view.conclusion.as_deref(), Some("success"), "{view:#?}");

    // All this while, `a` held lane `main` and `c` waited behind it.
    let view = served.view(c);
    assert_eq!(group_state(&view), Some("pending"), "{view:#?}");
    assert!(view.jobs.is_empty());
    touch(&gate("a"));
    let view = served.wait_for(a, "done", completed);
    assert_eq!(view.conclusion.as_deref(), Some("success"));
    let view = served.wait_for(c, "done", completed);
    assert_eq!(view.conclusion.as_deref(), Some("success"), "{view:#?}");
    assert_eq!(group_state(&view), Some("left"));

    // Who cancelled whom is in the audit log.
    let cancels: Vec<_> = served
        .audit("concurrency.cancel")
        .iter()
        .map(|e| {
            (
                e.run_id,
                e.detail["how"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert!(
        cancels.contains(&(Some(b), "replaced-pending".to_owned())),
        "{cancels:?}"
    );
    assert!(
        cancels.contains(&(Some(d), "cancel-in-progress".to_owned())),
        "{cancels:?}"
    );
}

const MIGRATE: &str = r#"name: Migrate
on: workflow_dispatch
jobs:
  migrate:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        db: [orders, billing]
    concurrency:
      group: migrate-${{ github.repository }}
    steps:
      - run: |
          echo "${{ matrix.db }} start $(date +%s%N)" >> "$LEDGER"
          sleep 1
          echo "${{ matrix.db }} end $(date +%s%N)" >> "$LEDGER"
        env:
          LEDGER: LEDGER_PATH
"#;

#[test]
fn a_job_level_group_keeps_matrix_legs_from_overlapping_on_two_runners() {
    let scratch = tempfile::tempdir().unwrap();
    let ledger_path = scratch.path().join("ledger");
    let workflow = MIGRATE.replace("LEDGER_PATH", &ledger_path.display().to_string());
    let served = serve_with(&[("migrate.yml", &workflow)], two_runners());
    let run = served.dispatch("migrate.yml", &[]);
    let view = served.wait_for(run, "done", completed);
    assert_eq!(view.conclusion.as_deref(), Some("success"), "{view:#?}");
    let jobs: Vec<_> = view
        .concurrency
        .iter()
        .filter(|g| g.job.is_some())
        .collect();
    assert_eq!(jobs.len(), 2, "{view:#?}");
    assert!(
        jobs.iter()
            .all(|g| g.group == "migrate-repo" && g.state == "left")
    );
    let ledger = std::fs::read_to_string(&ledger_path).unwrap();
    let mut times: Vec<(u128, &str)> = ledger
        .lines()
        .map(|l| {
            let parts: Vec<&str> = l.split(' ').collect();
            (parts[2].parse().unwrap(), parts[1])
        })
        .collect();
    times.sort();
    let order: Vec<&str> = times.iter().map(|(_, what)| *what).collect();
    assert_eq!(
        order,
        ["start", "end", "start", "end"],
        "legs overlapped:\n{ledger}"
    );
}
