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
    // The run shows who approved it.
    let view = stdout(&hoist_as(&url, &admin, &["runs", "view", &id]));
    assert!(
        view.contains("approved by rita") && view.contains(": go"),
        "{view}"
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

/// `hoist` with `stdin`, against `url` as `token`, in `dir`.
fn hoist_in(
    dir: &std::path::Path,
    url: &str,
    token: &str,
    args: &[&str],
    stdin: &str,
) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(args)
        .current_dir(dir)
        .env("HOIST_SERVER", url)
        .env("HOIST_TOKEN", token)
        .env_remove("HOIST_REPO")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn dispatched(out: &std::process::Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    serde_json::from_slice::<Value>(&out.stdout).unwrap()["workflow_run_id"]
        .as_i64()
        .unwrap()
        .to_string()
}

fn view_json(dir: &std::path::Path, url: &str, token: &str, id: &str) -> Value {
    let out = hoist_in(dir, url, token, &["runs", "view", id, "--json"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Waits until the production job of run `id` waits for its review.
fn wait_for_review(dir: &std::path::Path, url: &str, token: &str, id: &str) {
    let started = std::time::Instant::now();
    loop {
        let view = stdout(&hoist_in(dir, url, token, &["runs", "view", id], ""));
        if view.contains("production: waiting") {
            return;
        }
        assert!(
            started.elapsed().as_secs() < 60,
            "production never waits: {view}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn the_bundled_example_deploys_through_its_environments() {
    // The README's way: `hoist serve` in examples/platform, whose hoist.toml names the
    // repository and its environments.
    let p = Project::new(&[]);
    let project = p.root().join("examples/platform");
    std::fs::create_dir_all(&project).unwrap();
    let example = crate::workspace_root().join("examples/platform");
    let copied = Command::new("cp")
        .arg("-r")
        .arg(format!("{}/.", example.display()))
        .arg(&project)
        .status()
        .unwrap();
    assert!(copied.success());
    p.commit("example");
    p.git(&["branch", "feature"]);
    let mut processes = Processes(Vec::new());
    let mut command = Command::new(env!("CARGO_BIN_EXE_hoist"));
    command
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--runners",
            "1",
            "--data-dir",
        ])
        .arg(p.beside("server"))
        .current_dir(&project);
    let (url, first) = spawn_server(command, &mut processes);
    assert!(first.contains("repositories: platform"), "{first}");
    let admin = token(&p);
    let person = |name: &str, role: &str| {
        let out = hoist_in(
            &project,
            &url,
            &admin,
            &["token", "create", "--user", name, "--role", role],
            "",
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out).trim().to_owned()
    };
    let dana = person("dana", "developer");
    let rita = person("rita", "approver");
    let set = hoist_in(
        &project,
        &url,
        &admin,
        &[
            "secret",
            "set",
            "DEPLOY_KEY",
            "--repo",
            "platform",
            "--env",
            "production",
        ],
        "prod-deploy-key\n",
    );
    assert_eq!(set.status.code(), Some(0), "{}", stderr(&set));
    let dispatch = |who: &str, extra: &[&str]| {
        let mut args = vec![
            "workflow",
            "run",
            "deploy.yml",
            "--repo",
            "platform",
            "--json",
        ];
        args.extend_from_slice(extra);
        dispatched(&hoist_in(&project, &url, who, &args, ""))
    };

    // Development and staging deploy at once; production waits for an approver.
    let run = dispatch(&dana, &[]);
    wait_for_review(&project, &url, &admin, &run);
    let view = view_json(&project, &url, &admin, &run);
    let done: Vec<_> = view["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["conclusion"] == "success")
        .map(|j| j["key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(done, ["development", "staging"], "{view:#}");
    // A developer is no approver; the approver approves.
    let refused = hoist_in(
        &project,
        &url,
        &dana,
        &["runs", "approve", &run, "--env", "production"],
        "",
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("is not a reviewer of `production`"),
        "{}",
        stderr(&refused)
    );
    let approved = hoist_in(
        &project,
        &url,
        &rita,
        &["runs", "approve", &run, "--env", "production"],
        "",
    );
    assert_eq!(approved.status.code(), Some(0), "{}", stderr(&approved));
    let watched = hoist_in(
        &project,
        &url,
        &admin,
        &["runs", "watch", &run, "--exit-status"],
        "",
    );
    let log = stdout(&watched);
    assert_eq!(
        watched.status.code(),
        Some(0),
        "{log}\n{}",
        stderr(&watched)
    );
    assert!(
        log.contains("deploying api-router-service to production on prod-eu-1 with key ***"),
        "{log}"
    );
    assert!(
        log.contains("got an OIDC token for sts.amazonaws.com"),
        "{log}"
    );
    assert!(!log.contains("prod-deploy-key"), "{log}");

    // The approver may not approve a run they started; a rejection fails it.
    let own = dispatch(&rita, &[]);
    wait_for_review(&project, &url, &admin, &own);
    let refused = hoist_in(
        &project,
        &url,
        &rita,
        &["runs", "approve", &own, "--env", "production"],
        "",
    );
    assert!(
        stderr(&refused).contains("prevents self-review"),
        "{}",
        stderr(&refused)
    );
    let rejected = hoist_in(
        &project,
        &url,
        &admin,
        &[
            "runs",
            "reject",
            &own,
            "--env",
            "production",
            "--comment",
            "freeze",
        ],
        "",
    );
    // The admin holds the approver role and more: a reviewer by role.
    assert_eq!(rejected.status.code(), Some(0), "{}", stderr(&rejected));
    let watched = hoist_in(
        &project,
        &url,
        &admin,
        &["runs", "watch", &own, "--exit-status"],
        "",
    );
    assert_eq!(watched.status.code(), Some(1));

    // From another branch, production refuses at once.
    let other = dispatch(&dana, &["--ref", "feature"]);
    let watched = hoist_in(
        &project,
        &url,
        &admin,
        &["runs", "watch", &other, "--exit-status"],
        "",
    );
    assert_eq!(watched.status.code(), Some(1));
    let log = stdout(&watched);
    assert!(
        log.contains("Branch \"feature\" is not allowed to deploy to production due to environment protection rules."),
        "{log}"
    );

    let table = stdout(&hoist_in(
        &project,
        &url,
        &admin,
        &["deployments", "--env", "production"],
        "",
    ));
    assert!(
        table.contains("success") && table.contains("failure") && table.contains("approved rita"),
        "{table}"
    );
}
