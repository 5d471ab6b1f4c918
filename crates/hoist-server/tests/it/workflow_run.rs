//! `workflow_run` from the server's own runs: requested and completed, GitHub's payload,
//! branch filters of the triggering run, and chains stopped after three levels.

use crate::{Options, serve_with};

const BUILD: &str = "name: Build\non: workflow_dispatch\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: exit 1\n";
const REPORT: &str = "name: Report\non:\n  workflow_run:\n    workflows: [Build]\n    types: [completed]\njobs:\n  report:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"${{ github.event.action }} ${{ github.event.workflow_run.name }} ${{ github.event.workflow_run.conclusion }} on ${{ github.event.workflow_run.head_branch }} as ${{ github.event_name }}\"\n";
const REQUESTED: &str = "name: Announce\non:\n  workflow_run:\n    workflows: [Build]\n    types: [requested]\njobs:\n  announce:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"${{ github.event.action }} ${{ github.event.workflow_run.status }}\"\n";
const RELEASES_ONLY: &str = "name: Releases\non:\n  workflow_run:\n    workflows: [Build]\n    branches: ['release/**']\njobs:\n  never:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo never\n";
const LOOP: &str = "name: Loop\non:\n  workflow_run:\n    workflows: [Build, Loop]\n    types: [completed]\njobs:\n  again:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo again\n";

#[test]
fn a_finished_run_starts_the_workflow_runs_that_name_it_and_chains_stop_at_three() {
    let served = serve_with(
        &[
            ("build.yml", BUILD),
            ("report.yml", REPORT),
            ("announce.yml", REQUESTED),
            ("releases.yml", RELEASES_ONLY),
            ("loop.yml", LOOP),
        ],
        Options {
            runners: 1,
            ..Options::default()
        },
    );
    let build = served.dispatch("build.yml", &[]);
    let by_name = |name: &str| {
        served
            .runs()
            .into_iter()
            .filter(|r| r.workflow_name == name)
            .collect::<Vec<_>>()
    };
    let started = std::time::Instant::now();
    while by_name("Loop").len() < 3 || served.runs().iter().any(|r| r.status != "completed") {
        assert!(
            started.elapsed().as_secs() < 90,
            "the chain never finished: {:#?}",
            served.runs()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // Nothing more comes: the third level starts no fourth.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let runs = served.runs();
    let mut names: Vec<&str> = runs.iter().map(|r| r.workflow_name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["Announce", "Build", "Loop", "Loop", "Loop", "Report"],
        "{runs:#?}"
    );
    let report = &by_name("Report")[0];
    assert_eq!(report.event, "workflow_run");
    assert_eq!(report.git_ref, "refs/heads/main");
    let log = served.log(report.id, "report");
    assert!(
        log.contains("completed Build failure on main as workflow_run"),
        "{log}"
    );
    let announce = &by_name("Announce")[0];
    let log = served.log(announce.id, "announce");
    assert!(log.contains("requested in_progress"), "{log}");
    assert!(runs.iter().all(|r| r.id >= build));
}
