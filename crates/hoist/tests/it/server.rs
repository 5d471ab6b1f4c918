//! `hoist serve`, `hoist runner` and `hoist workflow run` as separate processes on loopback:
//! a dispatched run's jobs spread over two runners, outputs cross from one runner's job to
//! another's, and bad requests get their reasons.

use std::process::{Command, Stdio};

use serde_json::Value;

use crate::project::Project;
use crate::server_processes::*;
use crate::{stderr, stdout};

const REMOTE: &str = r#"
name: remote
on:
  workflow_dispatch:
    inputs:
      service:
        required: true
        type: choice
        options: [api, web]
jobs:
  build:
    strategy:
      matrix:
        leg: [one, two]
    runs-on: ubuntu-latest
    outputs:
      stamp: ${{ steps.s.outputs.stamp }}
    steps:
      - uses: actions/checkout@v4
      # Both legs wait for each other: they finish only when two runners run them at once.
      - id: s
        run: |
          test -f README.md
          touch "$SHARED/${{ matrix.leg }}"
          for i in $(seq 200); do [ -f "$SHARED/one" ] && [ -f "$SHARED/two" ] && break; sleep 0.05; done
          test -f "$SHARED/one" && test -f "$SHARED/two"
          echo "stamp=${{ inputs.service }}" >> "$GITHUB_OUTPUT"
  deploy:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "deploying ${{ needs.build.outputs.stamp }} from run ${{ github.run_id }}"
          test "${{ needs.build.outputs.stamp }}" = api
"#;

#[test]
fn a_dispatched_run_spreads_over_two_runners_and_passes_outputs_between_them() {
    let p = Project::new(&[("remote.yml", REMOTE)]);
    let shared = p.beside("shared");
    std::fs::create_dir_all(&shared).unwrap();
    let mut processes = Processes(Vec::new());
    let url = start_server(&p, &mut processes, 0);
    start_runner(&p, &mut processes, &url, "runner-a", &shared);
    start_runner(&p, &mut processes, &url, "runner-b", &shared);

    let out = dispatch(
        &p,
        &url,
        &["remote.yml", "-f", "service=api", "--watch", "--json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let run: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(run["status"], "completed");
    assert_eq!(run["conclusion"], "success");
    assert_eq!(run["event"], "workflow_dispatch");
    let jobs = run["jobs"].as_array().unwrap();
    let runner_of = |key: &str| {
        jobs.iter()
            .find(|j| j["key"] == key)
            .unwrap_or_else(|| panic!("no job {key} in {run:#}"))["runner"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (one, two) = (runner_of("build (one)"), runner_of("build (two)"));
    assert_ne!(one, two, "the legs ran at once, so on both runners");
    assert!(["runner-a", "runner-b"].contains(&runner_of("deploy").as_str()));
    let deploy = jobs.iter().find(|j| j["key"] == "deploy").unwrap();
    assert_eq!(deploy["conclusion"], "success");

    // The history is the server's: `hoist runs` reads it remotely, printed as local runs are.
    let id = run["id"].as_i64().unwrap().to_string();
    let remote = |args: &[&str]| {
        let out = as_user(&p, &url, &token(&p), args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    let log = remote(&["runs", "view", &id, "--log"]);
    assert!(
        log.contains(&format!("deploying api from run {id}")),
        "{log}"
    );
    // Every line once, though events travelled in batches.
    assert_eq!(log.matches("deploying api").count(), 1, "{log}");
    let summary = remote(&["runs", "view", &id]);
    assert!(
        summary.contains("build (one)") && summary.contains("deploy"),
        "{summary}"
    );
    let repo = p.root().file_name().unwrap().to_str().unwrap().to_owned();
    let list = remote(&["runs", "list", "--repo", &repo, "--json"]);
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list[0]["id"], run["id"]);
    let out = as_user(&p, &url, &token(&p), &["runs", "list", "--repo", "nope"]);
    assert!(
        stderr(&out).contains("no repository `nope`"),
        "{}",
        stderr(&out)
    );
    let watched = remote(&["runs", "watch", &id, "--exit-status"]);
    assert_eq!(watched.matches("deploying api").count(), 1, "{watched}");

    // What the server counted, in Prometheus' format.
    let text = http_get(&url, "/metrics");
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .expect("valid exposition text");
    let value = |name: &str, labels: &[(&str, &str)]| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .map(|s| s.value.clone())
    };
    use prometheus_parse::Value as Sample;
    assert_eq!(
        value("hoist_runs_total", &[("conclusion", "success")]),
        Some(Sample::Counter(1.0))
    );
    assert_eq!(
        value("hoist_jobs_total", &[("conclusion", "success")]),
        Some(Sample::Counter(3.0))
    );
    assert_eq!(
        value("hoist_runners", &[("state", "online")]),
        Some(Sample::Gauge(2.0))
    );
    // Routes keep their `{placeholders}`, which the parser above does not take in label
    // values; the line is checked as text.
    assert!(
        text.contains(
            "hoist_http_request_duration_seconds_count{route=\"/api/v1/repos/{repo}/actions/workflows/{file}/dispatches\",status=\"200\"} 1"
        ),
        "{text}"
    );
}

#[test]
fn bad_dispatches_are_refused_with_the_reason() {
    let p = Project::new(&[("remote.yml", REMOTE)]);
    let mut processes = Processes(Vec::new());
    let url = start_server(&p, &mut processes, 0);

    let out = dispatch(&p, &url, &["remote.yml", "-f", "service=db"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("422") && err.contains("db"), "{err}");

    let out = dispatch(&p, &url, &["missing.yml", "-f", "service=api"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("404") && err.contains(".github/workflows/missing.yml"),
        "{err}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args([
            "workflow",
            "run",
            "remote.yml",
            "--server",
            &url,
            "--repo",
            "nope",
        ])
        .env("HOIST_TOKEN", "wrong")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("401") && err.contains("not valid"), "{err}");
}

#[test]
fn one_process_serves_and_runs_with_its_embedded_runner() {
    let hello = "on: workflow_dispatch\njobs:\n  hello:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hello from the server\n";
    let p = Project::new(&[("hello.yml", hello)]);
    let mut processes = Processes(Vec::new());
    let url = start_server(&p, &mut processes, 1);
    let out = dispatch(&p, &url, &["hello.yml", "--watch"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        text.contains("-embedded-1") && text.contains(": success"),
        "{text}"
    );
}

#[test]
fn a_job_whose_runner_is_killed_runs_again_on_another_runner() {
    let slow = r#"
on: workflow_dispatch
jobs:
  slow:
    runs-on: ubuntu-latest
    steps:
      - run: |
          if [ ! -f "$SHARED/first" ]; then
            touch "$SHARED/first"
            echo "first attempt, waiting to be killed"
            sleep 60
          fi
          echo "the job finished"
"#;
    let p = Project::new(&[("slow.yml", slow)]);
    let shared = p.beside("shared");
    std::fs::create_dir_all(&shared).unwrap();
    let mut processes = Processes(Vec::new());
    let url = start_server_with(&p, &mut processes, 0, &["--lease", "1"]);
    let first = spawn_runner(&p, &mut processes, &url, "doomed", &shared);

    let out = dispatch(&p, &url, &["slow.yml", "--json"]);
    let id = dispatched_id(&out);
    let started = std::time::Instant::now();
    wait_for_marker(&shared.join("first"), started);
    // SIGKILL: the runner cannot say goodbye; only its lease running out tells the server.
    let doomed = &mut processes.0[first];
    let _ = doomed.kill();
    let _ = doomed.wait();
    start_runner(&p, &mut processes, &url, "survivor", &shared);

    let run = wait_completed(&p, &id, started, 60);
    assert_eq!(run["run"]["conclusion"], "success", "{run:#}");
    let log = recorded_log(&p, &id);
    assert!(
        log.contains("Attempt 2: the runner of attempt 1 was lost"),
        "{log}"
    );
    assert!(log.contains("running again on `survivor`"), "{log}");
    assert_eq!(log.matches("the job finished").count(), 1, "{log}");
    // The lost attempt's lines are gone with it.
    assert!(!log.contains("waiting to be killed"), "{log}");
}

#[test]
fn a_run_survives_a_killed_server_and_completes_after_its_restart() {
    let flow = r#"
on: workflow_dispatch
jobs:
  first:
    runs-on: ubuntu-latest
    outputs:
      word: ${{ steps.w.outputs.word }}
    steps:
      - id: w
        run: |
          touch "$SHARED/started"
          for i in $(seq 600); do [ -f "$SHARED/go" ] && break; sleep 0.05; done
          test -f "$SHARED/go"
          echo "first done while the server was down"
          echo "word=kept" >> "$GITHUB_OUTPUT"
  second:
    needs: first
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "second got ${{ needs.first.outputs.word }}"
          test "${{ needs.first.outputs.word }}" = kept
"#;
    let p = Project::new(&[("flow.yml", flow)]);
    let shared = p.beside("shared");
    std::fs::create_dir_all(&shared).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut processes = Processes(Vec::new());
    let args = ["--listen", listen.as_str()];
    let url = start_server_with(&p, &mut processes, 0, &args);
    start_runner(&p, &mut processes, &url, "steady", &shared);
    let out = dispatch(&p, &url, &["flow.yml", "--json"]);
    let id = dispatched_id(&out);
    let started = std::time::Instant::now();
    wait_for_marker(&shared.join("started"), started);
    // SIGKILL the server while the job runs; the job ends while no server listens.
    let server = &mut processes.0[0];
    let _ = server.kill();
    let _ = server.wait();
    std::fs::write(shared.join("go"), "").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let url_again = start_server_with(&p, &mut processes, 0, &args);
    assert_eq!(url_again, url);

    let run = wait_completed(&p, &id, started, 90);
    assert_eq!(run["run"]["conclusion"], "success", "{run:#}");
    let log = recorded_log(&p, &id);
    assert_eq!(
        log.matches("first done while the server was down").count(),
        1,
        "{log}"
    );
    assert!(log.contains("second got kept"), "{log}");
    assert!(
        !log.contains("Attempt 2"),
        "the job was not run twice: {log}"
    );
}

/// `hoist` with the server's URL and `token`.
fn as_user(p: &Project, url: &str, token: &str, args: &[&str]) -> std::process::Output {
    let name = p.root().file_name().unwrap().to_str().unwrap().to_owned();
    let mut command = Command::new(env!("CARGO_BIN_EXE_hoist"));
    command
        .args(args)
        .env("HOIST_SERVER", url)
        .env("HOIST_TOKEN", token);
    if args.first() == Some(&"workflow") {
        command.args(["--repo", &name]);
    }
    command.output().unwrap()
}

fn new_token(p: &Project, url: &str, name: &str, role: &str) -> String {
    let out = as_user(
        p,
        url,
        &token(p),
        &["token", "create", "--name", name, "--role", role],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out).trim().to_owned()
}

#[test]
fn tokens_have_roles_and_every_dispatch_is_audited() {
    let hello = "on:\n  workflow_dispatch:\n    inputs:\n      notes:\n        required: false\njobs:\n  hello:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hello\n";
    let p = Project::new(&[("hello.yml", hello)]);
    let mut processes = Processes(Vec::new());
    let url = start_server(&p, &mut processes, 0);
    let developer = new_token(&p, &url, "dana", "developer");
    let viewer = new_token(&p, &url, "vic", "viewer");
    let runner = new_token(&p, &url, "ci-7", "runner");
    assert!(developer.starts_with("hoist_") && developer != viewer);

    let out = as_user(&p, &url, &viewer, &["workflow", "run", "hello.yml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("403") && err.contains("`vic` is `viewer`"),
        "{err}"
    );

    // A runner's token runs jobs under its own name only.
    let child = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args([
            "runner", "--server", &url, "--token", &runner, "--name", "ci-7",
        ])
        .arg("--data-dir")
        .arg(p.beside("ci-7"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    processes.0.push(child);
    let out = as_user(
        &p,
        &url,
        &developer,
        &[
            "workflow",
            "run",
            "hello.yml",
            "-f",
            "notes=testing fix",
            "--watch",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let run: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(run["jobs"][0]["runner"], "ci-7");

    let out = as_user(&p, &url, &developer, &["audit"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("403"), "{}", stderr(&out));
    let out = as_user(&p, &url, &token(&p), &["audit", "--json", "--since", "1h"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let audit: Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = audit.as_array().unwrap();
    let dispatch = entries
        .iter()
        .find(|e| e["action"] == "dispatch")
        .unwrap_or_else(|| panic!("no dispatch in {audit:#}"));
    assert_eq!(dispatch["actor"], "dana");
    assert_eq!(dispatch["run_id"], run["id"]);
    assert_eq!(
        dispatch["detail"]["workflow"],
        ".github/workflows/hello.yml"
    );
    assert_eq!(dispatch["detail"]["ref"], "main");
    assert_eq!(dispatch["detail"]["notes"], "testing fix");
    assert_eq!(
        entries
            .iter()
            .filter(|e| e["action"] == "token.create")
            .count(),
        3
    );

    let out = as_user(&p, &url, &token(&p), &["token", "list", "--json"]);
    let list = stdout(&out);
    assert!(
        list.contains("\"dana\"") && !list.contains(&developer),
        "{list}"
    );
    let vic = serde_json::from_str::<Value>(&list)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "vic")
        .unwrap()["id"]
        .to_string();
    let out = as_user(&p, &url, &token(&p), &["token", "revoke", &vic]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = as_user(&p, &url, &viewer, &["workflow", "run", "hello.yml"]);
    assert!(stderr(&out).contains("401"), "{}", stderr(&out));
}

#[test]
fn the_bundled_example_s_remote_ci_runs_on_the_server_from_its_subdirectory() {
    // The README's commands: `hoist serve --repo examples/platform`, then `hoist workflow run
    // ci-remote.yml ...` in that directory. The example is a directory of a repository.
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
    let mut processes = Processes(Vec::new());
    let url = start_server_at(&p, &project, &mut processes, 1, &[]);
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args([
            "workflow",
            "run",
            "ci-remote.yml",
            "-f",
            "service=api-router-service",
        ])
        .args(["-f", "notes=testing fix", "--watch", "--server", &url])
        .env("HOIST_TOKEN", token(&p))
        .current_dir(&project)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        text.contains("test / make test api-router-service"),
        "{text}"
    );
    let log = as_user(&p, &url, &token(&p), &["runs", "view", "1", "--log"]);
    let log = stdout(&log);
    assert!(
        log.contains("service=api-router-service notes=testing fix"),
        "{log}"
    );
}

/// A plain HTTP/1.1 GET on loopback, for the endpoints that need no token.
pub(crate) fn http_get(url: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let address = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    body.to_owned()
}

#[test]
fn a_run_cancelled_on_the_server_stops_its_runner_s_job_and_still_runs_cleanup() {
    let slow = r#"
on: workflow_dispatch
jobs:
  slow:
    runs-on: ubuntu-latest
    steps:
      - run: |
          touch "$SHARED/started"
          sleep 60
          echo "never printed"
      - if: always()
        run: echo "cleanup ran"
  later:
    needs: slow
    runs-on: ubuntu-latest
    steps:
      - run: echo "later never runs"
"#;
    let p = Project::new(&[("slow.yml", slow)]);
    let shared = p.beside("shared");
    std::fs::create_dir_all(&shared).unwrap();
    let mut processes = Processes(Vec::new());
    // The default lease (30 s): the runner renews every 10 s.
    let url = start_server_with(&p, &mut processes, 0, &[]);
    start_runner(&p, &mut processes, &url, "worker", &shared);
    let developer = new_token(&p, &url, "dana", "developer");
    let out = as_user(
        &p,
        &url,
        &developer,
        &["workflow", "run", "slow.yml", "--json"],
    );
    let id = dispatched_id(&out);
    let started = std::time::Instant::now();
    wait_for_marker(&shared.join("started"), started);
    let cancelled = std::time::Instant::now();
    let out = as_user(&p, &url, &developer, &["runs", "cancel", &id]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The runner's renewal waits in a long poll and hears it at once, not at the next
    // renewal 10 s on; then the step stops and the cleanup runs.
    let out = as_user(&p, &url, &developer, &["runs", "watch", &id]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let took = cancelled.elapsed();
    assert!(
        took < std::time::Duration::from_secs(8),
        "the cancellation took {took:?}: the runner heard it only at a renewal"
    );
    let watched = stdout(&out);
    assert!(watched.contains("cleanup ran"), "{watched}");
    assert!(
        !watched.contains("never printed") && !watched.contains("later never runs"),
        "{watched}"
    );
    assert!(stderr(&out).contains("cancelled"), "{}", stderr(&out));
    let again = as_user(&p, &url, &developer, &["runs", "cancel", &id]);
    assert!(
        stderr(&again).contains("already completed"),
        "{}",
        stderr(&again)
    );
    let audit = as_user(&p, &url, &token(&p), &["audit", "--json"]);
    let audit: Value = serde_json::from_slice(&audit.stdout).unwrap();
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "cancel" && e["actor"] == "dana"),
        "{audit:#}"
    );
}

#[test]
fn sigterm_drains_the_embedded_runner_s_job_before_the_server_stops() {
    let slow = "on: workflow_dispatch\njobs:\n  slow:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n          touch \"$SHARED/started\"\n          sleep 2\n          echo \"finished while draining\"\n";
    let p = Project::new(&[("slow.yml", slow)]);
    let shared = p.beside("shared");
    std::fs::create_dir_all(&shared).unwrap();
    let mut processes = Processes(Vec::new());
    // The embedded runner's steps see SHARED through the server's environment.
    let mut command = Command::new(env!("CARGO_BIN_EXE_hoist"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--runners", "1"])
        .arg("--repo")
        .arg(p.root())
        .arg("--data-dir")
        .arg(p.beside("server"))
        .env("SHARED", &shared);
    let (url, _) = spawn_server(command, &mut processes);
    let out = dispatch(&p, &url, &["slow.yml", "--json"]);
    let id = dispatched_id(&out);
    let started = std::time::Instant::now();
    wait_for_marker(&shared.join("started"), started);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(processes.0[0].id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    // While draining, no new work is taken.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let refused = dispatch(&p, &url, &["slow.yml"]);
    assert!(stderr(&refused).contains("503"), "{}", stderr(&refused));
    let status = processes.0[0].wait().unwrap();
    assert!(status.success(), "{status:?}");
    let run = recorded(&p, &id);
    assert_eq!(run["run"]["conclusion"], "success", "{run:#}");
}

#[test]
fn the_server_section_of_hoist_toml_names_the_repositories() {
    let hello = "on: workflow_dispatch\njobs:\n  hello:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo configured\n";
    let tpu = "on: workflow_dispatch\njobs:\n  train:\n    runs-on: [self-hosted, tpu]\n    steps:\n      - run: echo never\n";
    let p = Project::new(&[("hello.yml", hello), ("tpu.yml", tpu)]);
    let config = p.beside("server.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\nrunners = 1\nlabels = [\"gpu\"]\n\n[server.repos.app]\npath = \"{}\"\ndefault-branch = \"main\"\n",
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
    let (url, first) = spawn_server(command, &mut processes);
    assert!(first.contains("repositories: app"), "{first}");
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args([
            "workflow",
            "run",
            "hello.yml",
            "--repo",
            "app",
            "--watch",
            "--server",
            &url,
        ])
        .env("HOIST_TOKEN", token(&p))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    // A label no runner of this server has fails the job at once, naming it.
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args([
            "workflow", "run", "tpu.yml", "--repo", "app", "--watch", "--json",
        ])
        .args(["--server", &url])
        .env("HOIST_TOKEN", token(&p))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let run: Value = serde_json::from_slice(&out.stdout).unwrap();
    let log = recorded_log(&p, &run["id"].to_string());
    assert!(
        log.contains("no runner of this server has the label `tpu`") && log.contains("`gpu`"),
        "{log}"
    );
    drop(processes);

    std::fs::write(&config, "[server]\nlisten = \"127.0.0.1:0\"\nrunner = 1\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("server.toml:3:1") && err.contains("runner"),
        "{err}"
    );
}

#[test]
fn a_polled_repository_s_pushes_start_their_push_runs_with_path_filters() {
    let ci = "on:\n  push:\n    branches: [main]\n    paths: ['src/**']\njobs:\n  ci:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: echo \"pushed ${{ github.event.before }}..${{ github.sha }}\" && cat src/a.txt\n";
    let p = Project::new(&[("ci.yml", ci)]);
    let mut processes = Processes(Vec::new());
    let url = start_server_with(&p, &mut processes, 1, &["--poll", "0.2"]);
    // The first look only remembers the branches.
    std::thread::sleep(std::time::Duration::from_millis(600));
    let runs = |p: &Project| -> Vec<Value> {
        let out = as_user(p, &url, &token(p), &["runs", "list", "--json"]);
        serde_json::from_slice::<Value>(&out.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    };
    assert!(runs(&p).is_empty());
    let before = p.git(&["rev-parse", "HEAD"]).trim().to_owned();
    p.write("src/a.txt", "first change\n");
    p.commit("change src");
    let after = p.git(&["rev-parse", "HEAD"]).trim().to_owned();
    let started = std::time::Instant::now();
    let run = loop {
        let list = runs(&p);
        if let Some(run) = list.first().filter(|r| r["status"] == "completed") {
            break run.clone();
        }
        assert!(started.elapsed().as_secs() < 30, "no push run: {list:?}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(run["event"], "push");
    assert_eq!(run["sha"], after.as_str());
    assert_eq!(run["conclusion"], "success", "{run:#}");
    let id = run["id"].to_string();
    let log = stdout(&as_user(
        &p,
        &url,
        &token(&p),
        &["runs", "view", &id, "--log"],
    ));
    assert!(log.contains(&format!("pushed {before}..{after}")), "{log}");
    assert!(log.contains("first change"), "{log}");

    // A push outside the paths starts nothing.
    p.write("docs/readme.md", "docs\n");
    p.commit("change docs");
    std::thread::sleep(std::time::Duration::from_millis(800));
    assert_eq!(runs(&p).len(), 1);
}
