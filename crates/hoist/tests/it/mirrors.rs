//! A repository given to `hoist serve` by URL: the server mirrors it, reads each dispatch's
//! workflow from the mirror after fetching, and runners fetch the commit from the URL.

use std::process::Command;

use serde_json::Value;

use crate::project::Project;
use crate::server_processes::{Processes, recorded_log, spawn_server, token};
use crate::{stderr, stdout};

fn workflow(version: &str) -> String {
    format!(
        "on: workflow_dispatch\njobs:\n  hello:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: echo \"workflow {version}, readme $(cat README.md)\"\n"
    )
}

#[test]
fn a_repository_given_by_url_is_mirrored_and_fetched_before_each_dispatch() {
    let p = Project::new(&[("hello.yml", &workflow("one"))]);
    // The upstream: a bare repository reached by a file:// URL, as a forge would be.
    let upstream = p.beside("upstream.git");
    crate::git(
        &p.beside(""),
        &[
            "clone",
            "-q",
            "--bare",
            &p.root().to_string_lossy(),
            &upstream.to_string_lossy(),
        ],
    );
    p.git(&["remote", "add", "upstream", &upstream.to_string_lossy()]);
    let url = format!("file://{}", upstream.display());

    let mut processes = Processes(Vec::new());
    let mut command = Command::new(env!("CARGO_BIN_EXE_hoist"));
    command
        .args([
            "serve",
            "--runners",
            "1",
            "--listen",
            "127.0.0.1:0",
            "--repo",
            &url,
        ])
        .arg("--data-dir")
        .arg(p.beside("server"));
    let server = spawn_server(command, &mut processes).0;
    let mirror = p.beside("server").join("mirrors/upstream.git");
    assert!(mirror.join("HEAD").is_file(), "the server made its mirror");
    assert!(!mirror.join(".git").exists(), "a bare mirror");

    let dispatch = || {
        let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
            .args([
                "workflow",
                "run",
                "hello.yml",
                "--repo",
                "upstream",
                "--watch",
                "--json",
            ])
            .env("HOIST_SERVER", &server)
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
        let run: Value = serde_json::from_slice(&out.stdout).unwrap();
        recorded_log(&p, &run["id"].to_string())
    };
    let log = dispatch();
    assert!(log.contains("workflow one, readme hello"), "{log}");

    // A push upstream: the next dispatch runs the new commit's workflow on its files.
    p.write(".github/workflows/hello.yml", &workflow("two"));
    p.write("README.md", "changed\n");
    p.commit("two");
    p.git(&["push", "-q", "upstream", "main"]);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let log = dispatch();
    assert!(log.contains("workflow two, readme changed"), "{log}");

    // The working tree is never read: a change not pushed does not count.
    p.write(".github/workflows/hello.yml", &workflow("three"));
    p.commit("three");
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let log = dispatch();
    assert!(log.contains("workflow two"), "{log}");

    // An unreachable URL stops the server at start, naming it.
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["serve", "--runners", "0", "--listen", "127.0.0.1:0"])
        .args(["--repo", "file:///nonexistent/gone.git"])
        .arg("--data-dir")
        .arg(p.beside("server-2"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot mirror the repository `file:///nonexistent/gone.git`"),
        "{}",
        stderr(&out)
    );
}
