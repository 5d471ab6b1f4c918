//! Two `hoist serve` replicas on one PostgreSQL database (Debian's server, started for the
//! test): runs dispatched to either are planned by the replica that took them, their jobs
//! run on the runners of both, and every job runs exactly once.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

use crate::project::Project;
use crate::server_processes::{Processes, spawn_server};
use crate::stderr;

/// Two jobs per run, the second needing the first's output: the planner of the run hands
/// the output from one job to the next, whichever replica's runners ran them.
const TWO_JOBS: &str = r#"
name: replicated
on: workflow_dispatch
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      stamp: ${{ steps.s.outputs.stamp }}
    steps:
      - id: s
        run: |
          echo "${{ github.run_id }} build $REPLICA" >> "$SHARED/executed"
          echo "ran $GITHUB_JOB of $GITHUB_RUN_ID"
          echo "stamp=built-${{ github.run_id }}" >> "$GITHUB_OUTPUT"
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: |
          test "${{ needs.build.outputs.stamp }}" = "built-${{ github.run_id }}"
          echo "${{ github.run_id }} test $REPLICA" >> "$SHARED/executed"
          echo "ran $GITHUB_JOB of $GITHUB_RUN_ID"
"#;

const RUNS: usize = 200;

/// `hoist serve` with two embedded runners on `database`, its data in `name`.
fn replica(p: &Project, processes: &mut Processes, name: &str, database: &str) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hoist"));
    command
        .args(["serve", "--runners", "2", "--listen", "127.0.0.1:0"])
        .args(["--database", database])
        .arg("--repo")
        .arg(p.root())
        .arg("--data-dir")
        .arg(p.beside(name))
        .env("SHARED", p.beside("shared"))
        .env("REPLICA", name);
    spawn_server(command, processes).0
}

fn admin_token(p: &Project, name: &str) -> String {
    std::fs::read_to_string(p.beside(name).join("admin-token"))
        .unwrap()
        .trim()
        .to_owned()
}

/// `hoist` against replica `url` with replica `name`'s admin token.
fn hoist_at(p: &Project, url: &str, name: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(args)
        .env("HOIST_SERVER", url)
        .env("HOIST_TOKEN", admin_token(p, name))
        .current_dir(p.root())
        .output()
        .unwrap()
}

#[test]
fn two_replicas_on_one_postgres_run_every_job_of_200_runs_exactly_once() {
    let pg = hoist_postgres::Postgres::throwaway().expect("PostgreSQL is installed");
    let database = pg.conninfo("postgres").unwrap();
    let p = Project::new(&[("replicated.yml", TWO_JOBS)]);
    std::fs::create_dir_all(p.beside("shared")).unwrap();
    let mut processes = Processes(Vec::new());
    let a = replica(&p, &mut processes, "a", &database);
    let b = replica(&p, &mut processes, "b", &database);
    let repo = p.root().file_name().unwrap().to_str().unwrap().to_owned();

    let started = std::time::Instant::now();
    let mut dispatched = BTreeSet::new();
    for i in 0..RUNS {
        let (url, name) = if i % 2 == 0 { (&a, "a") } else { (&b, "b") };
        let out = hoist_at(
            &p,
            url,
            name,
            &[
                "workflow",
                "run",
                "replicated.yml",
                "--repo",
                &repo,
                "--json",
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(dispatched.insert(answer["workflow_run_id"].as_i64().unwrap()));
    }
    assert_eq!(dispatched.len(), RUNS, "every dispatch made its own run");

    // Either replica lists every run: the history is the shared database.
    let runs = loop {
        let out = hoist_at(&p, &b, "b", &["runs", "list", "--json", "--limit", "1000"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let runs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        if runs.len() == RUNS && runs.iter().all(|r| r["status"] == "completed") {
            break runs;
        }
        assert!(
            started.elapsed().as_secs() < 240,
            "not every run completed: {} of {} listed, {} completed",
            runs.len(),
            RUNS,
            runs.iter().filter(|r| r["status"] == "completed").count()
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    let failed: Vec<&Value> = runs
        .iter()
        .filter(|r| r["conclusion"] != "success")
        .collect();
    assert!(failed.is_empty(), "runs that did not succeed: {failed:#?}");

    // Every job ran once: one line per job of every run, none twice.
    let executed = std::fs::read_to_string(p.beside("shared").join("executed")).unwrap();
    let mut times: BTreeMap<(i64, String), usize> = BTreeMap::new();
    let mut by_replica: BTreeMap<String, usize> = BTreeMap::new();
    for line in executed.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [run, job, replica] = fields[..] else {
            panic!("unexpected line `{line}`");
        };
        *times
            .entry((run.parse().unwrap(), job.to_owned()))
            .or_default() += 1;
        *by_replica.entry(replica.to_owned()).or_default() += 1;
    }
    let twice: Vec<_> = times.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "jobs run more than once: {twice:?}");
    let expected: BTreeSet<(i64, String)> = dispatched
        .iter()
        .flat_map(|id| [(*id, "build".to_owned()), (*id, "test".to_owned())])
        .collect();
    assert_eq!(
        times.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "exactly the dispatched runs' jobs ran"
    );
    // Both replicas' runners took jobs from the one queue.
    assert_eq!(
        by_replica.keys().collect::<Vec<_>>(),
        ["a", "b"],
        "{by_replica:?}"
    );

    // A run's log holds each of its lines once, whichever replica recorded them.
    let sample = *dispatched.iter().nth(RUNS / 2).unwrap();
    let out = hoist_at(&p, &a, "a", &["runs", "view", &sample.to_string(), "--log"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let log = String::from_utf8_lossy(&out.stdout);
    for job in ["build", "test"] {
        let wanted = format!("ran {job} of {sample}");
        assert_eq!(
            log.lines().filter(|l| l.ends_with(&wanted)).count(),
            1,
            "`{wanted}` once in the log:\n{log}"
        );
    }
    drop(processes);
    drop(pg);
}

/// One deploy at a time across both replicas: a concurrency group, with cancel-in-progress
/// when asked. Each run writes when its step started and ended, and its cleanup.
const SERIAL: &str = r#"
name: serial
on:
  workflow_dispatch:
    inputs:
      cancel:
        default: 'no'
      gate:
        default: ''
concurrency:
  group: serial-deploy
  cancel-in-progress: ${{ inputs.cancel == 'yes' }}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "${{ github.run_id }} start $(date +%s%N) $REPLICA" >> "$SHARED/ledger"
          if [ -n "${{ inputs.gate }}" ]; then
            while [ ! -f "${{ inputs.gate }}" ]; do sleep 0.1; done
          else
            sleep 0.4
          fi
          echo "${{ github.run_id }} end $(date +%s%N) $REPLICA" >> "$SHARED/ledger"
      - if: always()
        run: echo "${{ github.run_id }} cleanup ${{ job.status }} $REPLICA" >> "$SHARED/ledger"
"#;

#[test]
fn a_concurrency_group_holds_across_two_replicas_and_cancel_in_progress_reaches_the_other() {
    let pg = hoist_postgres::Postgres::throwaway().expect("PostgreSQL is installed");
    let database = pg.conninfo("postgres").unwrap();
    let p = Project::new(&[("serial.yml", SERIAL)]);
    let shared = p.beside("shared");
    std::fs::create_dir_all(&shared).unwrap();
    let mut processes = Processes(Vec::new());
    let a = replica(&p, &mut processes, "a", &database);
    let b = replica(&p, &mut processes, "b", &database);
    let repo = p.root().file_name().unwrap().to_str().unwrap().to_owned();
    let dispatch = |url: &str, name: &str, fields: &[&str]| -> i64 {
        let mut args = vec!["workflow", "run", "serial.yml", "--repo", &repo, "--json"];
        for f in fields {
            args.extend(["-f", f]);
        }
        let out = hoist_at(&p, url, name, &args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["workflow_run_id"]
            .as_i64()
            .unwrap()
    };
    let conclusion = |id: i64| -> Option<String> {
        let out = hoist_at(&p, &a, "a", &["runs", "view", &id.to_string(), "--json"]);
        let view: Value = serde_json::from_slice(&out.stdout).unwrap();
        view["run"]["conclusion"].as_str().map(str::to_owned)
    };
    let wait_done = |id: i64| -> String {
        let started = std::time::Instant::now();
        loop {
            if let Some(c) = conclusion(id) {
                return c;
            }
            assert!(started.elapsed().as_secs() < 120, "run {id} never finished");
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    };

    // Eight dispatches in a row, alternating replicas: one runs, one waits, the rest are
    // replaced while waiting; the runs that ran never overlapped.
    let ids: Vec<i64> = (0..8)
        .map(|i| {
            if i % 2 == 0 {
                dispatch(&a, "a", &[])
            } else {
                dispatch(&b, "b", &[])
            }
        })
        .collect();
    let results: Vec<String> = ids.iter().map(|id| wait_done(*id)).collect();
    assert!(
        results.iter().all(|c| c == "success" || c == "cancelled"),
        "{results:?}"
    );
    assert_eq!(
        results.last().map(String::as_str),
        Some("success"),
        "{results:?}"
    );
    let ran = results.iter().filter(|c| *c == "success").count();
    assert!(ran >= 2, "{results:?}");
    let ledger = std::fs::read_to_string(shared.join("ledger")).unwrap();
    let mut spans: BTreeMap<i64, (u128, u128)> = BTreeMap::new();
    for line in ledger.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let run: i64 = fields[0].parse().unwrap();
        let span = spans.entry(run).or_default();
        match fields[1] {
            "start" => span.0 = fields[2].parse().unwrap(),
            "end" => span.1 = fields[2].parse().unwrap(),
            _ => {}
        }
    }
    assert_eq!(
        spans.len(),
        ran,
        "only the runs that succeeded started:\n{ledger}"
    );
    let mut ordered: Vec<(u128, u128)> = spans.values().copied().collect();
    ordered.sort();
    for pair in ordered.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "two deploys overlapped:\n{ledger}");
    }

    // A run held on replica a's runners is cancelled by a newer run dispatched to replica b
    // with cancel-in-progress; its cleanup step runs, and the newer run runs after it.
    let gate = p.beside("gate");
    let held = dispatch(&a, "a", &[&format!("gate={}", gate.display())]);
    let started = std::time::Instant::now();
    while !std::fs::read_to_string(shared.join("ledger"))
        .unwrap()
        .contains(&format!("{held} start"))
    {
        assert!(started.elapsed().as_secs() < 60, "run {held} never started");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let newer = dispatch(&b, "b", &["cancel=yes"]);
    assert_eq!(wait_done(held), "cancelled");
    assert_eq!(wait_done(newer), "success");
    let ledger = std::fs::read_to_string(shared.join("ledger")).unwrap();
    assert!(
        ledger.contains(&format!("{held} cleanup cancelled")),
        "{ledger}"
    );
    drop(processes);
    drop(pg);
}
