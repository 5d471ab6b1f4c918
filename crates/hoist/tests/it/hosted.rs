//! Hosted repositories end to end, with real git over the server's smart HTTP: pushes start
//! the runs their real diffs select (the example's `api-router-service.yml` only when
//! `services/api-router-service/**` changes, `db-guardrails.yml` only on
//! `db/migrations/**`), `git push -o pr` opens a pull request whose runs check out the test
//! merge, pushes to its branch synchronize it, and a protected `main` refuses a push until
//! the required check is green on the pushed commit.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::server_processes::{Processes, spawn_server};
use crate::{stderr, stdout};

/// A `hoist serve` with one hosted repository, `platform`, and a clone of it.
pub(crate) struct Hosted {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) url: String,
    pub(crate) token: String,
    _processes: Processes,
}

impl Hosted {
    /// A server with `runners` embedded runners and an empty hosted `platform`, cloned
    /// into `work/`.
    pub(crate) fn start(runners: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut processes = Processes(Vec::new());
        let mut command = Command::new(env!("CARGO_BIN_EXE_hoist"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--runners"])
            .arg(runners.to_string())
            .arg("--data-dir")
            .arg(dir.path().join("server"))
            .current_dir(dir.path());
        let url = spawn_server(command, &mut processes).0;
        let token = std::fs::read_to_string(dir.path().join("server/admin-token"))
            .unwrap()
            .trim()
            .to_owned();
        let hosted = Self {
            dir,
            url,
            token,
            _processes: processes,
        };
        let created = hosted.hoist(&["repo", "create", "platform"]);
        assert_eq!(created.status.code(), Some(0), "{}", stderr(&created));
        assert!(
            stderr(&created).contains("/git/platform.git"),
            "{}",
            stderr(&created)
        );
        let clone_url = hosted.clone_url();
        let out = Command::new("git")
            .args(["clone", "--quiet", &clone_url, "work"])
            .current_dir(hosted.dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        hosted.git(&["config", "user.name", "Dana"]);
        hosted.git(&["config", "user.email", "dana@example.com"]);
        hosted
    }

    /// The repository's URL with the token as the password, as a user gives it to git.
    pub(crate) fn clone_url(&self) -> String {
        let address = self.url.trim_start_matches("http://");
        format!("http://dana:{}@{address}/git/platform.git", self.token)
    }

    pub(crate) fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    pub(crate) fn hoist(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_hoist"))
            .args(args)
            .env("HOIST_SERVER", &self.url)
            .env("HOIST_TOKEN", &self.token)
            .env("HOIST_REPO", "platform")
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }

    pub(crate) fn git(&self, args: &[&str]) -> String {
        crate::git(&self.work(), args)
    }

    /// `git push …` in the clone; its output whether or not it succeeded.
    pub(crate) fn push(&self, args: &[&str]) -> Output {
        Command::new("git")
            .arg("push")
            .args(args)
            .current_dir(self.work())
            .output()
            .unwrap()
    }

    pub(crate) fn write(&self, rel: &str, text: &str) {
        let path = self.work().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub(crate) fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "--quiet", "-m", message]);
        self.git(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// The server's runs, newest first.
    pub(crate) fn runs(&self) -> Vec<Value> {
        let out = self.hoist(&["runs", "list", "--json", "-L", "200"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// The runs of commit `sha` (its own, or those of pull requests whose head it is).
    pub(crate) fn runs_of(&self, sha: &str) -> Vec<Value> {
        self.runs()
            .into_iter()
            .filter(|r| r["sha"] == sha || r["head_sha"] == sha)
            .collect()
    }

    /// Waits until every run of `sha` has completed and returns the combined status.
    pub(crate) fn settled_status(&self, reference: &str) -> Value {
        let out = self.hoist(&["status", reference, "--wait", "--timeout", "60", "--json"]);
        assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

/// `(workflow file, event)` of `runs`, sorted.
fn kinds(runs: &[Value]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = runs
        .iter()
        .map(|r| {
            let path = r["workflow_path"].as_str().unwrap_or_default();
            (
                path.rsplit('/').next().unwrap_or(path).to_owned(),
                r["event"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Copies the bundled example's project into `dest` (its files, not its git history).
fn copy_example(dest: &Path) {
    let source = crate::workspace_root().join("examples/platform");
    let out = Command::new("cp")
        .arg("-r")
        .arg(format!("{}/.", source.display()))
        .arg(dest)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

/// The raw answer to `GET path` (no client library: what a README's image fetch sends).
fn get(url: &str, path: &str) -> String {
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
    answer
}

fn wait_for(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn pushes_start_the_runs_their_real_diffs_select() {
    // No runners: the runs are planned and their jobs queued, which is all this asks.
    let h = Hosted::start(0);
    copy_example(&h.work());
    let first = h.commit("the platform");
    let out = h.push(&["origin", "HEAD:main"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Git shows the server's answer to the pusher.
    assert!(
        stderr(&out).contains("remote: hoist: run "),
        "{}",
        stderr(&out)
    );
    let on_first = kinds(&h.runs_of(&first));
    assert!(
        on_first.contains(&("api-router-service.yml".into(), "push".into()))
            && on_first.contains(&("db-guardrails.yml".into(), "push".into())),
        "the first push changes every file: {on_first:?}"
    );

    h.write("services/api-router-service/VERSION", "2\n");
    let api = h.commit("api-router: version 2");
    assert!(h.push(&["origin", "HEAD:main"]).status.success());
    let on_api = kinds(&h.runs_of(&api));
    assert!(
        on_api.contains(&("api-router-service.yml".into(), "push".into())),
        "{on_api:?}"
    );
    assert!(
        !on_api.iter().any(|(w, _)| w == "db-guardrails.yml"),
        "{on_api:?}"
    );

    h.write(
        "db/migrations/000099_add_index.up.sql",
        "CREATE INDEX CONCURRENTLY i ON t (c);\n",
    );
    h.write(
        "db/migrations/000099_add_index.down.sql",
        "DROP INDEX CONCURRENTLY i;\n",
    );
    let db = h.commit("db: an index");
    assert!(h.push(&["origin", "HEAD:main"]).status.success());
    let on_db = kinds(&h.runs_of(&db));
    assert!(
        on_db.contains(&("db-guardrails.yml".into(), "push".into())),
        "{on_db:?}"
    );
    assert!(
        !on_db.iter().any(|(w, _)| w == "api-router-service.yml"),
        "{on_db:?}"
    );

    // A pull request: `-o pr` opens it; its runs check out the test merge of its head into
    // `main`, with GitHub's ref, and their path filters see the pull request's own changes.
    h.git(&["checkout", "--quiet", "-b", "faster-router"]);
    h.write("services/api-router-service/router.sh", "echo faster\n");
    let head = h.commit("api-router: faster");
    let out = h.push(&["-o", "pr", "origin", "faster-router"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("opened pull request #1"),
        "{}",
        stderr(&out)
    );
    let pulls: Vec<Value> =
        serde_json::from_slice(&h.hoist(&["pr", "list", "--json"]).stdout).unwrap();
    assert_eq!(pulls.len(), 1, "{pulls:#?}");
    assert_eq!(pulls[0]["head_ref"], "faster-router");
    assert_eq!(pulls[0]["base_ref"], "main");
    let merge = pulls[0]["merge_sha"].as_str().unwrap().to_owned();
    h.git(&["fetch", "--quiet", "origin", "refs/pull/1/merge"]);
    let parents = h.git(&["log", "-1", "--format=%P", "FETCH_HEAD"]);
    assert_eq!(
        parents.trim(),
        format!("{db} {head}"),
        "the merge of head into base"
    );
    let pr_runs: Vec<Value> = h
        .runs_of(&head)
        .into_iter()
        .filter(|r| r["event"] == "pull_request")
        .collect();
    let pr_kinds = kinds(&pr_runs);
    assert!(
        pr_kinds.contains(&("api-router-service.yml".into(), "pull_request".into()))
            && !pr_kinds.iter().any(|(w, _)| w == "db-guardrails.yml"),
        "only the path-filtered workflows the pull request touches: {pr_kinds:?}"
    );
    for run in &pr_runs {
        assert_eq!(run["sha"], merge.as_str());
        assert_eq!(run["git_ref"], "refs/pull/1/merge");
    }

    // A new commit on the branch synchronizes the pull request.
    h.write("db/migrations/000100_more.up.sql", "SELECT 1;\n");
    h.write("db/migrations/000100_more.down.sql", "SELECT 1;\n");
    let second = h.commit("db: more");
    assert!(h.push(&["origin", "faster-router"]).status.success());
    let synced: Vec<(String, String)> = kinds(
        &h.runs_of(&second)
            .into_iter()
            .filter(|r| r["event"] == "pull_request")
            .collect::<Vec<_>>(),
    );
    assert!(
        synced.contains(&("db-guardrails.yml".into(), "pull_request".into()))
            && synced.contains(&("api-router-service.yml".into(), "pull_request".into())),
        "the pull request's changes since it left main: {synced:?}"
    );
    let view: Value =
        serde_json::from_slice(&h.hoist(&["pr", "view", "1", "--json"]).stdout).unwrap();
    assert_eq!(view["head_sha"], second.as_str());
    assert!(view["mergeable"] == true, "{view:#}");
}

const GATED_CI: &str = "name: CI\non:\n  push:\n  pull_request:\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: test -f ok\n";

#[test]
fn protected_main_takes_a_push_only_once_the_required_check_is_green() {
    let h = Hosted::start(1);
    h.write(".github/workflows/ci.yml", GATED_CI);
    h.write("ok", "");
    let first = h.commit("CI");
    assert!(h.push(&["origin", "HEAD:main"]).status.success());
    assert_eq!(h.settled_status(&first)["state"], "success");
    let protect = h.hoist(&[
        "repo",
        "protect",
        "platform",
        "main",
        "--require",
        "CI / test",
    ]);
    assert_eq!(protect.status.code(), Some(0), "{}", stderr(&protect));

    // A commit straight to main, never checked: refused, naming the check.
    h.write("README", "hello\n");
    h.commit("readme");
    let out = h.push(&["origin", "HEAD:main"]);
    assert!(!out.status.success());
    let said = stderr(&out);
    assert!(
        said.contains("`main` is protected") && said.contains("`CI / test` has not run"),
        "{said}"
    );
    h.git(&["reset", "--quiet", "--hard", "origin/main"]);

    // A pull request whose check fails: neither a merge nor a push of its head lands.
    h.git(&["checkout", "--quiet", "-b", "change"]);
    h.git(&["rm", "--quiet", "ok"]);
    let red = h.commit("drop ok");
    assert!(h.push(&["-o", "pr", "origin", "change"]).status.success());
    assert_eq!(h.settled_status(&red)["state"], "failure");
    let merge = h.hoist(&["pr", "merge", "1"]);
    assert_eq!(merge.status.code(), Some(1), "{}", stderr(&merge));
    assert!(
        stderr(&merge).contains("`CI / test` is failure"),
        "{}",
        stderr(&merge)
    );
    let out = h.push(&["origin", "change:main"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("`CI / test` is failure"),
        "{}",
        stderr(&out)
    );
    let status = h.hoist(&["status", "change"]);
    assert_eq!(status.status.code(), Some(1));
    assert!(stdout(&status).contains("failure"), "{}", stdout(&status));

    // Fixed on the branch: the pull request's check goes green, and its head fast-forwards
    // main, which takes it and counts the pull request as merged.
    h.write("ok", "");
    let green = h.commit("ok again");
    assert!(h.push(&["origin", "change"]).status.success());
    assert_eq!(h.settled_status(&green)["state"], "success");
    let out = h.push(&["origin", "change:main"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let view: Value =
        serde_json::from_slice(&h.hoist(&["pr", "view", "1", "--json"]).stdout).unwrap();
    assert_eq!(view["state"], "merged", "{view:#}");

    // `hoist pr merge` makes a merge commit once the checks are green.
    h.git(&["checkout", "--quiet", "-b", "second", "origin/main"]);
    h.write("NOTES", "more\n");
    let second = h.commit("notes");
    assert!(
        h.push(&["-o", "pr=main", "origin", "second"])
            .status
            .success()
    );
    wait_for("the pull request's run", Duration::from_secs(60), || {
        h.settled_status(&second)["state"] == "success"
    });
    let merge = h.hoist(&["pr", "merge", "2"]);
    assert_eq!(merge.status.code(), Some(0), "{}", stderr(&merge));
    h.git(&["fetch", "--quiet", "origin"]);
    let parents = h.git(&["log", "-1", "--format=%P", "origin/main"]);
    assert_eq!(parents.trim(), format!("{green} {second}"));

    // The badge of the workflow on main.
    let badge = get(&h.url, "/badge/platform/ci.yml.svg?branch=main");
    assert!(badge.starts_with("HTTP/1.1 200"), "{badge}");
    assert!(badge.contains("content-type: image/svg+xml"), "{badge}");
    assert!(badge.contains("<svg") && badge.contains(">CI<"), "{badge}");
}
