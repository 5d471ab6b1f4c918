//! Metrics records from the history (one per run, job and step), and importing records
//! (from another machine's documents) into it.

use std::collections::HashMap;

use hoist_metrics::{Detail, DocumentWriter, Kind, Record, RunContext, SCHEMA_VERSION, TestCounts};
use jiff::Timestamp;

use crate::db::{Value, args};
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

/// One run's records, the context held once: the run's own detail, then each job's
/// followed by its steps'. A step's detail holds only its own fields; the job's (`job` …
/// `service`) are those of the job line before it.
struct RunRecords {
    context: RunContext,
    lines: Vec<(Kind, Detail)>,
}

impl RunRecords {
    fn into_records(self, out: &mut Vec<Record>) {
        let mut job = Detail::default();
        for (kind, detail) in self.lines {
            let detail = match kind {
                Kind::Job => {
                    job = detail.clone();
                    detail
                }
                Kind::Step => detail.with_job_of(&job),
                Kind::Run => detail,
            };
            out.push(Record {
                version: SCHEMA_VERSION,
                kind,
                run: self.context.clone(),
                detail,
            });
        }
    }
}

impl Store {
    /// The records of one completed run: the run, then each job followed by its steps.
    pub fn metrics_records(&self, run_id: i64) -> Result<Vec<Record>, StoreError> {
        let mut out = Vec::new();
        for run in self.runs_where("r.id = ?1", args![run_id])? {
            run.into_records(&mut out);
        }
        Ok(out)
    }

    /// One completed run's metrics document: the NDJSON of [`Store::metrics_records`],
    /// written without a record per line in memory.
    pub fn metrics_document(&self, run_id: i64) -> Result<String, StoreError> {
        let Some(run) = self.runs_where("r.id = ?1", args![run_id])?.pop() else {
            return Err(StoreError::NoSuchRun(run_id));
        };
        let mut writer = DocumentWriter::new(&run.context);
        let mut job = DocumentWriter::job_fields(&Detail::default());
        for (kind, detail) in &run.lines {
            match kind {
                Kind::Run => writer.push(Kind::Run, detail),
                Kind::Job => {
                    job = DocumentWriter::job_fields(detail);
                    writer.push(Kind::Job, detail);
                }
                Kind::Step => writer.push_step(&job, detail),
            }
        }
        Ok(writer.finish())
    }

    /// The records of every completed run that started in `[since, until)` (milliseconds),
    /// or, with `slack`, up to that long before `since` (their jobs may still start inside).
    pub fn records_between(
        &self,
        since: i64,
        until: i64,
        slack: i64,
    ) -> Result<Vec<Record>, StoreError> {
        let mut out = Vec::new();
        for run in self.runs_where(
            "COALESCE(r.started_at, r.created_at) >= ?1 AND COALESCE(r.started_at, r.created_at) < ?2",
            args![since - slack, until],
        )? {
            run.into_records(&mut out);
        }
        Ok(out)
    }

    fn runs_where(&self, filter: &str, args: &[Value]) -> Result<Vec<RunRecords>, StoreError> {
        let db = self.db();
        let runs = db.query_map(&format!(
            "SELECT r.id, r.number, r.attempt, r.workflow_name, r.workflow_path, r.event, r.branch, r.sha, r.actor, \
             r.repo, r.runner, r.conclusion, r.created_at, r.started_at, r.finished_at \
             FROM runs r WHERE r.status = 'completed' AND {filter} ORDER BY r.id"
        ), args, |r| {
            let created: i64 = r.get(12)?;
            let started: Option<i64> = r.get(13)?;
            let finished: Option<i64> = r.get(14)?;
            Ok(RunRecords {
                context: RunContext {
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
                },
                lines: vec![(
                    Kind::Run,
                    Detail {
                        conclusion: r.get(11)?,
                        queued_at: ts(Some(created)),
                        started_at: ts(started),
                        finished_at: ts(finished),
                        duration_ms: duration(started, finished),
                        ..Detail::default()
                    },
                )],
            })
        })?;
        let mut out: Vec<RunRecords> = Vec::new();
        // Run id → index in `out`.
        let mut by_run: HashMap<i64, usize> = HashMap::new();
        for run in runs {
            by_run.insert(run.context.run_id, out.len());
            out.push(run);
        }
        let jobs = db.query_map(&format!(
            "SELECT j.id, j.run_id, j.key, COALESCE(j.path, j.job_id), j.name, j.matrix, j.conclusion, j.queued_at, \
             j.started_at, j.finished_at, j.tests FROM jobs j JOIN runs r ON r.id = j.run_id \
             WHERE r.status = 'completed' AND {filter} ORDER BY j.id"
        ), args, |r| {
            let matrix: String = r.get(5)?;
            let started: Option<i64> = r.get(8)?;
            let finished: Option<i64> = r.get(9)?;
            let matrix: serde_json::Value = serde_json::from_str(&matrix).unwrap_or_default();
            Ok((
                r.get::<i64>(0)?,
                r.get::<i64>(1)?,
                Detail {
                    job: Some(r.get(2)?),
                    job_id: Some(r.get(3)?),
                    job_name: Some(r.get(4)?),
                    service: service_of(&matrix),
                    matrix: (!matrix.is_null()).then_some(matrix),
                    conclusion: r.get(6)?,
                    queued_at: ts(r.get(7)?),
                    started_at: ts(started),
                    finished_at: ts(finished),
                    duration_ms: duration(started, finished),
                    tests: tests_column(r.get(10)?),
                    ..Detail::default()
                },
            ))
        })?;
        // Job row → (its run's index in `out`, its detail); steps are added after it.
        let mut job_details: Vec<(i64, usize, Detail)> = Vec::new();
        for (job_row, run_id, detail) in jobs {
            if let Some(&i) = by_run.get(&run_id) {
                job_details.push((job_row, i, detail));
            }
        }
        let steps = db.query_map(&format!(
            "SELECT s.job, s.idx, s.name, s.conclusion, s.exit_code, s.started_at, s.finished_at, s.tests \
             FROM steps s JOIN jobs j ON j.id = s.job JOIN runs r ON r.id = j.run_id \
             WHERE r.status = 'completed' AND {filter} ORDER BY s.job, s.idx"
        ), args, |r| {
            let started: Option<i64> = r.get(5)?;
            let finished: Option<i64> = r.get(6)?;
            Ok((
                r.get::<i64>(0)?,
                Detail {
                    step_index: Some(r.get(1)?),
                    step_name: r.get(2)?,
                    conclusion: r.get(3)?,
                    exit_code: r.get(4)?,
                    started_at: ts(started),
                    finished_at: ts(finished),
                    duration_ms: duration(started, finished),
                    tests: tests_column(r.get(7)?),
                    ..Detail::default()
                },
            ))
        })?;
        // Job row → its steps' details, without the job's fields yet.
        let mut job_steps: HashMap<i64, Vec<Detail>> = HashMap::new();
        for (job_row, step) in steps {
            job_steps.entry(job_row).or_default().push(step);
        }
        for (job_row, i, job) in job_details {
            let steps = job_steps.remove(&job_row).unwrap_or_default();
            let lines = &mut out[i].lines;
            lines.push((Kind::Job, job));
            lines.extend(steps.into_iter().map(|step| (Kind::Step, step)));
        }
        Ok(out)
    }

    /// Adds the runs described by `records` (as written by [`Store::metrics_records`], from
    /// this or another machine) to the history, in one transaction. A run is known by its
    /// repository and run id; importing it again changes nothing.
    pub fn import(&mut self, records: &[Record]) -> Result<Imported, StoreError> {
        let mut imported = Imported::default();
        self.db().write(|tx| {
        // (repo, run id) → new row id, or None when already present.
        let mut runs: HashMap<(String, i64), Option<i64>> = HashMap::new();
        // (repo, run id, job key) → job row id.
        let mut jobs: HashMap<(String, i64, String), i64> = HashMap::new();
        for r in records {
            let run_key = (r.run.repo.clone(), r.run.run_id);
            if r.kind == Kind::Run {
                let origin = format!("{}#{}", r.run.repo, r.run.run_id);
                let exists: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM runs WHERE imported_from = ?1)",
                    args![origin],
                    |row| row.get(0),
                )?;
                if exists {
                    imported.already_present += 1;
                    runs.insert(run_key, None);
                    continue;
                }
                let created = ms(r.detail.queued_at.or(r.detail.started_at)).unwrap_or_default();
                let row: i64 = tx.query_row(
                    "INSERT INTO runs (number, attempt, workflow_name, workflow_path, event, git_ref, branch, sha, actor, \
                     status, conclusion, created_at, started_at, finished_at, project_root, request, repo, runner, \
                     imported_from, upload_state) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'completed', ?10, ?11, ?12, ?13, '', '{}', ?14, ?15, ?16, 'done') \
                     RETURNING id",
                    args![
                        r.run.run_number,
                        r.run.attempt,
                        r.run.workflow,
                        r.run.workflow_path,
                        r.run.event,
                        format!("refs/heads/{}", r.run.branch),
                        r.run.branch,
                        r.run.commit,
                        r.run.actor,
                        r.detail.conclusion,
                        created,
                        ms(r.detail.started_at),
                        ms(r.detail.finished_at),
                        r.run.repo,
                        r.run.runner,
                        origin,
                    ],
                    |r| r.get(0),
                )?;
                runs.insert(run_key, Some(row));
                imported.runs += 1;
                continue;
            }
            let Some(run_row) = runs.get(&run_key).copied() else {
                return Err(StoreError::Import(format!(
                    "{} record of run `{}#{}` comes before the run's own record",
                    if r.kind == Kind::Job { "job" } else { "step" },
                    r.run.repo,
                    r.run.run_id
                )));
            };
            let Some(run_row) = run_row else {
                continue;
            };
            let Some(key) = r.detail.job.clone() else {
                return Err(StoreError::Import(format!(
                    "a record of run `{}#{}` lacks the field `job`",
                    r.run.repo, r.run.run_id
                )));
            };
            let tests = r
                .detail
                .tests
                .map(|t| serde_json::to_string(&t).unwrap_or_default());
            if r.kind == Kind::Job {
                let row: i64 = tx.query_row(
                    "INSERT INTO jobs (run_id, key, job_id, name, matrix, status, conclusion, queued_at, started_at, finished_at, tests, path) \
                     VALUES (?1, ?2, ?3, ?4, ?5, 'completed', ?6, ?7, ?8, ?9, ?10, ?3) RETURNING id",
                    args![
                        run_row,
                        key,
                        r.detail.job_id.clone().unwrap_or_else(|| key.clone()),
                        r.detail.job_name.clone().unwrap_or_else(|| key.clone()),
                        r.detail.matrix.clone().unwrap_or_default().to_string(),
                        r.detail.conclusion,
                        ms(r.detail.queued_at),
                        ms(r.detail.started_at),
                        ms(r.detail.finished_at),
                        tests,
                    ],
                    |r| r.get(0),
                )?;
                jobs.insert((r.run.repo.clone(), r.run.run_id, key), row);
                imported.jobs += 1;
            } else {
                let Some(job_row) = jobs.get(&(r.run.repo.clone(), r.run.run_id, key.clone()))
                else {
                    return Err(StoreError::Import(format!(
                        "step record of job `{key}` in run `{}#{}` comes before the job's own record",
                        r.run.repo, r.run.run_id
                    )));
                };
                tx.execute(
                    "INSERT INTO steps (job, idx, name, status, outcome, conclusion, exit_code, started_at, finished_at, tests) \
                     VALUES (?1, ?2, ?3, 'completed', ?4, ?4, ?5, ?6, ?7, ?8)",
                    args![
                        job_row,
                        r.detail.step_index.unwrap_or_default(),
                        r.detail.step_name.clone().unwrap_or_default(),
                        r.detail.conclusion,
                        r.detail.exit_code,
                        ms(r.detail.started_at),
                        ms(r.detail.finished_at),
                        tests,
                    ],
                )?;
                imported.steps += 1;
            }
        }
        Ok(imported)
        })
    }
}
