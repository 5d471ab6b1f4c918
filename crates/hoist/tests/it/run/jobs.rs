//! Job-level features: max-parallel, event files, job views, reusable workflows, hoist in a step.

use super::{conclusion, run_id};
use crate::project::Project;
use crate::{stderr, stdout};

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
