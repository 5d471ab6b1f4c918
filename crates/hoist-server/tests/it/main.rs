//! The server as a library: its API description matches its routes, and every documented
//! operation answers on a real socket.

#![allow(clippy::unwrap_used)] // a panic is how a test reports failure

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

mod concurrency;
mod environments;
mod forge_statuses;
mod oidc;
mod secrets;
mod workflow_run;

/// `METHOD path` of every route the router registers, read from its source.
fn routed() -> BTreeSet<String> {
    let source =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes/mod.rs"))
            .unwrap();
    let mut out = BTreeSet::new();
    let mut rest = source.as_str();
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let path = rest.split('"').nth(1).unwrap().to_owned();
        // The handlers of this route: up to the next `.route(` or the end of the chain.
        let end = rest.find(".route(").unwrap_or(rest.len());
        for method in ["get", "post", "delete", "put", "patch"] {
            let call = format!("{method}(");
            if rest[..end].contains(&format!(" {call}"))
                || rest[..end].contains(&format!("({call}"))
                || rest[..end].contains(&format!(".{call}"))
            {
                out.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    out
}

fn documented() -> (Value, BTreeSet<String>) {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("api/openapi.json"))
            .unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    (doc, out)
}

#[test]
fn the_api_description_lists_exactly_the_routes() {
    let (doc, documented) = documented();
    assert_eq!(doc["openapi"], "3.0.3");
    let routed = routed();
    assert!(routed.len() > 10, "the route reader found {routed:?}");
    let undocumented: Vec<&String> = routed.difference(&documented).collect();
    let missing: Vec<&String> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty() && missing.is_empty(),
        "routed but not in api/openapi.json: {undocumented:?}; documented but not routed: {missing:?}"
    );
    // Every schema referred to exists.
    let text = doc.to_string();
    for name in text.split("#/components/schemas/").skip(1) {
        let name = name.split('"').next().unwrap();
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "no schema `{name}`"
        );
    }
}

#[test]
fn every_documented_operation_answers_and_the_description_is_served() {
    let served = serve(&[], 0);
    let (address, token, runtime) = (served.address, &served.token, &served.runtime);
    let (doc, documented) = documented();
    let http = reqwest::Client::new();
    runtime.block_on(async {
        for operation in &documented {
            let (method, path) = operation.split_once(' ').unwrap();
            let url = format!(
                "http://{address}{}",
                path.replace("{repo}", "repo")
                    .replace("{file}", "none.yml")
                    .replace("{job}", "none")
                    .replace("{id}", "1")
                    .replace("{branch}", "main")
                    .replace("{number}", "1")
                    .replace("{reference}", "main")
                    .replace("{hook}", "pre-receive")
                    .replace("{*rest}", "info/refs")
            );
            let request = match method {
                "GET" => http.get(&url),
                "DELETE" => http.delete(&url),
                "PUT" => http
                    .put(&url)
                    .header("content-type", "application/json")
                    .body("{}"),
                "PATCH" => http
                    .patch(&url)
                    .header("content-type", "application/json")
                    .body("{}"),
                _ => http
                    .post(&url)
                    .header("content-type", "application/json")
                    .body("{}"),
            };
            let response = request.bearer_auth(token).send().await.unwrap();
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            // The router's own answers for an unknown route or method have no body.
            assert!(
                !(status == 404 && body.is_empty()) && status != 405,
                "{operation}: {status} {body:?}"
            );
        }
        let served: Value = http
            .get(format!("http://{address}/api/v1/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(served, doc);
    });
}

/// A git repository with `workflows` committed, and a server on it.
struct Served {
    dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    address: std::net::SocketAddr,
    client: hoist_server::Client,
    token: String,
    options: Options,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    stopped: Option<std::sync::mpsc::Receiver<()>>,
}

/// How a test's server differs from the default one.
#[derive(Clone, Default)]
struct Options {
    runners: usize,
    /// Schedules go by this clock.
    clock: Option<std::sync::Arc<dyn hoist_server::Clock>>,
    /// Job leases (runners renew every third of it); 30 s when `None`.
    lease: Option<std::time::Duration>,
    /// Changes to the repository's configuration.
    configure: Option<fn(&mut hoist_server::RepoConfig)>,
    /// How long deployments wait for a review.
    review_timeout: Option<std::time::Duration>,
}

/// With `runners` in the server's process.
fn serve(workflows: &[(&str, &str)], runners: usize) -> Served {
    serve_with(
        workflows,
        Options {
            runners,
            ..Options::default()
        },
    )
}

fn serve_with(workflows: &[(&str, &str)], options: Options) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join(".github/workflows")).unwrap();
    for (name, text) in workflows {
        std::fs::write(repo.join(".github/workflows").join(name), text).unwrap();
    }
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args(["-c", "user.email=t@t", "-c", "user.name=t"])
            .args(args)
            .current_dir(&repo)
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "--allow-empty", "-m", "x"]);
    start(dir, tokio::runtime::Runtime::new().unwrap(), options)
}

/// Starts a server on the repository and data directory in `dir`.
fn start(dir: tempfile::TempDir, runtime: tokio::runtime::Runtime, options: Options) -> Served {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut repo = hoist_server::RepoConfig {
        name: "repo".into(),
        path: dir.path().join("repo"),
        ..hoist_server::RepoConfig::default()
    };
    if let Some(configure) = options.configure {
        configure(&mut repo);
    }
    let config = hoist_server::ServerConfig {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.path().join("data"),
        repos: vec![repo],
        runners: options.runners,
        name: "test".into(),
        database: None,
        labels: None,
        observer: None,
        hook_program: None,
        clock: options.clock.clone(),
        lease: options.lease.unwrap_or(std::time::Duration::from_secs(30)),
        secret_key: None,
        review_timeout: options.review_timeout,
        public_url: None,
    };
    let (stop, stopping) = tokio::sync::oneshot::channel::<()>();
    let (done, stopped) = std::sync::mpsc::channel();
    runtime.spawn(async move {
        let shutdown = async move {
            let _ = stopping.await;
        };
        hoist_server::serve(config, move |a| tx.send(a).unwrap(), shutdown)
            .await
            .unwrap();
        let _ = done.send(());
    });
    let address = rx.recv().unwrap();
    let token = hoist_server::read_admin_token(&dir.path().join("data")).unwrap();
    let client = hoist_server::Client::new(&format!("http://{address}"), &token);
    Served {
        dir,
        runtime,
        address,
        client,
        token,
        options,
        stop: Some(stop),
        stopped: Some(stopped),
    }
}

/// A server's repository and data directory while it is stopped.
struct Stopped {
    dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    options: Options,
}

impl Stopped {
    fn start(self) -> Served {
        start(self.dir, self.runtime, self.options)
    }
}

impl Served {
    /// Stops the server and starts it again on the same data directory.
    fn restart(self) -> Served {
        self.stop().start()
    }

    /// Stops the server, keeping its repository and data directory.
    fn stop(mut self) -> Stopped {
        let _ = self.stop.take().unwrap().send(());
        self.stopped
            .take()
            .unwrap()
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the server stops");
        Stopped {
            dir: self.dir,
            runtime: self.runtime,
            options: self.options,
        }
    }

    fn runs(&self) -> Vec<hoist_store::RunRow> {
        self.runtime
            .block_on(self.client.runs(None, &hoist_server::RunQuery::default()))
            .unwrap()
    }

    fn view(&self, id: i64) -> hoist_server::RunView {
        self.runtime.block_on(self.client.run(id)).unwrap()
    }

    fn dispatch(&self, file: &str, inputs: &[(&str, &str)]) -> i64 {
        let mut body = hoist_server::DispatchRequest::default();
        for (k, v) in inputs {
            body.inputs.insert((*k).to_owned(), Value::from(*v));
        }
        self.runtime
            .block_on(self.client.dispatch("repo", file, &body))
            .unwrap()
            .workflow_run_id
    }

    /// Waits (at most 60 s) until run `id`'s view satisfies `done`; returns that view.
    fn wait_for(
        &self,
        id: i64,
        what: &str,
        done: impl Fn(&hoist_server::RunView) -> bool,
    ) -> hoist_server::RunView {
        let started = std::time::Instant::now();
        loop {
            let view = self.view(id);
            if done(&view) {
                return view;
            }
            assert!(
                started.elapsed().as_secs() < 60,
                "run {id} never got to: {what}; it is {view:#?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// The audit entries of `action`.
    fn audit(&self, action: &str) -> Vec<hoist_store::AuditRow> {
        self.runtime
            .block_on(self.client.audit(&hoist_server::AuditQuery::default()))
            .unwrap()
            .into_iter()
            .filter(|e| e.action == action)
            .collect()
    }

    /// The line of metric `name` (one without labels) in `/metrics`, or `""`.
    fn metric(&self, name: &str) -> String {
        let text = self.runtime.block_on(async {
            reqwest::get(format!("http://{}/metrics", self.address))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        });
        text.lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_default()
            .to_owned()
    }

    /// Run `id`'s log of job `job`, all steps.
    fn log(&self, id: i64, job: &str) -> String {
        self.runtime
            .block_on(self.client.logs(id, job))
            .unwrap()
            .into_iter()
            .map(|p| p.text)
            .collect()
    }
}

/// The events of a finished job's log stream: (id, event name, data).
async fn events(served: &Served, url: &str, last: Option<&str>) -> Vec<(String, String, String)> {
    let mut request = reqwest::Client::new().get(url).bearer_auth(&served.token);
    if let Some(id) = last {
        request = request.header("Last-Event-ID", id);
    }
    let text = request.send().await.unwrap().text().await.unwrap();
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty() && !block.starts_with(':'))
        .map(|block| {
            let field = |name: &str| {
                block
                    .lines()
                    .filter_map(|l| l.strip_prefix(name))
                    .map(|v| v.trim_start().to_owned())
                    .next()
                    .unwrap_or_default()
            };
            (field("id:"), field("event:"), field("data:"))
        })
        .collect()
}

#[test]
fn a_job_s_log_streams_as_server_sent_events_and_resumes_after_the_last_event() {
    let workflow = "on: workflow_dispatch\njobs:\n  talk:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n          echo one\n          echo two\n      - run: echo three\n";
    let served = serve(&[("talk.yml", workflow)], 1);
    let body = hoist_server::DispatchRequest::default();
    let run = served
        .runtime
        .block_on(served.client.dispatch("repo", "talk.yml", &body))
        .unwrap();
    let url = format!(
        "http://{}/api/v1/runs/{}/jobs/talk/logs/stream",
        served.address, run.workflow_run_id
    );
    served.runtime.block_on(async {
        // Followed from the start, while it runs: every line, then the end.
        let all = events(&served, &url, None).await;
        let lines: Vec<String> = all
            .iter()
            .filter(|(_, e, _)| e.is_empty())
            .map(|(_, _, d)| {
                serde_json::from_str::<Value>(d).unwrap()["line"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(lines, ["one", "two", "three"], "{all:?}");
        let (_, last_event, conclusion) = all.last().unwrap();
        assert_eq!(
            (last_event.as_str(), conclusion.as_str()),
            ("end", "success")
        );
        // Reconnecting after the first line gives the rest, once.
        let resumed = events(&served, &url, Some(&all[0].0)).await;
        let rest: Vec<String> = resumed
            .iter()
            .filter(|(_, e, _)| e.is_empty())
            .map(|(_, _, d)| {
                serde_json::from_str::<Value>(d).unwrap()["line"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(rest, ["two", "three"], "{resumed:?}");
    });
}

/// The embedded runner's jobs, and the processes they start, run below the priority of the
/// server's answers, so that a busy machine answers dispatches first.
#[test]
fn embedded_runners_run_their_jobs_nicer_than_the_server() {
    let workflow = "on: workflow_dispatch\njobs:\n  work:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"niceness $(nice)\"\n";
    let served = serve(&[("work.yml", workflow)], 1);
    let id = served.dispatch("work.yml", &[]);
    let view = served.wait_for(id, "done", |v| v.status == "completed");
    assert_eq!(view.conclusion.as_deref(), Some("success"), "{view:#?}");
    let ours = std::process::Command::new("nice").output().unwrap();
    let ours: i32 = String::from_utf8_lossy(&ours.stdout)
        .trim()
        .parse()
        .unwrap();
    let log = served.log(id, "work");
    assert!(
        log.contains(&format!("niceness {}", (ours + 10).min(19))),
        "the test runs at {ours}: {log}"
    );
}

/// The server's connections never checkpoint (their answers must not wait for it); its
/// checkpointer does, so a finished run reaches the database file itself within seconds,
/// long before the log would reach SQLite's automatic mark.
#[test]
fn the_checkpointer_copies_the_log_into_the_database_file() {
    let workflow = "on: workflow_dispatch\njobs:\n  one:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo one\n";
    let served = serve(&[("one.yml", workflow)], 1);
    let id = served.dispatch("one.yml", &[]);
    served.wait_for(id, "done", |v| v.status == "completed");
    // `immutable=1` reads the database file alone, ignoring the write-ahead log.
    let file = served.dir.path().join("data/hoist.db");
    let uri = format!("file:{}?immutable=1", file.display());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let db = rusqlite::Connection::open_with_flags(
            &uri,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI,
        )
        .unwrap();
        let status: Option<String> = db
            .query_row("SELECT status FROM runs WHERE id = ?1", [id], |r| r.get(0))
            .ok();
        if status.as_deref() == Some("completed") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "run {id} is not in the database file after 10 s: {status:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(
        served.metric("hoist_store_checkpoint_failures_total"),
        "hoist_store_checkpoint_failures_total 0"
    );
}

/// A clock a test moves: milliseconds since the epoch.
struct TestClock(std::sync::atomic::AtomicI64);

impl hoist_server::Clock for TestClock {
    fn now_ms(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

const NIGHTLY: &str = "name: Nightly\non:\n  schedule:\n    - cron: '30 3 * * *'\n    - cron: '*/15 * * * MON'\njobs:\n  sweep:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo sweep\n";

#[test]
fn a_schedule_fires_at_its_minutes_by_the_server_clock_and_once() {
    // Tuesday 2026-12-01 03:28 UTC.
    let start = 1_796_095_680_000_i64;
    let clock = std::sync::Arc::new(TestClock(std::sync::atomic::AtomicI64::new(start)));
    let served = serve_with(
        &[("nightly.yml", NIGHTLY)],
        Options {
            clock: Some(clock.clone()),
            ..Options::default()
        },
    );
    let runs = |served: &Served| {
        served
            .runtime
            .block_on(served.client.runs(None, &hoist_server::RunQuery::default()))
            .unwrap()
    };
    let settle = || std::thread::sleep(std::time::Duration::from_millis(1500));
    settle();
    assert!(runs(&served).is_empty(), "03:28 fires nothing");
    let set = |minutes: i64| {
        clock.0.store(
            start + minutes * 60_000,
            std::sync::atomic::Ordering::SeqCst,
        );
    };
    set(1); // 03:29
    settle();
    assert!(runs(&served).is_empty());
    set(2); // 03:30: the nightly entry
    let started = std::time::Instant::now();
    while runs(&served).is_empty() {
        assert!(started.elapsed().as_secs() < 20, "03:30 never fired");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    settle();
    let fired = runs(&served);
    assert_eq!(fired.len(), 1, "once per minute: {fired:#?}");
    assert_eq!(fired[0].event, "schedule");
    assert_eq!(fired[0].git_ref, "refs/heads/main");
    // The same minute seen again (a clock stepping back) fires nothing more.
    set(2);
    settle();
    assert_eq!(runs(&served).len(), 1);
    // Monday entries do not fire on a Tuesday; the next nightly is a day later.
    set(17); // 03:45 Tuesday
    settle();
    assert_eq!(runs(&served).len(), 1);
}

#[test]
fn a_restarted_server_fires_no_minute_twice_and_logs_the_minutes_it_was_down() {
    // Tuesday 2026-12-01 03:29 UTC.
    let start = 1_796_095_740_000_i64;
    let clock = std::sync::Arc::new(TestClock(std::sync::atomic::AtomicI64::new(start)));
    let set = |minutes: i64| {
        clock.0.store(
            start + minutes * 60_000,
            std::sync::atomic::Ordering::SeqCst,
        );
    };
    let settle = || std::thread::sleep(std::time::Duration::from_millis(1500));
    let served = serve_with(
        &[("nightly.yml", NIGHTLY)],
        Options {
            clock: Some(clock.clone()),
            ..Options::default()
        },
    );
    settle();
    set(1); // 03:30
    let started = std::time::Instant::now();
    while served.runs().is_empty() {
        assert!(started.elapsed().as_secs() < 20, "03:30 never fired");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Started again within the same minute: the minute is not fired again.
    let served = served.restart();
    settle();
    assert_eq!(served.runs().len(), 1);
    set(2); // 03:31, looked at
    settle();
    // Down from 03:32 to 03:39; up again at 03:40.
    let stopped = served.stop();
    set(11);
    let served = stopped.start();
    let skipped = || served.audit("schedule.skipped");
    let started = std::time::Instant::now();
    while skipped().is_empty() {
        assert!(started.elapsed().as_secs() < 20, "no skip was logged");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let entry = &skipped()[0];
    assert_eq!(entry.detail["minutes"], 8, "{entry:?}");
    assert_eq!(entry.detail["from_minute"], start / 60_000 + 3);
    assert_eq!(served.runs().len(), 1, "nothing made up");
}
