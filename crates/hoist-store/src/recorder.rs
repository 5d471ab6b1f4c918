//! Writing a run's events to the database from a background thread.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use hoist_engine::{Conclusion, JobKey, Observer, RunEvent};
use hoist_metrics::TestCounts;
use rusqlite::{Connection, params};

use crate::now_ms;

/// An [`Observer`] that stores everything a run reports. Call [`Recorder::finish`] at the end
/// to wait until every event is written.
#[derive(Debug)]
pub struct Recorder {
    tx: Mutex<Option<Sender<RunEvent>>>,
    thread: Mutex<Option<JoinHandle<Result<(), rusqlite::Error>>>>,
}

impl Recorder {
    pub(crate) fn start(conn: Connection, run_id: i64) -> Self {
        let (tx, rx) = channel();
        let thread = std::thread::Builder::new()
            .name("hoist-store".into())
            .spawn(move || {
                Writer {
                    conn,
                    run_id,
                    jobs: HashMap::new(),
                    logs: HashMap::new(),
                    tests: HashMap::new(),
                }
                .run(rx)
            })
            .ok();
        Self {
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(thread),
        }
    }

    /// Waits until every event sent so far is in the database.
    pub fn finish(&self) -> Result<(), crate::StoreError> {
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
        let handle = self.thread.lock().ok().and_then(|mut t| t.take());
        match handle.map(JoinHandle::join) {
            Some(Ok(r)) => r.map_err(crate::StoreError::Sql),
            _ => Ok(()),
        }
    }
}

impl Observer for Recorder {
    fn on_event(&self, event: &RunEvent) {
        if let Ok(tx) = self.tx.lock()
            && let Some(tx) = tx.as_ref()
        {
            let _ = tx.send(event.clone());
        }
    }
}

struct Writer {
    conn: Connection,
    run_id: i64,
    /// Job key → row id.
    jobs: HashMap<String, i64>,
    /// (job key, step index or none) → log text so far.
    logs: HashMap<(String, Option<usize>), String>,
    /// (job key, step index or none for the job's total) → test counts so far.
    tests: HashMap<(String, Option<usize>), TestCounts>,
}

/// Deflates a log. Empty logs are not stored at all (NULL): most steps of a large matrix
/// print nothing, and every stored blob costs a decoder when it is read or uploaded.
pub(crate) fn compress(text: &str) -> Vec<u8> {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = enc.write_all(text.as_bytes());
    enc.finish().unwrap_or_default()
}

/// A log blob back to its text.
pub(crate) fn inflate(bytes: &[u8]) -> String {
    let mut out = String::new();
    let _ = flate2::read::DeflateDecoder::new(bytes).read_to_string(&mut out);
    out
}

fn ms(at: std::time::SystemTime) -> i64 {
    at.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Writer {
    fn run(mut self, rx: Receiver<RunEvent>) -> Result<(), rusqlite::Error> {
        // Events are written in batches: whatever arrives within a short window goes into one
        // transaction, so a burst of steps costs one commit instead of hundreds.
        const WINDOW: std::time::Duration = std::time::Duration::from_millis(25);
        while let Ok(first) = rx.recv() {
            let tx = self.conn.transaction()?;
            let mut batch = vec![first];
            let deadline = std::time::Instant::now() + WINDOW;
            while batch.len() < 10_000 {
                let now = std::time::Instant::now();
                if now >= deadline {
                    break;
                }
                match rx.recv_timeout(deadline - now) {
                    Ok(e) => {
                        let last = matches!(e, RunEvent::RunFinished { .. });
                        batch.push(e);
                        if last {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
            for event in batch {
                Self::apply(
                    &tx,
                    self.run_id,
                    &mut self.jobs,
                    &mut self.logs,
                    &mut self.tests,
                    event,
                )?;
            }
            tx.commit()?;
        }
        Ok(())
    }

    fn job_row(
        tx: &rusqlite::Transaction<'_>,
        run_id: i64,
        jobs: &mut HashMap<String, i64>,
        job: &JobKey,
    ) -> Result<i64, rusqlite::Error> {
        if let Some(id) = jobs.get(&job.id) {
            return Ok(*id);
        }
        tx.prepare_cached("INSERT INTO jobs (run_id, key, job_id, name, matrix, status, path) VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6) \
             ON CONFLICT (run_id, key) DO NOTHING")?.execute(params![run_id, job.id, job.job_id, job.name, job.matrix.to_string(), job.path],
        )?;
        let id: i64 = tx
            .prepare_cached("SELECT id FROM jobs WHERE run_id = ?1 AND key = ?2")?
            .query_row(params![run_id, job.id], |r| r.get(0))?;
        jobs.insert(job.id.clone(), id);
        Ok(id)
    }

    fn apply(
        tx: &rusqlite::Transaction<'_>,
        run_id: i64,
        jobs: &mut HashMap<String, i64>,
        logs: &mut HashMap<(String, Option<usize>), String>,
        tests: &mut HashMap<(String, Option<usize>), TestCounts>,
        event: RunEvent,
    ) -> Result<(), rusqlite::Error> {
        match event {
            RunEvent::RunStarted { .. } => {}
            RunEvent::JobQueued { job } => {
                let row = Self::job_row(tx, run_id, jobs, &job)?;
                tx.prepare_cached(
                    "UPDATE jobs SET queued_at = COALESCE(queued_at, ?2) WHERE id = ?1",
                )?
                .execute(params![row, now_ms()])?;
            }
            RunEvent::TestReport { job, index, counts } => {
                tests
                    .entry((job.id.clone(), Some(index)))
                    .or_default()
                    .add(counts);
                tests.entry((job.id, None)).or_default().add(counts);
            }
            RunEvent::JobStarted { job, at } => {
                let row = Self::job_row(tx, run_id, jobs, &job)?;
                tx.prepare_cached(
                    "UPDATE jobs SET status = 'in_progress', started_at = ?2 WHERE id = ?1",
                )?
                .execute(params![row, ms(at)])?;
            }
            RunEvent::StepStarted {
                job,
                index,
                name,
                at,
            } => {
                let row = Self::job_row(tx, run_id, jobs, &job)?;
                tx.prepare_cached("INSERT INTO steps (job, idx, name, status, started_at) VALUES (?1, ?2, ?3, 'in_progress', ?4) \
                     ON CONFLICT (job, idx) DO UPDATE SET status = 'in_progress', started_at = ?4")?.execute(params![row, index as i64, name, ms(at)],
                )?;
            }
            RunEvent::Log { job, step, line } => {
                let buf = logs.entry((job.id, step)).or_default();
                buf.push_str(&line);
                buf.push('\n');
            }
            RunEvent::Annotation {
                job,
                step,
                annotation,
            } => {
                let row = Self::job_row(tx, run_id, jobs, &job)?;
                tx.prepare_cached("INSERT INTO annotations (run_id, job, step_idx, level, message, title, file, line, col) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")?.execute(params![
                        run_id,
                        row,
                        step.map(|s| s as i64),
                        annotation.level.as_str(),
                        annotation.message,
                        annotation.title,
                        annotation.file,
                        annotation.line,
                        annotation.column
                    ],
                )?;
            }
            RunEvent::StepFinished {
                job,
                index,
                name,
                outcome,
                conclusion,
                exit_code,
                duration,
                outputs,
                summary,
            } => {
                let row = Self::job_row(tx, run_id, jobs, &job)?;
                let log = logs
                    .remove(&(job.id.clone(), Some(index)))
                    .unwrap_or_default();
                let finished = now_ms();
                let started = finished - duration.as_millis() as i64;
                let outputs: serde_json::Map<String, serde_json::Value> = outputs
                    .into_iter()
                    .map(|(k, v)| (k, serde_json::Value::String(v)))
                    .collect();
                let step_tests = tests
                    .remove(&(job.id.clone(), Some(index)))
                    .map(|t| serde_json::to_string(&t).unwrap_or_default());
                tx.prepare_cached("INSERT INTO steps (job, idx, name, status, outcome, conclusion, exit_code, started_at, finished_at, outputs, summary, log, tests) \
                     VALUES (?1, ?2, ?3, 'completed', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
                     ON CONFLICT (job, idx) DO UPDATE SET name = ?3, status = 'completed', outcome = ?4, conclusion = ?5, \
                     exit_code = ?6, started_at = COALESCE(steps.started_at, ?7), finished_at = ?8, outputs = ?9, summary = ?10, log = ?11, tests = ?12")?.execute(params![
                        row,
                        index as i64,
                        name,
                        outcome.as_str(),
                        conclusion.as_str(),
                        exit_code,
                        started,
                        finished,
                        serde_json::Value::Object(outputs).to_string(),
                        summary,
                        (!log.is_empty()).then(|| compress(&log)),
                        step_tests
                    ],
                )?;
            }
            RunEvent::JobFinished {
                job,
                result,
                duration,
                outputs,
            } => {
                let row = Self::job_row(tx, run_id, jobs, &job)?;
                let log = logs.remove(&(job.id.clone(), None));
                let finished = now_ms();
                let outputs: serde_json::Map<String, serde_json::Value> = outputs
                    .into_iter()
                    .map(|(k, v)| (k, serde_json::Value::String(v)))
                    .collect();
                let started = if result == Conclusion::Skipped {
                    None
                } else {
                    Some(finished - duration.as_millis() as i64)
                };
                let job_tests = tests
                    .remove(&(job.id.clone(), None))
                    .map(|t| serde_json::to_string(&t).unwrap_or_default());
                tx.prepare_cached("UPDATE jobs SET status = 'completed', conclusion = ?2, finished_at = ?3, outputs = ?4, \
                     started_at = COALESCE(started_at, ?5), log = COALESCE(?6, log), tests = ?7 WHERE id = ?1")?.execute(params![row, result.as_str(), finished, serde_json::Value::Object(outputs).to_string(), started, log.filter(|l| !l.is_empty()).map(|l| compress(&l)), job_tests],
                )?;
            }
            RunEvent::Artifact {
                job,
                name,
                path,
                size,
            } => {
                let row = Self::job_row(tx, run_id, jobs, &job)?;
                tx.prepare_cached("INSERT INTO artifacts (run_id, job, name, path, size) VALUES (?1, ?2, ?3, ?4, ?5)")?.execute(params![run_id, row, name, path.to_string_lossy(), size as i64],
                )?;
            }
            RunEvent::RunFinished { conclusion, .. } => {
                tx.prepare_cached("UPDATE runs SET status = 'completed', conclusion = ?2, finished_at = ?3 WHERE id = ?1")?.execute(params![run_id, conclusion.as_str(), now_ms()],
                )?;
            }
        }
        Ok(())
    }
}
