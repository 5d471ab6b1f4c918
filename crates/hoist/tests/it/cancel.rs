//! `hoist runs cancel` of a run on this machine (its `hoist run` cancels as on Ctrl-C), and
//! what `hoist run` refuses before it starts.

use std::process::Stdio;

use serde_json::Value;

use crate::project::Project;
use crate::stderr;

#[test]
fn a_local_run_is_cancelled_and_its_cleanup_steps_still_run() {
    let p = Project::new(&[(
        "slow.yml",
        "on: push\njobs:\n  slow:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n          touch \"$MARK\"\n          sleep 60\n      - if: always()\n        run: echo cleanup ran\n",
    )]);
    let mark = p.beside("started");
    let mut run = p
        .command(&["run"])
        .env("MARK", &mark)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !mark.exists() {
        assert!(started.elapsed().as_secs() < 30, "the step never started");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let list = p.hoist(&["runs", "list", "--json", "--status", "in_progress"]);
    let list: Value = serde_json::from_slice(&list.stdout).unwrap();
    let id = list[0]["id"].as_i64().unwrap().to_string();
    let out = p.hoist(&["runs", "cancel", &id]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let status = run.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    assert!(started.elapsed().as_secs() < 30);
    let view = p.view(id.parse().unwrap());
    assert_eq!(view["run"]["conclusion"], "cancelled", "{view:#}");
    assert!(p.log(id.parse().unwrap()).contains("cleanup ran"));
    let again = p.hoist(&["runs", "cancel", &id]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("not in progress"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn a_secret_over_github_s_48_kb_is_refused_with_its_name_and_file() {
    let p = Project::new(&[(
        "ci.yml",
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n",
    )]);
    let file = p.beside("secrets.env");
    std::fs::write(&file, format!("SMALL=ok\nHUGE={}\n", "x".repeat(50_000))).unwrap();
    let out = p.hoist(&["run", "--secret-file", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("secret `HUGE`") && err.contains("secrets.env") && err.contains("48 KB"),
        "{err}"
    );
}
