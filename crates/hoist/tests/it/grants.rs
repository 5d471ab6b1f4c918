//! Who may do what on a server: runners trade a registration token for their own
//! credential, and a token limited to some repositories acts on those only.

use std::process::{Command, Stdio};

use serde_json::Value;

use crate::project::Project;
use crate::server_processes::{Processes, start_server, start_server_with, token};
use crate::{stderr, stdout};

const HELLO: &str = "on: workflow_dispatch\njobs:\n  hello:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hello\n";

/// `hoist` against the server at `url` with `token`, in `dir`.
fn hoist_with(
    dir: &std::path::Path,
    url: &str,
    token: &str,
    args: &[&str],
) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(args)
        .env("HOIST_SERVER", url)
        .env("HOIST_TOKEN", token)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn create_token(p: &Project, url: &str, args: &[&str]) -> std::process::Output {
    let mut all = vec!["token", "create"];
    all.extend_from_slice(args);
    hoist_with(&p.root(), url, &token(p), &all)
}

fn runner(p: &Project, url: &str, token: &str, name: &str, dir: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hoist"));
    command
        .args(["runner", "--server", url, "--token", token, "--name", name])
        .arg("--data-dir")
        .arg(p.beside(dir));
    command
}

#[test]
fn a_runner_trades_its_registration_token_for_a_credential_of_its_own() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::new(&[("hello.yml", HELLO)]);
    let mut processes = Processes(Vec::new());
    let url = start_server(&p, &mut processes, 0);
    let out = create_token(&p, &url, &["--name", "fleet", "--role", "runner"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("registration token"),
        "{}",
        stderr(&out)
    );
    let registration = stdout(&out).trim().to_owned();

    let child = runner(&p, &url, &registration, "ci-7", "ci-7")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    processes.0.push(child);
    let credential = p.beside("ci-7").join("credential");
    let started = std::time::Instant::now();
    while !credential.exists() {
        assert!(
            started.elapsed().as_secs() < 20,
            "the runner never registered"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(100));
    let mode = std::fs::metadata(&credential).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(&credential).unwrap()).unwrap();
    assert_eq!(stored["name"], "ci-7");
    let own = stored["token"].as_str().unwrap().to_owned();
    assert_ne!(own, registration, "the runner has a credential of its own");

    // It works with its credential: a dispatched job runs on it.
    let repo = p.root().file_name().unwrap().to_str().unwrap().to_owned();
    let out = hoist_with(
        &p.root(),
        &url,
        &token(&p),
        &[
            "workflow",
            "run",
            "hello.yml",
            "--repo",
            &repo,
            "--watch",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let run: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(run["jobs"][0]["runner"], "ci-7");

    // A second runner may not take the name; nor may the credential act for another name.
    let out = runner(&p, &url, &registration, "ci-7", "impostor")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("registered already"),
        "{}",
        stderr(&out)
    );
    let out = runner(&p, &url, &own, "ci-8", "ci-8").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot act for runner `ci-8`"),
        "{}",
        stderr(&out)
    );
    // The registration token is no person's: it reads and dispatches nothing.
    let out = hoist_with(&p.root(), &url, &registration, &["runs", "list"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("403"), "{}", stderr(&out));

    // Listed with its kind; the registration is audited.
    let out = hoist_with(&p.root(), &url, &token(&p), &["token", "list"]);
    let list = stdout(&out);
    assert!(
        list.contains("runner-registration") && list.contains("ci-7"),
        "{list}"
    );
    let out = hoist_with(&p.root(), &url, &token(&p), &["audit", "--json"]);
    let audit: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "runner.register" && e["actor"] == "fleet"),
        "{audit:#}"
    );
}

#[test]
fn a_token_limited_to_one_repository_acts_on_that_one_only() {
    let p = Project::new(&[("hello.yml", HELLO)]);
    // A second repository beside the first.
    let other = p.beside("other");
    std::fs::create_dir_all(other.join(".github/workflows")).unwrap();
    std::fs::write(other.join(".github/workflows/hello.yml"), HELLO).unwrap();
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.name=Dev",
            "-c",
            "user.email=dev@example.com",
            "commit",
            "-q",
            "-m",
            "x",
        ],
    ] {
        crate::git(&other, args);
    }
    let mut processes = Processes(Vec::new());
    let other_arg = other.display().to_string();
    let url = start_server_with(&p, &mut processes, 1, &["--repo", &other_arg]);
    let repo = p.root().file_name().unwrap().to_str().unwrap().to_owned();

    let out = create_token(
        &p,
        &url,
        &["--name", "dana", "--role", "developer", "--repo", &repo],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dana = stdout(&out).trim().to_owned();
    for (args, reason) in [
        (
            vec!["--name", "x", "--role", "developer", "--repo", "nosuch"],
            "no repository `nosuch`",
        ),
        (
            vec!["--name", "x", "--role", "admin", "--repo", &repo],
            "cannot be limited",
        ),
    ] {
        let out = create_token(&p, &url, &args);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(reason), "{}", stderr(&out));
    }

    // Her repository: yes. The other: 403, naming what she may act on.
    let out = hoist_with(
        &p.root(),
        &url,
        &dana,
        &[
            "workflow",
            "run",
            "hello.yml",
            "--repo",
            &repo,
            "--watch",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mine: Value = serde_json::from_slice(&out.stdout).unwrap();
    let out = hoist_with(
        &p.root(),
        &url,
        &dana,
        &["workflow", "run", "hello.yml", "--repo", "other"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("403")
            && stderr(&out).contains(&format!("`dana` may act only on `{repo}`")),
        "{}",
        stderr(&out)
    );

    // The admin runs the other repository's workflow; she does not see that run.
    let out = hoist_with(
        &p.root(),
        &url,
        &token(&p),
        &[
            "workflow",
            "run",
            "hello.yml",
            "--repo",
            "other",
            "--watch",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let theirs: Value = serde_json::from_slice(&out.stdout).unwrap();
    let out = hoist_with(&p.root(), &url, &dana, &["runs", "list", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let listed: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&Value> = listed.iter().map(|r| &r["id"]).collect();
    assert_eq!(ids, [&mine["id"]], "{listed:#?}");
    let out = hoist_with(
        &p.root(),
        &url,
        &dana,
        &["runs", "view", &theirs["id"].to_string()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("403"), "{}", stderr(&out));
    let out = hoist_with(
        &p.root(),
        &url,
        &dana,
        &["runs", "cancel", &theirs["id"].to_string()],
    );
    assert!(stderr(&out).contains("403"), "{}", stderr(&out));
    // The admin sees both.
    let out = hoist_with(&p.root(), &url, &token(&p), &["runs", "list", "--json"]);
    let listed: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed.len(), 2);
}
