//! Metrics and object storage end to end: `hoist run` against a real S3-compatible server
//! (s3s-fs on loopback), outages and wrong credentials, `hoist metrics flush | status`, and
//! summaries of a few hundred imported runs checked against figures known by construction.

use std::process::Output;

use hoist_testbed::S3Server;
use serde_json::Value;

use crate::project::Project;
use crate::{stderr, stdout};

/// A workflow whose test job writes JUnit XML both ways Hoist reads it: into
/// `$HOIST_TEST_RESULTS`, and to a file matching `HOIST_JUNIT`.
const CI: &str = r#"
name: CI
on: push
jobs:
  test:
    strategy:
      matrix:
        service: [api, web]
    runs-on: ubuntu-latest
    steps:
      - run: echo "building ${{ matrix.service }}"
      - name: Unit tests
        run: |
          cat > "$HOIST_TEST_RESULTS/unit.xml" <<'XML'
          <testsuite name="unit"><testcase name="a" time="0.5"/><testcase name="b" time="0.25"><skipped/></testcase></testsuite>
          XML
      - name: Integration tests
        env:
          HOIST_JUNIT: reports/*.xml
        run: |
          mkdir -p reports
          echo '<testsuites><testsuite name="it"><testcase name="c"><failure>no</failure></testcase><testcase name="d"/></testsuite></testsuites>' > reports/it.xml
          echo "tests ran for ${{ matrix.service }}"
"#;

fn storage_config(server: &S3Server) -> String {
    format!(
        "[storage]\nurl = \"s3://{}/team-ci\"\nendpoint = \"{}\"\naccess-key-id = \"{}\"\nsecret-access-key = \"{}\"\ntimeout-seconds = 5\n",
        server.bucket,
        server.endpoint(),
        server.access_key,
        server.secret_key
    )
}

fn project(server: &S3Server) -> Project {
    let p = Project::new(&[("ci.yml", CI)]);
    p.write("hoist.toml", &storage_config(server));
    p.commit("storage");
    p
}

fn bucket_keys(server: &S3Server) -> Vec<String> {
    let root = server.root.path().join(&server.bucket);
    let mut keys = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                keys.push(
                    p.strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    keys.sort();
    keys
}

fn json(o: &Output) -> Value {
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

fn read_object(server: &S3Server, key: &str) -> Vec<u8> {
    std::fs::read(server.root.path().join(&server.bucket).join(key)).unwrap()
}

#[test]
fn a_run_uploads_logs_and_metrics_with_test_counts() {
    let mut server = S3Server::start();
    let p = project(&server);
    let out = p.hoist(&["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    let run = p.last_run();
    let id = run["run"]["id"].as_i64().unwrap();
    let keys = bucket_keys(&server);
    let metrics_key = keys
        .iter()
        .find(|k| k.starts_with("team-ci/metrics/v1/dt="))
        .expect("metrics document")
        .clone();
    assert!(metrics_key.ends_with(&format!("/{id}.ndjson")), "{keys:?}");
    assert!(
        keys.contains(&format!(
            "team-ci/logs/{}/{id}.log.gz",
            metrics_key.split('/').nth(4).unwrap()
        )),
        "{keys:?}"
    );
    assert_eq!(
        run["objects"]["storage_url"],
        format!("s3://{}/team-ci", server.bucket)
    );

    // The document: 1 run, 2 jobs, 3 steps each; tests counted per step and per job.
    let doc = String::from_utf8(read_object(&server, &metrics_key)).unwrap();
    let records: Vec<Value> = doc
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 1 + 2 * 4, "{doc}");
    assert!(records.iter().all(|r| r["version"] == 1));
    let api = records
        .iter()
        .find(|r| r["kind"] == "job" && r["service"] == "api")
        .unwrap();
    assert_eq!(api["tests"]["total"], 4);
    assert_eq!(
        (
            api["tests"]["passed"].as_u64(),
            api["tests"]["failed"].as_u64(),
            api["tests"]["skipped"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(api["matrix"]["service"], "api");
    let unit = records
        .iter()
        .find(|r| r["kind"] == "step" && r["step_name"] == "Unit tests" && r["service"] == "web")
        .unwrap();
    assert_eq!(
        (
            unit["tests"]["total"].as_u64(),
            unit["tests"]["duration_ms"].as_u64()
        ),
        (Some(2), Some(750))
    );
    let first = records
        .iter()
        .find(|r| r["kind"] == "step" && r["step_index"] == 0)
        .unwrap();
    assert!(
        first.get("tests").is_none(),
        "a step without reports has no test counts"
    );
    for field in [
        "commit",
        "branch",
        "event",
        "runner",
        "started_at",
        "finished_at",
        "duration_ms",
        "conclusion",
        "attempt",
        "workflow",
    ] {
        assert!(!api[field].is_null(), "job record lacks `{field}`: {api}");
    }
    assert!(!api["queued_at"].is_null());

    // Logs are read back from the bucket: they show while the server is up, and the command
    // says which storage it cannot reach while it is down.
    let log = p.log(id);
    assert!(log.contains("tests ran for api"), "{log}");
    server.stop();
    let out = p.hoist(&["runs", "view", &id.to_string(), "--log"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot reach storage"),
        "{}",
        stderr(&out)
    );
    server.restart();
    assert_eq!(p.log(id), log);
}

#[test]
fn an_outage_during_the_run_changes_nothing_and_flush_uploads_later() {
    let mut server = S3Server::start();
    let p = project(&server);
    server.stop();
    // A failing run: its metrics matter most.
    p.write(
        ".github/workflows/ci.yml",
        &CI.replace("echo \"tests ran", "false; echo \"tests ran"),
    );
    let out = p.hoist(&["run"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the run's own result: {}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("are kept locally") && stderr(&out).contains("cannot reach storage"),
        "{}",
        stderr(&out)
    );
    let id = p.last_run()["run"]["id"].as_i64().unwrap();
    assert!(
        p.log(id).contains("building") || !p.log(id).is_empty(),
        "logs stay readable from the database"
    );
    let status = json(&p.hoist(&["metrics", "status", "--json"]));
    assert_eq!(status["pending"][0]["id"], id);
    assert_eq!(status["pending"][0]["attempts"], 1);
    assert!(
        status["pending"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("cannot reach storage")
    );
    // Still down: flush fails with exit code 1 and keeps it.
    let out = p.hoist(&["metrics", "flush"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    server.restart();
    let out = p.hoist(&["metrics", "flush", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(json(&out)["uploaded"], serde_json::json!([id]));
    assert!(
        json(&p.hoist(&["metrics", "status", "--json"]))["pending"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let keys = bucket_keys(&server);
    assert!(
        keys.iter().any(|k| k.ends_with(&format!("/{id}.ndjson"))),
        "{keys:?}"
    );
    let doc = String::from_utf8(read_object(
        &server,
        keys.iter().find(|k| k.ends_with(".ndjson")).unwrap(),
    ))
    .unwrap();
    assert!(
        doc.lines()
            .next()
            .unwrap()
            .contains(r#""conclusion":"failure""#),
        "{doc}"
    );
}

#[test]
fn wrong_credentials_are_a_clear_warning_and_the_run_result_stands() {
    let server = S3Server::start();
    let p = Project::new(&[("ci.yml", CI)]);
    // Credentials and endpoint from the standard AWS variables, the URL from HOIST_STORAGE_URL.
    let out = p
        .command(&["run"])
        .env("HOIST_STORAGE_URL", format!("s3://{}/ci", server.bucket))
        .env("AWS_ENDPOINT_URL", server.endpoint())
        .env("AWS_ACCESS_KEY_ID", &server.access_key)
        .env("AWS_SECRET_ACCESS_KEY", "not-the-secret")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("refused the credentials"),
        "{}",
        stderr(&out)
    );
    assert!(bucket_keys(&server).is_empty());
    let out = p.hoist(&["metrics", "status"]);
    assert!(
        stdout(&out).contains("1 run(s) wait for upload"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn the_default_storage_is_a_directory_in_the_data_dir() {
    let p = Project::new(&[("ci.yml", CI)]);
    let out = p.hoist(&["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let id = p.last_run()["run"]["id"].as_i64().unwrap();
    let blobs = p.data().join("blobs");
    assert!(blobs.join("metrics/v1").is_dir());
    let export = stdout(&p.hoist(&["metrics", "export", &id.to_string()]));
    let dated = std::fs::read_dir(blobs.join("metrics/v1"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let repo_dir = std::fs::read_dir(&dated)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert_eq!(
        std::fs::read_to_string(repo_dir.join(format!("{id}.ndjson"))).unwrap(),
        export
    );
    assert!(p.log(id).contains("tests ran for web"));
}

/// 300 runs of `CI` on 300 commits, run n starting at 2026-10-01 + n hours and lasting
/// n seconds; every tenth failed. Each has one `test` job for service api (n % 3 == 1),
/// web (n % 3 == 2) or worker (n % 3 == 0) lasting n × 500 ms, with a `Build` step of
/// n × 100 ms. Runs 50, 100, …, 300 were rerun (attempt 2, a day later) and passed.
fn history() -> String {
    let start: jiff::Timestamp = "2026-10-01T00:00:00Z".parse().unwrap();
    let mut lines = Vec::new();
    let mut push = |n: i64, attempt: i64, failed: bool, delay_hours: i64| {
        let t0 = start + jiff::SignedDuration::from_hours(n + delay_hours);
        let at = |ms: i64| (t0 + jiff::SignedDuration::from_millis(ms)).to_string();
        let service = ["worker", "api", "web"][(n % 3) as usize];
        let conclusion = if failed { "failure" } else { "success" };
        let id = n + 1000 * (attempt - 1);
        let base = serde_json::json!({
            "version": 1, "repo": "acme/platform", "run_id": id, "run_number": n, "attempt": attempt,
            "workflow": "CI", "workflow_path": ".github/workflows/ci.yml", "event": "push",
            "commit": format!("c{n:03}"), "branch": "main", "actor": "dev", "runner": "ci-1",
        });
        let with = |extra: Value| {
            let mut v = base.clone();
            v.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            v.to_string()
        };
        lines.push(with(serde_json::json!({"kind": "run", "queued_at": at(0), "started_at": at(0), "finished_at": at(n * 1000), "duration_ms": n * 1000, "conclusion": conclusion})));
        let job = serde_json::json!({"job": format!("test ({service})"), "job_id": "test", "job_name": format!("test ({service})"), "matrix": {"service": service}, "service": service});
        let mut j = job.clone();
        j.as_object_mut().unwrap().extend(serde_json::json!({"kind": "job", "started_at": at(0), "finished_at": at(n * 500), "duration_ms": n * 500, "conclusion": conclusion, "tests": {"total": 10, "passed": if failed {9} else {10}, "failed": u64::from(failed), "skipped": 0, "duration_ms": 100}}).as_object().unwrap().clone());
        lines.push(with(j));
        let mut s = job;
        s.as_object_mut().unwrap().extend(serde_json::json!({"kind": "step", "step_index": 0, "step_name": "Build", "started_at": at(0), "finished_at": at(n * 100), "duration_ms": n * 100, "conclusion": "success", "exit_code": 0}).as_object().unwrap().clone());
        lines.push(with(s));
    };
    for n in 1..=300 {
        push(n, 1, n % 10 == 0, 0);
        if n % 50 == 0 {
            push(n, 2, false, 24);
        }
    }
    lines.join("\n") + "\n"
}

#[test]
fn summaries_of_a_few_hundred_runs_have_exact_figures() {
    let p = Project::new(&[("ci.yml", CI)]);
    p.write("history.ndjson", &history());
    let out = p.hoist(&["metrics", "import", "history.ndjson"]);
    assert_eq!(
        stdout(&out),
        "imported 306 run(s), 306 job(s), 306 step(s)\n",
        "{}",
        stderr(&out)
    );
    let out = p.hoist(&["metrics", "import", "history.ndjson"]);
    assert_eq!(
        stdout(&out),
        "imported 0 run(s), 0 job(s), 0 step(s); 306 run(s) were already there\n"
    );

    // Run n starts n hours after 2026-10-01; the first rerun (of 50) at 2026-10-03T02:00.
    // The window is half-open: [2026-10-01, 2026-10-03T01:00) holds runs 1..=48, not 49.
    let s = json(&p.hoist(&[
        "metrics",
        "--since",
        "2026-10-01",
        "--until",
        "2026-10-03T01:00:00Z",
        "--json",
    ]));
    let ci = &s["workflows"][0];
    assert_eq!(
        (
            ci["runs"].as_u64(),
            ci["success"].as_u64(),
            ci["failure"].as_u64()
        ),
        (Some(48), Some(44), Some(4))
    );
    // 48 durations 1..48 s: p50 is the 24th, p95 the 46th (ceil(45.6)).
    assert_eq!(
        ci["duration"],
        serde_json::json!({"count": 48, "p50_ms": 24000, "p95_ms": 46000, "max_ms": 48000, "sum_ms": 1176000})
    );

    // Everything: 306 runs, 30 first attempts failed, the 6 reruns passed.
    let s = json(&p.hoist(&[
        "metrics",
        "--since",
        "2026-09-01",
        "--until",
        "2026-11-01",
        "--json",
    ]));
    let ci = &s["workflows"][0];
    assert_eq!(
        (ci["runs"].as_u64(), ci["failure"].as_u64()),
        (Some(306), Some(30))
    );
    assert_eq!(ci["success_rate"].as_f64(), Some(276.0 / 306.0));
    // Durations: 1..300 s plus the reruns' 50, 100, …, 300 s. Sorted, the 153rd (p50) is
    // 150 s (1..150 give 150 values, plus 50 and 100 twice = 152; the next is 150's twin).
    let d = &ci["duration"];
    assert_eq!(
        (
            d["count"].as_u64(),
            d["p50_ms"].as_i64(),
            d["max_ms"].as_i64()
        ),
        (Some(306), Some(150_000), Some(300_000))
    );
    // p95: rank ceil(0.95 × 306) = 291. Values ≤ 285 s: 285 + 5 reruns (50..250) = 290; the
    // 291st is 286 s.
    assert_eq!(d["p95_ms"].as_i64(), Some(286_000));
    let test = &s["jobs"][0];
    assert_eq!(
        (test["job"].as_str(), test["runs"].as_u64()),
        (Some("test"), Some(306))
    );
    assert_eq!(
        (
            test["tests"]["total"].as_u64(),
            test["tests"]["failed"].as_u64()
        ),
        (Some(3060), Some(30))
    );
    // Services: web is n % 3 == 2, 100 first runs (n = 2, 5, …, 299) plus reruns of 50 and 200.
    let web = s["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["service"] == "web")
        .unwrap();
    // Failures among web: n ≡ 0 (mod 10) and n ≡ 2 (mod 3), so n ≡ 20 (mod 30): 10 of them.
    assert_eq!(
        (web["runs"].as_u64(), web["failure"].as_u64()),
        (Some(102), Some(10))
    );
    assert_eq!(web["success_rate"].as_f64(), Some(92.0 / 102.0));
    // web's job durations: n × 500 ms for its 100 n, plus 25 s and 100 s again; max 149.5 s.
    assert_eq!(web["duration"]["max_ms"].as_i64(), Some(149_500));
    // Slowest step: Build, n × 100 ms over 306 runs; p95 rank 291 → 28.6 s.
    assert_eq!(s["slowest_steps"][0]["step"], "Build");
    assert_eq!(
        s["slowest_steps"][0]["duration"]["p95_ms"].as_i64(),
        Some(28_600)
    );
    // Flaky: the six reruns turned failures into passes, two per service, each service
    // having run on 100 commits.
    let flaky = s["flaky_jobs"].as_array().unwrap();
    assert_eq!(flaky.len(), 3, "{flaky:?}");
    for f in flaky {
        assert_eq!(
            (
                f["flaky_commits"].as_u64(),
                f["commits"].as_u64(),
                f["flaky_rate"].as_f64()
            ),
            (Some(2), Some(100), Some(0.02)),
            "{f}"
        );
    }

    // The same figures in Prometheus' format.
    let text = stdout(&p.hoist(&[
        "metrics",
        "--since",
        "2026-09-01",
        "--until",
        "2026-11-01",
        "--format",
        "prometheus",
    ]));
    assert!(
        text.contains("hoist_workflow_runs{workflow=\"CI\",conclusion=\"failure\"} 30\n"),
        "{text}"
    );
    assert!(
        text.contains("hoist_workflow_duration_seconds{workflow=\"CI\",quantile=\"0.95\"} 286\n"),
        "{text}"
    );
    assert!(
        text.contains("hoist_job_flaky_commits{workflow=\"CI\",job=\"test (web)\"} 2\n"),
        "{text}"
    );

    // And for people.
    let text = stdout(&p.hoist(&["metrics", "--since", "2026-09-01", "--until", "2026-11-01"]));
    assert!(
        text.contains("CI          306    90.2%     2m30s     4m46s     5m00s"),
        "{text}"
    );
    assert!(
        text.contains("CI / test (web): 2 of 100 commit(s) (2.0%)"),
        "{text}"
    );
}

#[test]
fn bad_windows_and_documents_are_usage_errors() {
    let p = Project::new(&[("ci.yml", CI)]);
    let out = p.hoist(&["metrics", "--since", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--since `yesterday`: expected a duration like `7d`"),
        "{}",
        stderr(&out)
    );
    let out = p.hoist(&["metrics", "--since", "2026-11-02", "--until", "2026-11-01"]);
    assert_eq!(out.status.code(), Some(2));
    p.write(
        "bad.ndjson",
        "{\"version\":1,\"kind\":\"run\"}\n{\"version\":9}\n",
    );
    let out = p.hoist(&["metrics", "import", "bad.ndjson"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("bad.ndjson: line 1: invalid metrics record: missing field `repo`"),
        "{}",
        stderr(&out)
    );
}

const ARTIFACTS: &str = r#"
name: Package
on: push
jobs:
  package:
    runs-on: ubuntu-latest
    steps:
      - run: mkdir -p dist/sub && echo one > dist/a.txt && printf 'two\0bytes' > dist/sub/b.bin
      - uses: actions/upload-artifact@v4
        with:
          name: bundle
          path: dist/
"#;

fn check_downloaded(p: &Project, id: i64, to: &str) {
    let out = p.hoist(&["runs", "download", &id.to_string(), "--dir", to]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("bundle: 2 file(s) to {to}/bundle\n"));
    let got = p.root().join(to).join("bundle");
    assert_eq!(std::fs::read(got.join("a.txt")).unwrap(), b"one\n");
    assert_eq!(std::fs::read(got.join("sub/b.bin")).unwrap(), b"two\0bytes");
}

#[test]
fn artifacts_live_in_storage_and_download_from_there_or_locally() {
    let mut server = S3Server::start();
    let p = Project::new(&[("package.yml", ARTIFACTS)]);
    p.write("hoist.toml", &storage_config(&server));
    p.commit("storage");
    assert_eq!(p.hoist(&["run"]).status.code(), Some(0));
    let id = p.last_run()["run"]["id"].as_i64().unwrap();
    let keys = bucket_keys(&server);
    assert!(
        keys.iter()
            .any(|k| k.ends_with(&format!("/{id}/bundle/sub/b.bin"))),
        "{keys:?}"
    );
    assert!(
        !p.data()
            .join("artifacts")
            .join(id.to_string())
            .join("bundle")
            .exists(),
        "the local copy is gone"
    );
    check_downloaded(&p, id, "from-s3");
    let out = p.hoist(&["runs", "download", &id.to_string(), "--name", "other"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("has no artifact `other` (it has: bundle)"),
        "{}",
        stderr(&out)
    );

    // Before the upload (storage down), the files come from this machine.
    server.stop();
    assert_eq!(p.hoist(&["run"]).status.code(), Some(0));
    let id = p.last_run()["run"]["id"].as_i64().unwrap();
    check_downloaded(&p, id, "from-disk");
}
