//! Summaries over designed records whose figures are known by construction, and their
//! Prometheus rendering.

use hoist_metrics::{Kind, Record, Window, summarise};

use crate::records::record;

fn at(seconds: i64) -> jiff::Timestamp {
    let base: jiff::Timestamp = "2026-11-01T00:00:00Z".parse().expect("ts");
    base + jiff::SignedDuration::from_secs(seconds)
}

fn window() -> Window {
    Window {
        since: at(0),
        until: at(1_000_000),
    }
}

/// Twenty CI runs lasting 1 s … 20 s (runs 5 and 13 failed); each has a `test` job for
/// service `api` or `web` lasting half as long, and a `Build` step.
fn designed() -> Vec<Record> {
    let mut out = Vec::new();
    for n in 1..=20i64 {
        let failed = n == 5 || n == 13;
        let conclusion = Some(if failed { "failure" } else { "success" }.to_owned());
        let mut run = record(Kind::Run);
        run.run.run_id = n;
        run.run.run_number = n;
        run.run.commit = format!("c{n}");
        run.detail.started_at = Some(at(n * 100));
        run.detail.duration_ms = Some(n * 1000);
        run.detail.conclusion = conclusion.clone();
        let service = if n % 2 == 0 { "api" } else { "web" };
        let mut job = run.clone();
        job.kind = Kind::Job;
        job.detail.job = Some(format!("test ({service})"));
        job.detail.job_id = Some("test".into());
        job.detail.service = Some(service.into());
        job.detail.duration_ms = Some(n * 500);
        job.detail.tests = Some(hoist_metrics::TestCounts {
            total: 10,
            passed: if failed { 9 } else { 10 },
            failed: u64::from(failed),
            skipped: 0,
            duration_ms: 100,
        });
        let mut step = job.clone();
        step.kind = Kind::Step;
        step.detail.step_index = Some(1);
        step.detail.step_name = Some("Build".into());
        step.detail.duration_ms = Some(n * 100);
        step.detail.tests = None;
        out.extend([run, job, step]);
    }
    out
}

#[test]
fn figures_of_designed_runs() {
    let s = summarise(&designed(), window(), 10);
    let ci = &s.workflows[0];
    assert_eq!((ci.runs, ci.success, ci.failure), (20, 18, 2));
    assert_eq!(ci.success_rate, 0.9);
    let d = ci.duration.as_ref().expect("durations");
    // Nearest rank: p50 is the 10th of 20, p95 the 19th.
    assert_eq!(
        (d.p50_ms, d.p95_ms, d.max_ms, d.sum_ms, d.count),
        (10_000, 19_000, 20_000, 210_000, 20)
    );
    let test = &s.jobs[0];
    assert_eq!(test.job.as_deref(), Some("test"));
    assert_eq!(test.tests.map(|t| (t.total, t.failed)), Some((200, 2)));
    // api ran on even n (2..20), web on odd (1..19; 5 and 13 failed).
    let api = &s.services[0];
    let web = &s.services[1];
    assert_eq!(
        (api.service.as_deref(), api.runs, api.success_rate),
        (Some("api"), 10, 1.0)
    );
    assert_eq!(
        (web.service.as_deref(), web.runs, web.success_rate),
        (Some("web"), 10, 0.8)
    );
    let api_d = api.duration.as_ref().expect("durations");
    assert_eq!(
        (api_d.p50_ms, api_d.p95_ms, api_d.max_ms),
        (5_000, 10_000, 10_000)
    );
    assert_eq!(s.slowest_steps[0].step, "Build");
    assert_eq!(s.slowest_steps[0].duration.p95_ms, 1_900);
    assert!(s.flaky_jobs.is_empty(), "every commit ran once");
}

#[test]
fn the_window_is_half_open() {
    // Runs start at n × 100 s: [500 s, 1000 s) holds runs 5..=9.
    let s = summarise(
        &designed(),
        Window {
            since: at(500),
            until: at(1000),
        },
        10,
    );
    assert_eq!(s.workflows[0].runs, 5);
    assert_eq!(s.workflows[0].failure, 1);
}

#[test]
fn a_failure_then_a_pass_on_the_same_commit_is_flaky() {
    let mut records = designed();
    // Rerun the failed runs 5 and 13: 5 passes on attempt 2, 13 fails again.
    for (n, conclusion) in [(5, "success"), (13, "failure")] {
        let mut job = records[(n as usize - 1) * 3 + 1].clone();
        job.run.attempt = 2;
        job.detail.started_at = Some(at(n * 100 + 50));
        job.detail.conclusion = Some(conclusion.into());
        records.push(job);
    }
    let s = summarise(&records, window(), 10);
    assert_eq!(s.flaky_jobs.len(), 1, "{:?}", s.flaky_jobs);
    let f = &s.flaky_jobs[0];
    assert_eq!(
        (f.job.as_str(), f.commits, f.flaky_commits, f.flaky_rate),
        ("test (web)", 10, 1, 0.1)
    );
}

#[test]
fn skipped_jobs_are_not_counted() {
    let mut records = designed();
    for r in records.iter_mut().filter(|r| r.kind == Kind::Job) {
        r.detail.conclusion = Some("skipped".into());
    }
    let s = summarise(&records, window(), 10);
    assert!(s.jobs.is_empty() && s.services.is_empty());
    assert_eq!(s.workflows[0].runs, 20);
}

#[test]
fn prometheus_text() {
    let mut records: Vec<Record> = designed()
        .into_iter()
        .filter(|r| r.run.run_number <= 3)
        .collect();
    records[0].run.workflow = "Deploy \"prod\"\\eu".into();
    let text = hoist_metrics::prometheus::render(&summarise(&records, window(), 10));
    expect_test::expect_file!["../data/prometheus.txt"].assert_eq(&text);
}

#[test]
fn prometheus_text_parses_back_to_the_same_figures() {
    let text = hoist_metrics::prometheus::render(&summarise(&designed(), window(), 10));
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .expect("valid exposition text");
    let value = |name: &str, labels: &[(&str, &str)]| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .map(|s| s.value.clone())
    };
    use prometheus_parse::Value;
    assert_eq!(
        value(
            "hoist_workflow_runs",
            &[("workflow", "CI"), ("conclusion", "failure")]
        ),
        Some(Value::Gauge(2.0))
    );
    assert_eq!(
        value("hoist_service_success_ratio", &[("service", "web")]),
        Some(Value::Gauge(0.8))
    );
    match value("hoist_workflow_duration_seconds", &[("workflow", "CI")]) {
        Some(Value::Summary(quantiles)) => {
            let q: Vec<(f64, f64)> = quantiles.iter().map(|q| (q.quantile, q.count)).collect();
            assert_eq!(q, vec![(0.5, 10.0), (0.95, 19.0), (1.0, 20.0)]);
        }
        other => panic!("expected a summary, got {other:?}"),
    }
}

#[test]
fn jobs_calling_reusable_workflows_are_left_out_of_service_figures() {
    let mut records = designed();
    // Run 1's test job calls a reusable workflow whose `make` job ran the steps.
    let mut called = records[1].clone();
    called.detail.job = Some("test (web) / make".into());
    called.detail.job_id = Some("test / make".into());
    called.detail.duration_ms = Some(100);
    records.push(called);
    let s = summarise(&records, window(), 10);
    let web = s
        .services
        .iter()
        .find(|g| g.service.as_deref() == Some("web"))
        .expect("web");
    assert_eq!(
        web.runs, 10,
        "the caller is replaced by its called job, not added to"
    );
    assert_eq!(
        web.duration.as_ref().map(|d| d.p50_ms),
        Some(4_500),
        "durations 100, 1500, 2500, 3500, 4500, …: the 5th of 10"
    );
    assert_eq!(
        s.jobs
            .iter()
            .map(|g| g.job.as_deref().unwrap_or_default())
            .collect::<Vec<_>>(),
        ["test", "test / make"]
    );
}
