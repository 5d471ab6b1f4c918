//! Metrics records from the history (one per run, job and step), and importing records
//! (from another machine's documents) into it.

use std::collections::HashMap;

use hoist_metrics::{Kind, Record, SCHEMA_VERSION, TestCounts};
use jiff::Timestamp;
use rusqlite::{ToSql, params};

use crate::{Store, StoreError};

/// What [`Store::import`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Imported {
    pub runs: usize,
    pub jobs: usize,
    pub steps: usize,
    /// Runs already in the database (imported before), left as they were.
    pub already_present: usize,
}

fn ts(ms: Option<i64>) -> Option<Timestamp> {
    ms.and_then(|ms| Timestamp::from_millisecond(ms).ok())
}

fn ms(t: Option<Timestamp>) -> Option<i64> {
    t.map(|t| t.as_millisecond())
}

fn duration(started: Option<i64>, finished: Option<i64>) -> Option<i64> {
    Some(finished? - started?).filter(|d| *d >= 0)
}

fn tests_column(text: Option<String>) -> Option<TestCounts> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

/// The matrix value `service` as text, when there is one.
fn service_of(matrix: &serde_json::Value) -> Option<String> {
    match matrix.get("service")? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

impl Store {
    /// The records of one completed run: the run, then each job followed by its steps.
    pub fn metrics_records(&self, run_id: i64) -> Result<Vec<Record>, StoreError> {
        self.records_where("r.id = ?1", &[&run_id])
    }

    /// The records of every completed run that started in `[since, until)` (milliseconds),
    /// or, with `slack`, up to that long before `since` (their jobs may still start inside).
    pub fn records_between(
        &self,
        since: i64,
        until: i64,
        slack: i64,
    ) -> Result<Vec<Record>, StoreError> {
        self.records_where(
            "COALESCE(r.started_at, r.created_at) >= ?1 AND COALESCE(r.started_at, r.created_at) < ?2",
            &[&(since - slack), &until],
        )
    }

    fn records_where(&self, filter: &str, args: &[&dyn ToSql]) -> Result<Vec<Record>, StoreError> {
        let conn = self.conn();
        let mut runs = conn.prepare(&format!(
            "SELECT r.id, r.number, r.attempt, r.workflow_name, r.workflow_path, r.event, r.branch, r.sha, r.actor, \
             r.repo, r.runner, r.conclusion, r.created_at, r.started_at, r.finished_at \
             FROM runs r WHERE r.status = 'completed' AND {filter} ORDER BY r.id"
        ))?;
        let mut out = Vec::new();
        let mut by_run: HashMap<i64, Record> = HashMap::new();
        let rows = runs.query_map(args, |r| {
            let created: i64 = r.get(12)?;
            let started: Option<i64> = r.get(13)?;
            let finished: Option<i64> = r.get(14)?;
            Ok(Record {
                version: SCHEMA_VERSION,
                kind: Kind::Run,
                run_id: r.get(0)?,
                run_number: r.get(1)?,
                attempt: r.get(2)?,
                workflow: r.get(3)?,
                workflow_path: r.get(4)?,
                event: r.get(5)?,
                branch: r.get(6)?,
                commit: r.get(7)?,
                actor: r.get(8)?,
                repo: r.get(9)?,
                runner: r.get(10)?,
                conclusion: r.get(11)?,
                queued_at: ts(Some(created)),
                started_at: ts(started),
                finished_at: ts(finished),
                duration_ms: duration(started, finished),
                job: None,
                job_id: None,
                job_name: None,
                matrix: None,
                service: None,
                step_index: None,
                step_name: None,
                exit_code: None,
                tests: None,
            })
        })?;
        let mut order = Vec::new();
        for row in rows {
            let record = row?;
            order.push(record.run_id);
            by_run.insert(record.run_id, record);
        }
        drop(runs);
        let mut jobs = conn.prepare(&format!(
            "SELECT j.id, j.run_id, j.key, COALESCE(j.path, j.job_id), j.name, j.matrix, j.conclusion, j.queued_at, j.started_at, \
             j.finished_at, j.tests FROM jobs j JOIN runs r ON r.id = j.run_id \
             WHERE r.status = 'completed' AND {filter} ORDER BY j.id"
        ))?;
        // Run id → [(job row, record)].
        let mut run_jobs: HashMap<i64, Vec<(i64, Record)>> = HashMap::new();
        let mut job_index: HashMap<i64, (i64, usize)> = HashMap::new();
        let rows = jobs.query_map(args, |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<i64>>(7)?,
                r.get::<_, Option<i64>>(8)?,
                r.get::<_, Option<i64>>(9)?,
                r.get::<_, Option<String>>(10)?,
            ))
        })?;
        for row in rows {
            let (
                row_id,
                run_id,
                key,
                job_id,
                name,
                matrix,
                conclusion,
                queued,
                started,
                finished,
                tests,
            ) = row?;
            let Some(run) = by_run.get(&run_id) else {
                continue;
            };
            let matrix: serde_json::Value = serde_json::from_str(&matrix).unwrap_or_default();
            let record = Record {
                kind: Kind::Job,
                service: service_of(&matrix),
                matrix: (!matrix.is_null()).then_some(matrix),
                job: Some(key),
                job_id: Some(job_id),
                job_name: Some(name),
                conclusion,
                queued_at: ts(queued),
                started_at: ts(started),
                finished_at: ts(finished),
                duration_ms: duration(started, finished),
                tests: tests_column(tests),
                ..run.clone()
            };
            let list = run_jobs.entry(run_id).or_default();
            job_index.insert(row_id, (run_id, list.len()));
            list.push((row_id, record));
        }
        drop(jobs);
        let mut steps = conn.prepare(&format!(
            "SELECT s.job, s.idx, s.name, s.conclusion, s.exit_code, s.started_at, s.finished_at, s.tests \
             FROM steps s JOIN jobs j ON j.id = s.job JOIN runs r ON r.id = j.run_id \
             WHERE r.status = 'completed' AND {filter} ORDER BY s.job, s.idx"
        ))?;
        let mut job_steps: HashMap<i64, Vec<Record>> = HashMap::new();
        let rows = steps.query_map(args, |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, Option<i64>>(5)?,
                r.get::<_, Option<i64>>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })?;
        for row in rows {
            let (job_row, idx, name, conclusion, exit_code, started, finished, tests) = row?;
            let Some((run_id, i)) = job_index.get(&job_row) else {
                continue;
            };
            let job = &run_jobs[run_id][*i].1;
            job_steps.entry(job_row).or_default().push(Record {
                kind: Kind::Step,
                step_index: Some(idx),
                step_name: Some(name),
                conclusion,
                exit_code,
                queued_at: None,
                started_at: ts(started),
                finished_at: ts(finished),
                duration_ms: duration(started, finished),
                tests: tests_column(tests),
                ..job.clone()
            });
        }
        for run_id in order {
            if let Some(run) = by_run.remove(&run_id) {
                out.push(run);
            }
            for (row_id, job) in run_jobs.remove(&run_id).unwrap_or_default() {
                out.push(job);
                out.extend(job_steps.remove(&row_id).unwrap_or_default());
            }
        }
        Ok(out)
    }

    /// Adds the runs described by `records` (as written by [`Store::metrics_records`], from
    /// this or another machine) to the history, in one transaction. A run is known by its
    /// repository and run id; importing it again changes nothing.
    pub fn import(&mut self, records: &[Record]) -> Result<Imported, StoreError> {
        let mut imported = Imported::default();
        let tx = self.conn_mut().transaction()?;
        // (repo, run id) → new row id, or None when already present.
        let mut runs: HashMap<(String, i64), Option<i64>> = HashMap::new();
        // (repo, run id, job key) → job row id.
        let mut jobs: HashMap<(String, i64, String), i64> = HashMap::new();
        for r in records {
            let run_key = (r.repo.clone(), r.run_id);
            if r.kind == Kind::Run {
                let origin = format!("{}#{}", r.repo, r.run_id);
                let exists: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM runs WHERE imported_from = ?1)",
                    [&origin],
                    |row| row.get(0),
                )?;
                if exists {
                    imported.already_present += 1;
                    runs.insert(run_key, None);
                    continue;
                }
                let created = ms(r.queued_at.or(r.started_at)).unwrap_or_default();
                tx.execute(
                    "INSERT INTO runs (number, attempt, workflow_name, workflow_path, event, git_ref, branch, sha, actor, \
                     status, conclusion, created_at, started_at, finished_at, project_root, request, repo, runner, \
                     imported_from, upload_state) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'completed', ?10, ?11, ?12, ?13, '', '{}', ?14, ?15, ?16, 'done')",
                    params![
                        r.run_number,
                        r.attempt,
                        r.workflow,
                        r.workflow_path,
                        r.event,
                        format!("refs/heads/{}", r.branch),
                        r.branch,
                        r.commit,
                        r.actor,
                        r.conclusion,
                        created,
                        ms(r.started_at),
                        ms(r.finished_at),
                        r.repo,
                        r.runner,
                        origin,
                    ],
                )?;
                runs.insert(run_key, Some(tx.last_insert_rowid()));
                imported.runs += 1;
                continue;
            }
            let Some(run_row) = runs.get(&run_key).copied() else {
                return Err(StoreError::Import(format!(
                    "{} record of run `{}#{}` comes before the run's own record",
                    if r.kind == Kind::Job { "job" } else { "step" },
                    r.repo,
                    r.run_id
                )));
            };
            let Some(run_row) = run_row else {
                continue;
            };
            let Some(key) = r.job.clone() else {
                return Err(StoreError::Import(format!(
                    "a record of run `{}#{}` lacks the field `job`",
                    r.repo, r.run_id
                )));
            };
            let tests = r
                .tests
                .map(|t| serde_json::to_string(&t).unwrap_or_default());
            if r.kind == Kind::Job {
                tx.execute(
                    "INSERT INTO jobs (run_id, key, job_id, name, matrix, status, conclusion, queued_at, started_at, finished_at, tests, path) \
                     VALUES (?1, ?2, ?3, ?4, ?5, 'completed', ?6, ?7, ?8, ?9, ?10, ?3)",
                    params![
                        run_row,
                        key,
                        r.job_id.clone().unwrap_or_else(|| key.clone()),
                        r.job_name.clone().unwrap_or_else(|| key.clone()),
                        r.matrix.clone().unwrap_or_default().to_string(),
                        r.conclusion,
                        ms(r.queued_at),
                        ms(r.started_at),
                        ms(r.finished_at),
                        tests,
                    ],
                )?;
                jobs.insert((r.repo.clone(), r.run_id, key), tx.last_insert_rowid());
                imported.jobs += 1;
            } else {
                let Some(job_row) = jobs.get(&(r.repo.clone(), r.run_id, key.clone())) else {
                    return Err(StoreError::Import(format!(
                        "step record of job `{key}` in run `{}#{}` comes before the job's own record",
                        r.repo, r.run_id
                    )));
                };
                tx.execute(
                    "INSERT INTO steps (job, idx, name, status, outcome, conclusion, exit_code, started_at, finished_at, tests) \
                     VALUES (?1, ?2, ?3, 'completed', ?4, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        job_row,
                        r.step_index.unwrap_or_default(),
                        r.step_name.clone().unwrap_or_default(),
                        r.conclusion,
                        r.exit_code,
                        ms(r.started_at),
                        ms(r.finished_at),
                        tests,
                    ],
                )?;
                imported.steps += 1;
            }
        }
        tx.commit()?;
        Ok(imported)
    }
}
