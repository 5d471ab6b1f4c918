//! What a server keeps besides runs and the queue: the branch heads it polls, and figures for
//! its `/metrics` (the queue by label set, runs and jobs by conclusion, job durations).

use crate::db::args;
use crate::{Store, StoreError, now_ms};

/// Jobs waiting for a runner with one set of `runs-on` labels.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueGroup {
    /// The labels, comma-joined (`""` for none).
    pub labels: String,
    pub depth: u64,
    /// How long the oldest has waited, in seconds.
    pub oldest_seconds: f64,
}

impl Store {
    /// The commit `branch` of `repo` pointed at when the server last looked.
    pub fn branch_head(&self, repo: &str, branch: &str) -> Result<Option<String>, StoreError> {
        self.db().query_row_opt(
            "SELECT sha FROM branch_heads WHERE repo = ?1 AND branch = ?2",
            args![repo, branch],
            |r| r.get(0),
        )
    }

    pub fn set_branch_head(&self, repo: &str, branch: &str, sha: &str) -> Result<(), StoreError> {
        self.db().execute(
            "INSERT INTO branch_heads (repo, branch, sha) VALUES (?1, ?2, ?3) \
             ON CONFLICT (repo, branch) DO UPDATE SET sha = ?3",
            args![repo, branch, sha],
        )?;
        Ok(())
    }

    pub fn queue_groups(&self) -> Result<Vec<QueueGroup>, StoreError> {
        let now = now_ms();
        self.db().query_map(
            "SELECT labels, COUNT(*), MIN(queued_at) FROM queue WHERE state = 'queued' GROUP BY labels",
            &[],
            |r| {
                let labels: String = r.get(0)?;
                let list: Vec<String> = serde_json::from_str(&labels).unwrap_or_default();
                let oldest: i64 = r.get(2)?;
                Ok(QueueGroup {
                    labels: list.join(","),
                    depth: r.get::<i64>(1)? as u64,
                    oldest_seconds: (now - oldest).max(0) as f64 / 1000.0,
                })
            },
        )
    }

    /// Finished runs (or jobs, with `jobs`) by conclusion.
    pub fn conclusion_counts(&self, jobs: bool) -> Result<Vec<(String, u64)>, StoreError> {
        let table = if jobs { "jobs" } else { "runs" };
        self.db().query_map(
            &format!(
                "SELECT conclusion, COUNT(*) FROM {table} WHERE conclusion IS NOT NULL GROUP BY conclusion"
            ),
            &[],
            |r| Ok((r.get(0)?, r.get::<i64>(1)? as u64)),
        )
    }

    /// The durations, in seconds, of jobs that ran and finished.
    pub fn job_durations(&self) -> Result<Vec<f64>, StoreError> {
        self.db().query_map(
            "SELECT finished_at - started_at FROM jobs \
             WHERE started_at IS NOT NULL AND finished_at IS NOT NULL",
            &[],
            |r| Ok(r.get::<i64>(0)?.max(0) as f64 / 1000.0),
        )
    }
}
