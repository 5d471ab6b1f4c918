//! GitHub-format webhooks into `hoist serve`: a signed push starts the runs whose path
//! filters its real diff matches (computed with git, not read from the payload, whose
//! `commits` here even name another file); a replay is acknowledged and ignored; bad and
//! missing signatures, unknown repositories and pings are answered as GitHub expects, and
//! every delivery is listed by `hoist hooks deliveries`.

use std::io::{Read, Write};
use std::process::Command;

use serde_json::Value;

use crate::project::Project;
use crate::server_processes::{Processes, spawn_server, token};
use crate::{stderr, stdout};

const API: &str = "on:\n  push:\n    paths: ['services/api/**']\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo api\n";
const DB: &str = "on:\n  push:\n    paths: ['db/**']\njobs:\n  check:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo db\n";
const SECRET: &str = "It's a Secret to Everybody";

/// POSTs `body` to `url` + `path` with `headers`; the status and the body of the answer.
fn post(url: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let address = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split_whitespace()
        .nth(1)
        .unwrap_or("0")
        .parse()
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn runs(p: &Project, url: &str) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["runs", "list", "--json", "--server", url])
        .env("HOIST_TOKEN", token(p))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_signed_push_starts_the_runs_its_diff_selects_once() {
    let p = Project::new(&[("api.yml", API), ("db.yml", DB)]);
    let before = p.git(&["rev-parse", "HEAD"]).trim().to_owned();
    p.write("services/api/main.go", "package main\n");
    p.commit("api: answer faster");
    let after = p.git(&["rev-parse", "HEAD"]).trim().to_owned();
    let secret_file = p.beside("platform.secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let config = p.beside("server.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\nrunners = 1\n\n[server.repos.app]\npath = \"{}\"\nforge-name = \"acme/platform\"\nwebhook-secret-file = \"{}\"\n",
            p.root().display(),
            secret_file.display()
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
    let url = spawn_server(command, &mut processes).0;

    let fixture = std::fs::read_to_string(
        crate::workspace_root().join("crates/hoist/tests/data/webhooks/github-push.json"),
    )
    .unwrap();
    let body = fixture.replace("BEFORE", &before).replace("AFTER", &after);
    let signature = hoist_server::webhook_signature(SECRET, body.as_bytes());
    let headers = |id: &'static str, sig: &str| -> Vec<(&'static str, String)> {
        vec![
            ("X-GitHub-Event", "push".to_owned()),
            ("X-GitHub-Delivery", id.to_owned()),
            ("X-Hub-Signature-256", sig.to_owned()),
        ]
    };
    let send = |h: Vec<(&'static str, String)>, body: &str| {
        let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
        post(&url, "/api/v1/hooks/github", &h, body)
    };

    let started = std::time::Instant::now();
    let (status, answer) = send(headers("delivery-1", &signature), &body);
    assert_eq!(status, 202, "{answer}");
    assert!(started.elapsed().as_millis() < 2000, "answered at once");
    let run = loop {
        let listed = runs(&p, &url);
        if let Some(r) = listed.first() {
            break r.clone();
        }
        assert!(started.elapsed().as_secs() < 30, "no run started");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    // Only the workflow whose paths the diff touches (the payload's `commits` name README.md).
    assert_eq!(run["workflow_path"], ".github/workflows/api.yml", "{run:#}");
    assert_eq!(run["event"], "push");
    assert_eq!(run["sha"], after.as_str());
    assert_eq!(run["actor"], "dana");

    // A replay: acknowledged, nothing more.
    let (status, answer) = send(headers("delivery-1", &signature), &body);
    assert_eq!(status, 202);
    assert!(answer.contains("received before"), "{answer}");
    // Badly signed, unsigned, unknown repository, a ping.
    let (status, _) = send(headers("delivery-2", "sha256=00"), &body);
    assert_eq!(status, 401);
    let unsigned: Vec<(&str, &str)> = vec![
        ("X-GitHub-Event", "push"),
        ("X-GitHub-Delivery", "delivery-3"),
    ];
    assert_eq!(post(&url, "/api/v1/hooks/github", &unsigned, &body).0, 401);
    let other = body
        .replace("acme/platform", "acme/other")
        .replace("\"platform\"", "\"other\"");
    let (status, answer) = send(
        headers(
            "delivery-4",
            &hoist_server::webhook_signature(SECRET, other.as_bytes()),
        ),
        &other,
    );
    assert_eq!(status, 404, "{answer}");
    let ping = r#"{"zen": "Keep it logically awesome.", "repository": {"name": "platform", "full_name": "acme/platform"}}"#;
    let mut ping_headers = headers(
        "delivery-5",
        &hoist_server::webhook_signature(SECRET, ping.as_bytes()),
    );
    ping_headers[0].1 = "ping".to_owned();
    assert_eq!(send(ping_headers, ping).0, 200);

    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(
        runs(&p, &url).len(),
        1,
        "every good delivery acted on once, the bad ones not at all"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["hooks", "deliveries", "--json", "--server", &url])
        .env("HOIST_TOKEN", token(&p))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let deliveries: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let by_id = |id: &str| {
        deliveries
            .iter()
            .find(|d| d["id"] == id)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(by_id("delivery-1")["status"], "accepted");
    assert_eq!(by_id("delivery-1")["runs"], serde_json::json!([run["id"]]));
    for id in ["delivery-2", "delivery-3", "delivery-4"] {
        assert_eq!(by_id(id)["status"], "rejected", "{id}: {deliveries:#?}");
    }
    assert!(
        by_id("delivery-2")["reason"]
            .as_str()
            .unwrap()
            .contains("not signed with the secret")
    );
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["hooks", "deliveries", "--failed", "--server", &url])
        .env("HOIST_TOKEN", token(&p))
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("delivery-2") && !text.contains("delivery-1 "),
        "{text}"
    );
}

const PR_CI: &str = "name: CI\non:\n  pull_request:\n    paths: ['services/api/**']\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"$GITHUB_REF $GITHUB_HEAD_REF $GITHUB_BASE_REF\"\n";

#[test]
fn a_signed_pull_request_runs_on_a_test_merge_made_by_the_server() {
    let p = Project::new(&[("ci.yml", PR_CI)]);
    let base = p.git(&["rev-parse", "HEAD"]).trim().to_owned();
    p.git(&["checkout", "--quiet", "-b", "faster"]);
    p.write("services/api/main.go", "package main\n");
    p.commit("api: answer faster");
    let head = p.git(&["rev-parse", "HEAD"]).trim().to_owned();
    p.git(&["checkout", "--quiet", "-"]);
    let config = p.beside("server.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\nrunners = 0\n\n[server.repos.app]\npath = \"{}\"\nforge-name = \"acme/platform\"\n",
            p.root().display(),
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
    let url = spawn_server(command, &mut processes).0;
    let fixture = std::fs::read_to_string(
        crate::workspace_root().join("crates/hoist/tests/data/webhooks/github-pull_request.json"),
    )
    .unwrap();
    let body = fixture
        .replace("HEAD_SHA", &head)
        .replace("BASE_SHA", &base);
    let headers = [
        ("X-GitHub-Event", "pull_request"),
        ("X-GitHub-Delivery", "pr-1"),
    ];
    let (status, answer) = post(&url, "/api/v1/hooks/github", &headers, &body);
    assert_eq!(status, 202, "{answer}");
    let started = std::time::Instant::now();
    let run = loop {
        if let Some(r) = runs(&p, &url).first() {
            break r.clone();
        }
        assert!(started.elapsed().as_secs() < 30, "no run started");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(run["event"], "pull_request");
    assert_eq!(run["git_ref"], "refs/pull/7/merge");
    assert_eq!(run["head_sha"], head.as_str());
    assert_eq!(run["branch"], "faster");
    // The run's commit is the server's merge of the head into the base.
    let sha = run["sha"].as_str().unwrap();
    let parents = p.git(&["log", "-1", "--format=%P", sha]);
    assert_eq!(parents.trim(), format!("{base} {head}"));
    assert_eq!(p.git(&["rev-parse", "refs/pull/7/merge"]).trim(), sha);

    // Gitea's `synchronized`, signed with bare hex: read as GitHub's `synchronize`.
    p.git(&["checkout", "--quiet", "faster"]);
    p.write("services/api/main.go", "package main // v2\n");
    p.commit("api: v2");
    let head2 = p.git(&["rev-parse", "HEAD"]).trim().to_owned();
    let gitea = fixture
        .replace("HEAD_SHA", &head2)
        .replace("BASE_SHA", &base)
        .replace("\"opened\"", "\"synchronized\"");
    let (status, answer) = post(
        &url,
        "/api/v1/hooks/gitea",
        &[
            ("X-Gitea-Event", "pull_request"),
            ("X-Gitea-Delivery", "g-1"),
        ],
        &gitea,
    );
    assert_eq!(status, 202, "{answer}");
    let started = std::time::Instant::now();
    while !runs(&p, &url)
        .iter()
        .any(|r| r["head_sha"] == head2.as_str())
    {
        assert!(started.elapsed().as_secs() < 30, "no synchronize run");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // A malformed pull request is rejected with the field named.
    let broken = body.replace("\"sha\": \"", "\"shaX\": \"");
    post(
        &url,
        "/api/v1/hooks/github",
        &[
            ("X-GitHub-Event", "pull_request"),
            ("X-GitHub-Delivery", "pr-bad"),
        ],
        &broken,
    );
    let started = std::time::Instant::now();
    loop {
        let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
            .args(["hooks", "deliveries", "--json", "--server", &url])
            .env("HOIST_TOKEN", token(&p))
            .output()
            .unwrap();
        let deliveries: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        let bad = deliveries
            .iter()
            .find(|d| d["id"] == "pr-bad")
            .cloned()
            .unwrap_or_default();
        if bad["status"] == "rejected" {
            assert!(
                bad["reason"]
                    .as_str()
                    .unwrap()
                    .contains("`pull_request.head.sha`"),
                "{bad:#}"
            );
            break;
        }
        assert!(started.elapsed().as_secs() < 30, "{deliveries:#?}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
