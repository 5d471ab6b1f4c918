//! `GET /metrics`: the server's figures in Prometheus' text format. The queue and history
//! figures are read from the store at each scrape; request latencies, lease expiries and
//! which runners were seen are counted in memory since the process started.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::SharedState;

/// Upper bounds of the request-latency buckets, in seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Upper bounds of the job-duration buckets, in seconds.
const JOB_BUCKETS: &[f64] = &[1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0, 1800.0, 3600.0];
/// A runner counts as online if it called within this long (a claim waits 20 s).
const ONLINE: Duration = Duration::from_secs(60);

#[derive(Default)]
pub(crate) struct ServerMetrics {
    pub(crate) lease_expiries: AtomicU64,
    /// Pages of the SQLite log not yet in the database file after the last checkpoint.
    pub(crate) wal_pages: AtomicI64,
    /// Checkpoints that failed (the store could not be opened, or SQLite refused).
    pub(crate) checkpoint_failures: AtomicU64,
    /// (route, status) → latency histogram.
    requests: Mutex<BTreeMap<(String, u16), Histogram>>,
    /// Runner name → when it last called.
    runners: Mutex<HashMap<String, Instant>>,
}

#[derive(Clone, Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64], value: f64) {
        if self.counts.is_empty() {
            self.counts = vec![0; bounds.len()];
        }
        for (i, bound) in bounds.iter().enumerate() {
            if value <= *bound {
                self.counts[i] += 1;
            }
        }
        self.sum += value;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str, bounds: &[f64]) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, bound) in bounds.iter().enumerate() {
            let n = self.counts.get(i).copied().unwrap_or(0);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

impl ServerMetrics {
    pub(crate) fn runner_seen(&self, name: &str) {
        if let Ok(mut runners) = self.runners.lock() {
            runners.insert(name.to_owned(), Instant::now());
        }
    }
}

/// Times every request, by its route (not its path: ids would make a series each).
pub(crate) async fn track(
    State(state): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    if let Ok(mut requests) = state.metrics.requests.lock() {
        requests
            .entry((route, status))
            .or_default()
            .observe(LATENCY_BUCKETS, started.elapsed().as_secs_f64());
    }
    response
}

/// A metric of one sample without labels: its header and its value.
fn single(out: &mut String, name: &str, help: &str, kind: &str, value: impl std::fmt::Display) {
    header(out, name, help, kind);
    let _ = writeln!(out, "{name} {value}");
}

/// A metric's `# HELP` and `# TYPE` lines.
fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

pub(crate) async fn render(State(state): State<SharedState>) -> Response {
    let mut out = String::new();
    let escape = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    {
        let store = state.store();
        header(
            &mut out,
            "hoist_queue_depth",
            "Jobs waiting for a runner, by their runs-on labels.",
            "gauge",
        );
        let groups = store.queue_groups().unwrap_or_default();
        for g in &groups {
            let _ = writeln!(
                out,
                "hoist_queue_depth{{labels=\"{}\"}} {}",
                escape(&g.labels),
                g.depth
            );
        }
        header(
            &mut out,
            "hoist_queue_oldest_seconds",
            "How long the oldest waiting job has waited, by labels.",
            "gauge",
        );
        for g in &groups {
            let _ = writeln!(
                out,
                "hoist_queue_oldest_seconds{{labels=\"{}\"}} {}",
                escape(&g.labels),
                g.oldest_seconds
            );
        }
        header(
            &mut out,
            "hoist_jobs_waiting",
            "Jobs waiting for their environment's protection rules (a review, a wait timer).",
            "gauge",
        );
        let _ = writeln!(
            out,
            "hoist_jobs_waiting {}",
            store.waiting_deployments().unwrap_or(0)
        );
        for (what, jobs) in [("runs", false), ("jobs", true)] {
            header(
                &mut out,
                &format!("hoist_{what}_total"),
                &format!("Finished {what} by conclusion."),
                "counter",
            );
            for (conclusion, n) in store.conclusion_counts(jobs).unwrap_or_default() {
                let _ = writeln!(
                    out,
                    "hoist_{what}_total{{conclusion=\"{}\"}} {n}",
                    escape(&conclusion)
                );
            }
        }
        let mut durations = Histogram::default();
        for d in store.job_durations().unwrap_or_default() {
            durations.observe(JOB_BUCKETS, d);
        }
        header(
            &mut out,
            "hoist_job_duration_seconds",
            "How long finished jobs ran.",
            "histogram",
        );
        durations.render(&mut out, "hoist_job_duration_seconds", "", JOB_BUCKETS);
        let busy = store.busy_runners().unwrap_or_default();
        let online = state
            .metrics
            .runners
            .lock()
            .map(|r| r.values().filter(|t| t.elapsed() < ONLINE).count())
            .unwrap_or(0);
        header(
            &mut out,
            "hoist_runners",
            "Runners seen in the last minute (online), and those running a job (busy).",
            "gauge",
        );
        let _ = writeln!(
            out,
            "hoist_runners{{state=\"online\"}} {}",
            online.max(busy)
        );
        let _ = writeln!(out, "hoist_runners{{state=\"busy\"}} {busy}");
    }
    single(
        &mut out,
        "hoist_lease_expiries_total",
        "Jobs taken back from runners that stopped renewing.",
        "counter",
        state.metrics.lease_expiries.load(Ordering::Relaxed),
    );
    if !state.shared_store {
        single(
            &mut out,
            "hoist_store_wal_pages",
            "Pages of the SQLite write-ahead log left after the last checkpoint.",
            "gauge",
            state.metrics.wal_pages.load(Ordering::Relaxed),
        );
        single(
            &mut out,
            "hoist_store_checkpoint_failures_total",
            "WAL checkpoints that failed.",
            "counter",
            state.metrics.checkpoint_failures.load(Ordering::Relaxed),
        );
    }
    header(
        &mut out,
        "hoist_http_request_duration_seconds",
        "API requests by route and status.",
        "histogram",
    );
    if let Ok(requests) = state.metrics.requests.lock() {
        for ((route, status), h) in requests.iter() {
            let labels = format!("route=\"{}\",status=\"{status}\"", escape(route));
            h.render(
                &mut out,
                "hoist_http_request_duration_seconds",
                &labels,
                LATENCY_BUCKETS,
            );
        }
    }
    if let Some(observer) = &state.config.observer {
        out.push_str(&observer.metrics());
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        out,
    )
        .into_response()
}
