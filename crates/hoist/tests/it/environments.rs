//! Environments from the command line against a `hoist serve` process: rules from
//! `[server.repos.NAME.environments.ENV]`, a run that waits for a review (shown by `hoist
//! runs view` with the command that answers it), `hoist runs approve` by a reviewer (the
//! admin is not one), the environment's variables in the job, `hoist deployments`, and
//! `hoist env protect` replacing what the configuration said.

use std::process::Command;

use serde_json::Value;

use crate::project::Project;
use crate::server_processes::*;
use crate::{stderr, stdout};

const DEPLOY: &str = r#"on: workflow_dispatch
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: |
          echo "region=${{ vars.REGION }}"
          test "${{ vars.REGION }}" = eu-west-1
"#;

fn hoist_as(url: &str, token: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(args)
        .env("HOIST_SERVER", url)
        .env("HOIST_TOKEN", token)
        .env_remove("HOIST_REPO")
        .output()
        .unwrap()
}

#[test]
fn a_configured_environment_waits_for_approval_from_the_cli() {
    let p = Project::new(&[("deploy.yml", DEPLOY)]);
    let config = p.beside("server.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\nrunners = 1\n\n[server.repos.app]\npath = \"{}\"\n\n\
             [server.repos.app.environments.production]\nreviewers = [\"rita\"]\nbranches = [\"main\"]\n\
             vars = {{ REGION = \"eu-west-1\" }}\n",
            p.root().display()
        ),
    )
    .unwrap();
    let mut processes = Processes(Vec::new());
    let mut command = Command::new(env!("CARGO_BIN_EXE_hoist"));
    command
        .args(["serve", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(p.beside("server"));
    let (url, _) = spawn_server(command, &mut processes);
    let admin = token(&p);

    let list = hoist_as(&url, &admin, &["env", "list", "app"]);
    assert_eq!(list.status.code(), Some(0), "{}", stderr(&list));
    let table = stdout(&list);
    assert!(
        table.contains("production")
            && table.contains("config")
            && table.contains("reviewers rita"),
        "{table}"
    );
    let created = hoist_as(
        &url,
        &admin,
        &["token", "create", "--user", "rita", "--role", "viewer"],
    );
    assert_eq!(created.status.code(), Some(0), "{}", stderr(&created));
    let rita = stdout(&created).trim().to_owned();

    let out = hoist_as(
        &url,
        &admin,
        &["workflow", "run", "deploy.yml", "--repo", "app", "--json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let id = serde_json::from_slice::<Value>(&out.stdout).unwrap()["workflow_run_id"]
        .as_i64()
        .unwrap()
        .to_string();
    // It waits, and the view says how to answer.
    let started = std::time::Instant::now();
    let view = loop {
        let view = hoist_as(&url, &admin, &["runs", "view", &id]);
        let text = stdout(&view);
        if text.contains("waiting") && text.contains("DEPLOYMENTS") {
            break text;
        }
        assert!(started.elapsed().as_secs() < 30, "never waiting: {text}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(
        view.contains(&format!("hoist runs approve {id} --env production")),
        "{view}"
    );
    // The admin is not a reviewer here.
    let refused = hoist_as(
        &url,
        &admin,
        &["runs", "approve", &id, "--env", "production"],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("not a reviewer"),
        "{}",
        stderr(&refused)
    );
    let approved = hoist_as(
        &url,
        &rita,
        &[
            "runs",
            "approve",
            &id,
            "--env",
            "production",
            "--comment",
            "go",
        ],
    );
    assert_eq!(approved.status.code(), Some(0), "{}", stderr(&approved));
    assert!(
        stderr(&approved).contains("approved `deploy` to `production`"),
        "{}",
        stderr(&approved)
    );
    let watched = hoist_as(&url, &admin, &["runs", "watch", &id, "--exit-status"]);
    assert_eq!(
        watched.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&watched),
        stderr(&watched)
    );

    let deployments = hoist_as(
        &url,
        &admin,
        &["deployments", "--env", "production", "--json"],
    );
    let rows: Value = serde_json::from_slice(&deployments.stdout).unwrap();
    assert_eq!(rows[0]["state"], "success");
    assert_eq!(rows[0]["reviews"][0]["reviewer"], "rita");
    let table = stdout(&hoist_as(&url, &admin, &["deployments"]));
    assert!(
        table.contains("approved rita") && table.contains("success"),
        "{table}"
    );

    // `hoist env protect` replaces the configuration's rules and keeps the variables.
    let protect = hoist_as(
        &url,
        &admin,
        &["env", "protect", "app", "production", "--wait-timer", "1"],
    );
    assert_eq!(protect.status.code(), Some(0), "{}", stderr(&protect));
    assert!(
        stderr(&protect).contains("wait 1m; vars REGION"),
        "{}",
        stderr(&protect)
    );
    let json = hoist_as(&url, &admin, &["env", "list", "app", "--json"]);
    let envs: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(envs[0]["source"], "api");
    assert!(envs[0]["settings"].get("reviewers").is_none());
}
