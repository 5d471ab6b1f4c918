//! Summaries of recorded runs over a time window: per workflow, job and service the number of
//! runs, their conclusions, the success rate and duration percentiles; the slowest steps; and
//! the flakiest jobs.
//!
//! Definitions (also in the README):
//! - A record is in the window when it started (else was queued, else finished) at or after
//!   `since` and before `until`.
//! - Skipped jobs and steps are left out: they did not run.
//! - Per-service figures count the jobs that ran steps: a job that calls a reusable workflow
//!   is left out there, its called jobs (which inherit its matrix) count instead.
//! - `success_rate` is successes divided by the records counted.
//! - Percentiles use the nearest-rank method: p95 of n sorted durations is the
//!   `ceil(0.95 × n)`-th smallest, so it is always a duration that was measured.
//! - A job is flaky on a commit when, among its runs on that commit in order, a failure is
//!   followed by a success (a rerun that passed). Its flaky rate is flaky commits divided by
//!   the commits it ran on.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use crate::{Kind, Record, TestCounts};

/// The half-open interval `[since, until)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub since: Timestamp,
    pub until: Timestamp,
}

impl Window {
    fn contains(&self, record: &Record) -> bool {
        record
            .detail
            .started_at
            .or(record.detail.queued_at)
            .or(record.detail.finished_at)
            .is_some_and(|t| self.since <= t && t < self.until)
    }
}

/// Duration statistics of a group, in milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Durations {
    pub count: u64,
    pub p50_ms: i64,
    pub p95_ms: i64,
    pub max_ms: i64,
    pub sum_ms: i64,
}

impl Durations {
    fn of(mut values: Vec<i64>) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        values.sort_unstable();
        Some(Self {
            count: values.len() as u64,
            p50_ms: nearest_rank(&values, 50),
            p95_ms: nearest_rank(&values, 95),
            max_ms: values[values.len() - 1],
            sum_ms: values.iter().sum(),
        })
    }
}

/// The `percent`-th percentile of sorted, non-empty `values` by nearest rank.
fn nearest_rank(values: &[i64], percent: usize) -> i64 {
    let rank = (percent * values.len()).div_ceil(100).max(1);
    values[rank - 1]
}

/// Figures for one workflow, job or service.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Group {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    pub runs: u64,
    pub success: u64,
    pub failure: u64,
    pub cancelled: u64,
    /// Interrupted or of unknown conclusion.
    pub other: u64,
    pub success_rate: f64,
    pub duration: Option<Durations>,
    /// Test totals, when any of the group's runs reported tests.
    pub tests: Option<TestCounts>,
}

/// Figures for one step of one job.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepGroup {
    pub workflow: String,
    pub job: String,
    pub step: String,
    pub runs: u64,
    pub failure: u64,
    pub duration: Durations,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlakyJob {
    pub workflow: String,
    /// The job instance (with its matrix values).
    pub job: String,
    /// Commits the job ran on in the window.
    pub commits: u64,
    pub flaky_commits: u64,
    pub flaky_rate: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub since: Timestamp,
    pub until: Timestamp,
    pub workflows: Vec<Group>,
    pub jobs: Vec<Group>,
    pub services: Vec<Group>,
    /// The `top` steps with the highest p95 duration.
    pub slowest_steps: Vec<StepGroup>,
    /// The `top` jobs with the most flaky commits (only jobs with at least one).
    pub flaky_jobs: Vec<FlakyJob>,
}

#[derive(Default)]
struct Tally {
    runs: u64,
    success: u64,
    failure: u64,
    cancelled: u64,
    other: u64,
    durations: Vec<i64>,
    tests: Option<TestCounts>,
}

impl Tally {
    fn add(&mut self, record: &Record) {
        self.runs += 1;
        match record.detail.conclusion.as_deref() {
            Some("success") => self.success += 1,
            Some("failure") => self.failure += 1,
            Some("cancelled") => self.cancelled += 1,
            _ => self.other += 1,
        }
        if let Some(d) = record.detail.duration_ms {
            self.durations.push(d);
        }
        if let Some(t) = record.detail.tests {
            self.tests.get_or_insert_with(TestCounts::default).add(t);
        }
    }

    fn into_group(
        self,
        workflow: Option<String>,
        job: Option<String>,
        service: Option<String>,
    ) -> Group {
        Group {
            workflow,
            job,
            service,
            runs: self.runs,
            success: self.success,
            failure: self.failure,
            cancelled: self.cancelled,
            other: self.other,
            success_rate: if self.runs == 0 {
                0.0
            } else {
                self.success as f64 / self.runs as f64
            },
            duration: Durations::of(self.durations),
            tests: self.tests,
        }
    }
}

fn ran(record: &Record) -> bool {
    record.detail.conclusion.as_deref() != Some("skipped")
}

/// Summarises the records that fall in `window`; `top` bounds the slowest-step and
/// flaky-job lists.
pub fn summarise(records: &[Record], window: Window, top: usize) -> Summary {
    let mut workflows: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut jobs: BTreeMap<(&str, &str), Tally> = BTreeMap::new();
    let mut services: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut steps: BTreeMap<(&str, &str, &str), Tally> = BTreeMap::new();
    // (workflow, job instance) → commit → conclusions in run order.
    type Runs<'a> = Vec<(i64, i64, Option<Timestamp>, &'a str)>;
    let mut by_commit: BTreeMap<(&str, &str), BTreeMap<&str, Runs<'_>>> = BTreeMap::new();

    // Jobs that called a reusable workflow: (run, job path) of every called job's parent.
    let callers: std::collections::HashSet<(i64, &str)> = records
        .iter()
        .filter(|r| r.kind == Kind::Job)
        .filter_map(|r| {
            let (parent, _) = r.detail.job_id.as_deref()?.rsplit_once(" / ")?;
            Some((r.run.run_id, parent))
        })
        .collect();
    for r in records.iter().filter(|r| window.contains(r) && ran(r)) {
        let workflow = r.run.workflow.as_str();
        match r.kind {
            Kind::Run => workflows.entry(workflow).or_default().add(r),
            Kind::Job => {
                let job_id = r.detail.job_id.as_deref().unwrap_or_default();
                jobs.entry((workflow, job_id)).or_default().add(r);
                if let Some(service) = &r.detail.service
                    && !callers.contains(&(r.run.run_id, job_id))
                {
                    services.entry(service).or_default().add(r);
                }
                if let Some(conclusion) = r.detail.conclusion.as_deref() {
                    let key = r.detail.job.as_deref().unwrap_or(job_id);
                    by_commit
                        .entry((workflow, key))
                        .or_default()
                        .entry(r.run.commit.as_str())
                        .or_default()
                        .push((
                            r.run.run_number,
                            r.run.attempt,
                            r.detail.started_at,
                            conclusion,
                        ));
                }
            }
            Kind::Step => {
                let job = r.detail.job_id.as_deref().unwrap_or_default();
                let step = r.detail.step_name.as_deref().unwrap_or_default();
                steps.entry((workflow, job, step)).or_default().add(r);
            }
        }
    }

    let mut slowest: Vec<StepGroup> = steps
        .into_iter()
        .filter_map(|((workflow, job, step), t)| {
            Some(StepGroup {
                workflow: workflow.to_owned(),
                job: job.to_owned(),
                step: step.to_owned(),
                runs: t.runs,
                failure: t.failure,
                duration: Durations::of(t.durations)?,
            })
        })
        .collect();
    slowest.sort_by(|a, b| {
        b.duration
            .p95_ms
            .cmp(&a.duration.p95_ms)
            .then_with(|| b.duration.max_ms.cmp(&a.duration.max_ms))
    });
    slowest.truncate(top);

    let mut flaky: Vec<FlakyJob> = by_commit
        .into_iter()
        .filter_map(|((workflow, job), commits)| {
            let total = commits.len() as u64;
            let flaky_commits = commits
                .into_values()
                .filter(|runs| {
                    let mut runs = runs.clone();
                    runs.sort_by_key(|(number, attempt, started, _)| (*started, *number, *attempt));
                    let mut failed = false;
                    runs.iter().any(|(_, _, _, conclusion)| {
                        if *conclusion == "failure" {
                            failed = true;
                        }
                        failed && *conclusion == "success"
                    })
                })
                .count() as u64;
            (flaky_commits > 0).then(|| FlakyJob {
                workflow: workflow.to_owned(),
                job: job.to_owned(),
                commits: total,
                flaky_commits,
                flaky_rate: flaky_commits as f64 / total as f64,
            })
        })
        .collect();
    flaky.sort_by(|a, b| {
        b.flaky_commits
            .cmp(&a.flaky_commits)
            .then_with(|| b.flaky_rate.total_cmp(&a.flaky_rate))
    });
    flaky.truncate(top);

    Summary {
        since: window.since,
        until: window.until,
        workflows: workflows
            .into_iter()
            .map(|(w, t)| t.into_group(Some(w.to_owned()), None, None))
            .collect(),
        jobs: jobs
            .into_iter()
            .map(|((w, j), t)| t.into_group(Some(w.to_owned()), Some(j.to_owned()), None))
            .collect(),
        services: services
            .into_iter()
            .map(|(s, t)| t.into_group(None, None, Some(s.to_owned())))
            .collect(),
        slowest_steps: slowest,
        flaky_jobs: flaky,
    }
}
