//! Starting `hoist serve` and `hoist runner` processes for tests, and talking to them.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::project::Project;
use crate::{stderr, stdout};

/// Child processes, killed when the test ends however it ends.
pub(crate) struct Processes(pub(crate) Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts `hoist serve` on a free port; returns its URL.
pub(crate) fn start_server(p: &Project, processes: &mut Processes, runners: usize) -> String {
    start_server_with(p, processes, runners, &[])
}

pub(crate) fn start_server_with(
    p: &Project,
    processes: &mut Processes,
    runners: usize,
    extra: &[&str],
) -> String {
    start_server_at(p, &p.root(), processes, runners, extra)
}

/// Starts `hoist serve` for the project at `project` (the repository or a directory in it).
pub(crate) fn start_server_at(
    p: &Project,
    project: &Path,
    processes: &mut Processes,
    runners: usize,
    extra: &[&str],
) -> String {
    let listen: &[&str] = if extra.contains(&"--listen") {
        &[]
    } else {
        &["--listen", "127.0.0.1:0"]
    };
    let mut command = Command::new(env!("CARGO_BIN_EXE_hoist"));
    command
        .args(["serve", "--runners", &runners.to_string()])
        .args(listen)
        .args(extra)
        .arg("--repo")
        .arg(project)
        .arg("--data-dir")
        .arg(p.beside("server"));
    spawn_server(command, processes).0
}

/// Starts the `hoist serve` that `command` describes, keeps it in `processes`, and returns
/// the URL it says it listens on, with the line that says so.
pub(crate) fn spawn_server(mut command: Command, processes: &mut Processes) -> (String, String) {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    processes.0.push(child);
    let mut lines = BufReader::new(stderr).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in `{first}`"))
        .to_owned();
    // Keep reading, so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (url, first)
}

/// The run id of `hoist workflow run --json`'s answer.
pub(crate) fn dispatched_id(out: &std::process::Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    serde_json::from_slice::<Value>(&out.stdout).unwrap()["workflow_run_id"]
        .as_i64()
        .unwrap()
        .to_string()
}

/// Waits until a step has created `marker`.
pub(crate) fn wait_for_marker(marker: &Path, started: std::time::Instant) {
    while !marker.exists() {
        assert!(started.elapsed().as_secs() < 30, "the job never started");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Waits until run `id` has completed, by the server's history, and returns it.
pub(crate) fn wait_completed(
    p: &Project,
    id: &str,
    started: std::time::Instant,
    limit_secs: u64,
) -> Value {
    loop {
        let run = recorded(p, id);
        if run["run"]["status"] == "completed" {
            return run;
        }
        assert!(
            started.elapsed().as_secs() < limit_secs,
            "the run never completed: {run:#}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The log of run `id`, read from the server's data directory.
pub(crate) fn recorded_log(p: &Project, id: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["runs", "view", id, "--log"])
        .env("HOIST_DATA_DIR", p.beside("server"))
        .current_dir(p.root())
        .output()
        .unwrap();
    stdout(&out)
}

pub(crate) fn token(p: &Project) -> String {
    std::fs::read_to_string(p.beside("server").join("admin-token"))
        .unwrap()
        .trim()
        .to_owned()
}

pub(crate) fn start_runner(
    p: &Project,
    processes: &mut Processes,
    url: &str,
    name: &str,
    shared: &Path,
) {
    spawn_runner(p, processes, url, name, shared);
}

/// Starts a runner; returns its index in `processes`.
pub(crate) fn spawn_runner(
    p: &Project,
    processes: &mut Processes,
    url: &str,
    name: &str,
    shared: &Path,
) -> usize {
    let child = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args([
            "runner",
            "--server",
            url,
            "--token",
            &token(p),
            "--name",
            name,
        ])
        .arg("--data-dir")
        .arg(p.beside(name))
        .env("SHARED", shared)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    processes.0.push(child);
    processes.0.len() - 1
}

pub(crate) fn dispatch(p: &Project, url: &str, args: &[&str]) -> std::process::Output {
    let repo = p.root();
    let name = repo.file_name().unwrap().to_str().unwrap().to_owned();
    Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["workflow", "run", "--server", url, "--repo", &name])
        .args(args)
        .env("HOIST_TOKEN", token(p))
        .output()
        .unwrap()
}

/// The run as the server recorded it, read from its data directory.
pub(crate) fn recorded(p: &Project, id: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["runs", "view", id, "--json"])
        .env("HOIST_DATA_DIR", p.beside("server"))
        .current_dir(p.root())
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}
