//! Workflow features in `hoist run`: outputs, env files, status functions, masks, workflow commands, shells.

use std::process::Command;

use super::{conclusion, job, run_id, step_conclusions};
use crate::project::Project;
use crate::{stderr, stdout, workspace_root};

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
