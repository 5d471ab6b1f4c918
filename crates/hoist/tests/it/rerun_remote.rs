//! `hoist runs rerun --server`: a new attempt of a finished server run, whole or only its
//! failed jobs, the jobs that succeeded keeping their outputs.

use std::process::Command;

use crate::project::Project;
use crate::server_processes::{
    Processes, dispatch, dispatched_id, start_server, token, wait_completed,
};
use crate::{stderr, stdout};

fn rerun(p: &Project, url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["runs", "rerun", "--server", url])
        .args(args)
        .env("HOIST_TOKEN", token(p))
        .current_dir(p.root())
        .output()
        .unwrap()
}

#[test]
fn a_failed_run_is_rerun_on_the_server_whole_or_only_its_failed_jobs() {
    let p = Project::new(&[]);
    let (counter, fixed) = (p.beside("built"), p.beside("fixed"));
    let workflow = format!(
        r#"
on: workflow_dispatch
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      stamp: ${{{{ steps.s.outputs.stamp }}}}
    steps:
      - id: s
        run: |
          echo "attempt $GITHUB_RUN_ATTEMPT" >> {counter}
          echo "stamp=from-attempt-$GITHUB_RUN_ATTEMPT" >> "$GITHUB_OUTPUT"
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "testing ${{{{ needs.build.outputs.stamp }}}} in attempt $GITHUB_RUN_ATTEMPT"
          test -f {fixed}
"#,
        counter = counter.display(),
        fixed = fixed.display()
    );
    p.write(".github/workflows/flaky.yml", &workflow);
    p.commit("flaky");
    let mut processes = Processes(Vec::new());
    let url = start_server(&p, &mut processes, 1);
    let started = std::time::Instant::now();
    let first = dispatched_id(&dispatch(&p, &url, &["flaky.yml", "--json"]));
    let run = wait_completed(&p, &first, started, 60);
    assert_eq!(run["run"]["conclusion"], "failure", "{run:#}");

    // Only the failed job again: `build` keeps its result and its output.
    std::fs::write(&fixed, "").unwrap();
    let out = rerun(&p, &url, &[&first, "--failed"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains(": success"), "{}", stdout(&out));
    assert_eq!(std::fs::read_to_string(&counter).unwrap(), "attempt 1\n");
    let second = stdout(&out).split_whitespace().nth(1).unwrap().to_owned();
    let again = crate::server_processes::recorded(&p, &second);
    assert_eq!(again["run"]["number"], run["run"]["number"], "{again:#}");
    assert_eq!(again["run"]["attempt"], 2, "{again:#}");
    let log = crate::server_processes::recorded_log(&p, &second);
    assert!(
        log.contains("testing from-attempt-1 in attempt 2"),
        "the reused job's output reaches the job that needs it:\n{log}"
    );

    // The whole run again: `build` runs too, as attempt 3.
    let out = rerun(&p, &url, &[&first, "--quiet"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(&counter).unwrap(),
        "attempt 1\nattempt 3\n"
    );

    // Refused: a run that does not exist; and the attempts were audited.
    let out = rerun(&p, &url, &["9999"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("9999"), "{}", stderr(&out));
    let audit = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["audit", "--server", &url, "--json"])
        .env("HOIST_TOKEN", token(&p))
        .output()
        .unwrap();
    let entries: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
    let reruns = entries
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "rerun")
        .count();
    assert_eq!(reruns, 2, "{entries:#}");
}
