//! The job queue of `hoist serve`: job instances waiting for a runner, claimed under a lease.
//!
//! Expected flow: the planner enqueues a job (`enqueue_job`), a runner whose labels cover the
//! job's claims it (`claim_job`) and renews its lease while it works (`renew_lease`), then
//! reports the outcome (`finish_job`); the planner reads the outcome (`job_outcome`).
//!
//! Guarantees:
//! - Enqueueing is idempotent per run and job key: a planner that starts again after a
//!   restart finds the job it queued before (whatever its state) instead of a second one.
//! - A job is claimed by at most one runner at a time: every change is a guarded update
//!   (`WHERE id = ? AND state = ?`, and the runner's name for its own job), inside a write
//!   transaction that holds the database's write lock (see `db.rs`), so two servers or two
//!   runners never both win, on SQLite as on PostgreSQL.
//! - A lease that runs out (`expire_leases`) puts the job back in the queue once, for another
//!   runner; after [`MAX_ATTEMPTS`] claims it ends as failed with "runner lost". The runner that
//!   lost it learns so at its next renewal or report, which are refused.
//! - A job that is done stays done: late reports of a lost runner change nothing.
//!
//! Assumptions: runners' clocks do not matter (leases are measured by the servers' clocks, in
//! the database), but servers sharing one PostgreSQL database keep their clocks in step
//! (NTP: a lease is stamped by one replica and may be checked by another); a runner renews
//! well within its lease (every 10 s for a 30 s lease).

use std::time::Duration;

use crate::db::args;
use crate::{Store, StoreError, now_ms};
use hoist_events::{Conclusion, JobOutcome, JobRequest};

/// How many times a job is claimed before a lost lease fails it.
pub const MAX_ATTEMPTS: u32 = 2;

/// Where a queued job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueState {
    /// Waiting for a runner.
    Queued,
    /// A runner holds it under a lease.
    Claimed,
    /// Finished (by its runner, or failed for a lost runner); the outcome is stored.
    Done,
}

impl QueueState {
    pub fn as_str(self) -> &'static str {
        match self {
            QueueState::Queued => "queued",
            QueueState::Claimed => "claimed",
            QueueState::Done => "done",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "queued" => QueueState::Queued,
            "claimed" => QueueState::Claimed,
            _ => QueueState::Done,
        }
    }
}

/// A job a runner claimed.
#[derive(Clone, Debug)]
pub struct ClaimedJob {
    pub id: i64,
    pub run_id: i64,
    /// 1 for the first claim, 2 for the retry after a lost runner.
    pub attempt: u32,
    pub request: JobRequest,
    /// The job's secrets as the server sealed them ([`Store::enqueue_sealed_job`]).
    pub sealed: Option<String>,
}

/// Who holds a queued job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobOwner {
    pub run_id: i64,
    pub runner: Option<String>,
    pub attempt: u32,
    pub state: QueueState,
}

/// One row of a run's queue, for the API's view of the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueEntry {
    pub id: i64,
    pub job_key: String,
    pub state: QueueState,
    pub runner: Option<String>,
    pub attempts: u32,
}

/// A lease that ran out, and what became of its job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expired {
    pub id: i64,
    pub runner: String,
    /// Back in the queue for another runner; otherwise failed as "runner lost".
    pub requeued: bool,
}

/// Whether a runner with `runner_labels` may take a job that asks for `wanted`: every
/// wanted label, compared without case.
pub fn labels_match(wanted: &[String], runner_labels: &[String]) -> bool {
    wanted
        .iter()
        .all(|w| runner_labels.iter().any(|l| l.eq_ignore_ascii_case(w)))
}

impl Store {
    /// Queues a job instance of `run_id`; returns its queue id (the existing one when the
    /// run already queued this job key).
    pub fn enqueue_job(&mut self, run_id: i64, request: &JobRequest) -> Result<i64, StoreError> {
        self.enqueue_sealed_job(run_id, request, None)
    }

    /// [`Store::enqueue_job`] with the job's secrets, sealed by the server, kept beside the
    /// request (which then holds none) until the job is done.
    pub fn enqueue_sealed_job(
        &mut self,
        run_id: i64,
        request: &JobRequest,
        sealed: Option<&str>,
    ) -> Result<i64, StoreError> {
        let labels = serde_json::to_string(&request.runs_on).unwrap_or_else(|_| "[]".into());
        let body = serde_json::to_string(request).map_err(|e| StoreError::Encode(e.to_string()))?;
        self.db().write(|tx| {
            tx.execute(
                "INSERT INTO queue (run_id, job_key, labels, request, state, queued_at, sealed) \
                 VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?6) ON CONFLICT (run_id, job_key) DO NOTHING",
                args![run_id, request.key.id, labels, body, now_ms(), sealed],
            )?;
            tx.query_row(
                "SELECT id FROM queue WHERE run_id = ?1 AND job_key = ?2",
                args![run_id, request.key.id],
                |r| r.get(0),
            )
        })
    }

    /// Gives `runner` the oldest queued job its labels cover, under a lease of `lease`.
    pub fn claim_job(
        &mut self,
        runner: &str,
        runner_labels: &[String],
        lease: Duration,
    ) -> Result<Option<ClaimedJob>, StoreError> {
        self.db().write(|tx| {
            // Labels first, the (larger) request only of the job taken: with a long queue a
            // claim would otherwise read every waiting job's whole request.
            let waiting: Vec<(i64, i64, String, u32)> = tx.query_map(
                "SELECT id, run_id, labels, attempts FROM queue WHERE state = 'queued' ORDER BY id",
                &[],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            let now = now_ms();
            for (id, run_id, labels, attempts) in waiting {
                let wanted: Vec<String> = serde_json::from_str(&labels).unwrap_or_default();
                if !labels_match(&wanted, runner_labels) {
                    continue;
                }
                let (body, sealed): (String, Option<String>) = tx.query_row(
                    "SELECT request, sealed FROM queue WHERE id = ?1",
                    args![id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                let request: JobRequest = match serde_json::from_str(&body) {
                    Ok(r) => r,
                    Err(e) => {
                        // Unreadable: it can never run; fail it rather than block the queue.
                        let outcome = failed(&format!("the job request cannot be read: {e}"));
                        tx.execute(
                            "UPDATE queue SET state = 'done', sealed = NULL, result = ?2, finished_at = ?3 \
                             WHERE id = ?1 AND state = 'queued'",
                            args![id, outcome, now],
                        )?;
                        continue;
                    }
                };
                let changed = tx.execute(
                    "UPDATE queue SET state = 'claimed', runner = ?2, attempts = attempts + 1, \
                     claimed_at = ?3, lease_until = ?4 WHERE id = ?1 AND state = 'queued'",
                    args![id, runner, now, now + lease.as_millis() as i64],
                )?;
                if changed == 1 {
                    return Ok(Some(ClaimedJob {
                        id,
                        run_id,
                        attempt: attempts + 1,
                        request,
                        sealed,
                    }));
                }
            }
            Ok(None)
        })
    }

    /// Extends `runner`'s lease on job `id`; `false` when the job is no longer its own (the
    /// lease ran out and the job went to another runner, or it is done): the runner stops.
    pub fn renew_lease(
        &mut self,
        id: i64,
        runner: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        Ok(self.renew(id, runner, lease)?.is_some())
    }

    /// [`Store::renew_lease`], and whether a cancellation of the job was asked for
    /// (`Some(true)`): the runner then cancels it and reports it as it ends.
    pub fn renew(
        &mut self,
        id: i64,
        runner: &str,
        lease: Duration,
    ) -> Result<Option<bool>, StoreError> {
        let changed = self.db().execute(
            "UPDATE queue SET lease_until = ?3 WHERE id = ?1 AND runner = ?2 AND state = 'claimed'",
            args![id, runner, now_ms() + lease.as_millis() as i64],
        )?;
        if changed != 1 {
            return Ok(None);
        }
        let cancel: i64 = self.db().query_row(
            "SELECT cancel_requested FROM queue WHERE id = ?1",
            args![id],
            |r| r.get(0),
        )?;
        Ok(Some(cancel != 0))
    }

    /// Whether a cancellation of job `id` was asked for, read without renewing anything (a
    /// renewal waiting for one looks here); `None` when `runner` does not hold the job.
    pub fn cancel_asked(&self, id: i64, runner: &str) -> Result<Option<bool>, StoreError> {
        Ok(self
            .db()
            .query_row_opt(
                "SELECT cancel_requested FROM queue WHERE id = ?1 AND runner = ?2 AND state = 'claimed'",
                args![id, runner],
                |r| r.get::<i64>(0),
            )?
            .map(|asked| asked != 0))
    }

    /// Cancels job `id`: one still queued ends `cancelled` at once (`true`); one a runner
    /// holds is marked, and its runner hears it at its renewal (`false`).
    pub fn cancel_job(&mut self, id: i64, reason: &str) -> Result<bool, StoreError> {
        let outcome = serde_json::to_string(&JobOutcome {
            result: Conclusion::Cancelled,
            outputs: Vec::new(),
            reason: Some(reason.to_owned()),
            environment_url: None,
        })
        .unwrap_or_default();
        self.db().write(|tx| {
            let now_done = tx.execute(
                "UPDATE queue SET state = 'done', sealed = NULL, result = ?2, finished_at = ?3 WHERE id = ?1 AND state = 'queued'",
                args![id, outcome, now_ms()],
            )? == 1;
            if !now_done {
                tx.execute(
                    "UPDATE queue SET cancel_requested = 1 WHERE id = ?1 AND state = 'claimed'",
                    args![id],
                )?;
            }
            Ok(now_done)
        })
    }

    /// Records the outcome `runner` reports for job `id`; `false` when the job is not its own
    /// any more (the report is ignored).
    pub fn finish_job(
        &mut self,
        id: i64,
        runner: &str,
        outcome: &JobOutcome,
    ) -> Result<bool, StoreError> {
        let body = serde_json::to_string(outcome).map_err(|e| StoreError::Encode(e.to_string()))?;
        let changed = self.db().execute(
            "UPDATE queue SET state = 'done', sealed = NULL, result = ?3, finished_at = ?4 \
             WHERE id = ?1 AND runner = ?2 AND state = 'claimed'",
            args![id, runner, body, now_ms()],
        )?;
        Ok(changed == 1)
    }

    /// Takes back every job whose lease ran out: queued again, or failed as "runner lost"
    /// after [`MAX_ATTEMPTS`] claims.
    pub fn expire_leases(&mut self) -> Result<Vec<Expired>, StoreError> {
        self.db().write(|tx| {
            let now = now_ms();
            let lapsed: Vec<(i64, String, u32)> = tx.query_map(
                "SELECT id, runner, attempts FROM queue WHERE state = 'claimed' AND lease_until < ?1",
                args![now],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let mut expired = Vec::new();
            for (id, runner, attempts) in lapsed {
                let requeued = attempts < MAX_ATTEMPTS;
                if requeued {
                    tx.execute(
                        "UPDATE queue SET state = 'queued', runner = NULL, lease_until = NULL \
                         WHERE id = ?1 AND state = 'claimed' AND runner = ?2",
                        args![id, runner],
                    )?;
                } else {
                    let outcome = failed(&format!(
                        "runner lost: `{runner}` stopped renewing its lease, on attempt {attempts} of {MAX_ATTEMPTS}"
                    ));
                    tx.execute(
                        "UPDATE queue SET state = 'done', sealed = NULL, result = ?3, finished_at = ?4 \
                         WHERE id = ?1 AND state = 'claimed' AND runner = ?2",
                        args![id, runner, outcome, now],
                    )?;
                }
                expired.push(Expired {
                    id,
                    runner,
                    requeued,
                });
            }
            Ok(expired)
        })
    }

    /// Gives every claimed job a fresh lease: a server that starts again does so before it
    /// looks for lapsed leases, so runners that kept working while it was down are not
    /// taken for lost.
    pub fn refresh_leases(&mut self, lease: Duration) -> Result<usize, StoreError> {
        self.db().execute(
            "UPDATE queue SET lease_until = ?1 WHERE state = 'claimed'",
            args![now_ms() + lease.as_millis() as i64],
        )
    }

    /// The state of job `id`, and its outcome once done.
    pub fn queued_job(
        &self,
        id: i64,
    ) -> Result<Option<(QueueState, Option<JobOutcome>)>, StoreError> {
        let row: Option<(String, Option<String>)> = self.db().query_row_opt(
            "SELECT state, result FROM queue WHERE id = ?1",
            args![id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(row.map(|(state, result)| {
            let outcome = result.and_then(|r| serde_json::from_str(&r).ok());
            (QueueState::parse(&state), outcome)
        }))
    }

    /// The run that job `id` belongs to, the runner holding it and its attempt; `None` for
    /// an unknown id.
    pub fn queued_job_owner(&self, id: i64) -> Result<Option<JobOwner>, StoreError> {
        self.db().query_row_opt(
            "SELECT run_id, runner, attempts, state FROM queue WHERE id = ?1",
            args![id],
            |r| {
                Ok(JobOwner {
                    run_id: r.get(0)?,
                    runner: r.get(1)?,
                    attempt: r.get(2)?,
                    state: QueueState::parse(&r.get::<String>(3)?),
                })
            },
        )
    }

    /// Every queued job of a run, in the order queued: its key, state, last runner and
    /// attempts.
    pub fn queued_jobs_of_run(&self, run_id: i64) -> Result<Vec<QueueEntry>, StoreError> {
        self.db().query_map(
            "SELECT id, job_key, state, runner, attempts FROM queue WHERE run_id = ?1 ORDER BY id",
            args![run_id],
            |r| {
                Ok(QueueEntry {
                    id: r.get(0)?,
                    job_key: r.get(1)?,
                    state: QueueState::parse(&r.get::<String>(2)?),
                    runner: r.get(3)?,
                    attempts: r.get(4)?,
                })
            },
        )
    }

    /// How many runners hold a job now.
    pub fn busy_runners(&self) -> Result<usize, StoreError> {
        let n: i64 = self.db().query_row(
            "SELECT COUNT(DISTINCT runner) FROM queue WHERE state = 'claimed'",
            &[],
            |r| r.get(0),
        )?;
        Ok(n as usize)
    }

    /// How many jobs wait for a runner.
    pub fn queue_depth(&self) -> Result<usize, StoreError> {
        let n: i64 = self.db().query_row(
            "SELECT COUNT(*) FROM queue WHERE state = 'queued'",
            &[],
            |r| r.get(0),
        )?;
        Ok(n as usize)
    }
}

/// The stored outcome of a job that failed without its runner's report.
fn failed(reason: &str) -> String {
    let outcome = JobOutcome {
        result: Conclusion::Failure,
        outputs: Vec::new(),
        reason: Some(reason.to_owned()),
        environment_url: None,
    };
    serde_json::to_string(&outcome).unwrap_or_default()
}
