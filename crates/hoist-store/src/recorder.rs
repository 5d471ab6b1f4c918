//! Writing runs' events to the database from a background thread: one thread and one
//! connection per [`Store`](crate::Store) that starts recorders, shared by all their runs.
//!
//! Guarantees: each run's events are written in the order they were sent; a committed
//! numbered report is acknowledged only after its commit; a run whose events cannot be
//! written (a constraint, say) stops being recorded and [`Recorder::finish`] says why, while
//! the other runs of the same batch are written (each run's part of a transaction is a
//! savepoint of its own). A server planning a thousand runs thus holds one connection for
//! them, not a thousand, and commits once per batch window, not once per run.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};

use hoist_events::{Conclusion, JobKey, Observer, RunEvent};
use hoist_metrics::TestCounts;

use crate::StoreError;
use crate::db::{Db, args};
use crate::now_ms;

/// An [`Observer`] that stores everything a run reports. Call [`Recorder::finish`] at the end
/// to wait until every event is written.
#[derive(Debug)]
pub struct Recorder {
    run_id: i64,
    /// `None` once finished.
    tx: Mutex<Option<Sender<Envelope>>>,
}

/// The sending side of a store's writer thread, which it starts with its first recorder.
pub(crate) type Journal = Sender<Envelope>;

/// Starts the writer thread on `db`.
pub(crate) fn start_journal(db: Db) -> Result<Journal, StoreError> {
    let (tx, rx) = channel();
    std::thread::Builder::new()
        .name("hoist-store".into())
        .spawn(move || {
            Writer {
                db,
                runs: HashMap::new(),
                failed: HashMap::new(),
            }
            .run(rx)
        })
        .map_err(|e| StoreError::Recording(format!("cannot start the writer thread: {e}")))?;
    Ok(tx)
}

impl Recorder {
    pub(crate) fn start(journal: &Journal, run_id: i64) -> Self {
        Self {
            run_id,
            tx: Mutex::new(Some(journal.clone())),
        }
    }

    /// Waits until every event sent so far is in the database. Later calls return at once.
    pub fn finish(&self) -> Result<(), crate::StoreError> {
        let Some(tx) = self.tx.lock().ok().and_then(|mut tx| tx.take()) else {
            return Ok(());
        };
        let (done, written) = channel();
        let finish = Envelope {
            run_id: self.run_id,
            message: Message::Finish(Some(done)),
        };
        if tx.send(finish).is_err() {
            return Err(StoreError::RecorderGone);
        }
        written.recv().unwrap_or(Err(StoreError::RecorderGone))
    }
}

impl Drop for Recorder {
    /// A recorder dropped unfinished: its events are still written, then its run forgotten.
    fn drop(&mut self) {
        if let Some(tx) = self.tx.get_mut().ok().and_then(Option::take) {
            let _ = tx.send(Envelope {
                run_id: self.run_id,
                message: Message::Finish(None),
            });
        }
    }
}

/// A message for the writer thread, about run `run_id`.
pub(crate) struct Envelope {
    run_id: i64,
    message: Message,
}

/// What the writer thread is sent.
// Events travel by value, as they did before this enum: boxing them would cost an allocation
// per log line for the sake of the rare numbered batch.
#[allow(clippy::large_enum_variant)]
enum Message {
    Event(RunEvent),
    /// Events a runner reported for queued job `queue_id`, numbered from 1 per attempt:
    /// those numbered past the last one recorded are written, and the new last number with
    /// them, in one transaction; `done` hears when it is committed.
    Numbered {
        queue_id: i64,
        attempt: u32,
        events: Vec<(u64, RunEvent)>,
        done: Sender<()>,
    },
    /// The run's last message: its state is dropped once what came before is committed,
    /// and the sender (if any) hears how recording it went.
    Finish(Option<Finished>),
}

/// Hears how recording a run went, once it is all written.
type Finished = Sender<Result<(), StoreError>>;

impl Observer for Recorder {
    fn on_event(&self, event: &RunEvent) {
        self.send(Message::Event(event.clone()));
    }
}

impl Recorder {
    fn send(&self, message: Message) -> bool {
        match self.tx.lock() {
            Ok(tx) => tx.as_ref().is_some_and(|tx| {
                tx.send(Envelope {
                    run_id: self.run_id,
                    message,
                })
                .is_ok()
            }),
            Err(_) => false,
        }
    }

    /// Records events a runner reported for queued job `queue_id`, each at most once
    /// whatever how often it is sent (even across a restart of the server), and returns once
    /// they are committed: only then may the runner forget them. Blocks.
    pub fn record_numbered(
        &self,
        queue_id: i64,
        attempt: u32,
        events: Vec<(u64, RunEvent)>,
    ) -> Result<(), crate::StoreError> {
        let (done, committed) = channel();
        if !self.send(Message::Numbered {
            queue_id,
            attempt,
            events,
            done,
        }) {
            return Err(crate::StoreError::RecorderGone);
        }
        committed
            .recv()
            .map_err(|_| crate::StoreError::RecorderGone)
    }
}

/// The writer thread's state: every run being recorded, and those that failed.
struct Writer {
    db: Db,
    runs: HashMap<i64, RunState>,
    /// Runs whose events could not be written, with why, until they finish.
    failed: HashMap<i64, StoreError>,
}

/// What the writer remembers of one run between batches.
#[derive(Default)]
struct RunState {
    /// Job key → row id.
    jobs: HashMap<String, i64>,
    /// (job key, step index or none) → log text so far.
    logs: HashMap<(String, Option<usize>), LogBuffer>,
    /// (job key, step index or none for the job's total) → test counts so far.
    tests: HashMap<(String, Option<usize>), TestCounts>,
}

/// A running step's (or job's) log: all of it, for the compressed copy written when it ends,
/// and how much of it is already in `log_chunks`.
#[derive(Default)]
struct LogBuffer {
    text: String,
    saved: usize,
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

/// What a running step (`step`) or job (`None`) of job row `job` has printed so far.
pub(crate) fn saved_lines(db: &Db, job: i64, step: Option<i64>) -> Result<String, StoreError> {
    let chunks: Vec<String> = db.query_map(
        "SELECT text FROM log_chunks WHERE job = ?1 AND step_idx IS NOT DISTINCT FROM ?2 ORDER BY id",
        args![job, step],
        |r| r.get(0),
    )?;
    Ok(chunks.concat())
}

/// Folds the saved lines of every log of run `run_id` that never ended (its process was
/// killed) into the log columns, as a finished log would be.
pub(crate) fn fold_saved_lines(tx: &Db, run_id: i64) -> Result<(), StoreError> {
    let logs: Vec<(i64, Option<i64>)> = tx.query_map(
        "SELECT DISTINCT c.job, c.step_idx FROM log_chunks c JOIN jobs j ON j.id = c.job \
         WHERE j.run_id = ?1",
        args![run_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    for (job, step) in logs {
        let text = saved_lines(tx, job, step)?;
        let blob = (!text.is_empty()).then(|| compress(&text));
        match step {
            Some(idx) => tx.execute(
                "UPDATE steps SET log = COALESCE(log, ?3) WHERE job = ?1 AND idx = ?2",
                args![job, idx, blob],
            )?,
            None => tx.execute(
                "UPDATE jobs SET log = COALESCE(log, ?2) WHERE id = ?1",
                args![job, blob],
            )?,
        };
        forget_saved_lines(tx, job, step)?;
    }
    Ok(())
}

/// Drops the saved lines of a log now written whole.
fn forget_saved_lines(tx: &Db, job: i64, step: Option<i64>) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM log_chunks WHERE job = ?1 AND step_idx IS NOT DISTINCT FROM ?2",
        args![job, step],
    )?;
    Ok(())
}

fn ms(at: std::time::SystemTime) -> i64 {
    at.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Writer {
    fn run(mut self, rx: Receiver<Envelope>) {
        // Events are written in batches: whatever arrives within a short window goes into one
        // transaction, so a burst of steps (of any number of runs) costs one commit.
        const WINDOW: std::time::Duration = std::time::Duration::from_millis(25);
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            let deadline = std::time::Instant::now() + WINDOW;
            while batch.len() < 10_000 {
                let now = std::time::Instant::now();
                if now >= deadline {
                    break;
                }
                match rx.recv_timeout(deadline - now) {
                    Ok(m) => {
                        // Someone waits for a finish: write what there is now.
                        let last = matches!(m.message, Message::Finish(Some(_)));
                        batch.push(m);
                        if last {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
            self.write_batch(batch);
        }
    }

    /// Writes one batch in one transaction, each run's part in a savepoint; then answers
    /// who waits for it.
    fn write_batch(&mut self, batch: Vec<Envelope>) {
        // By run, in the order each was first seen; a run's own order is kept.
        let mut order: Vec<i64> = Vec::new();
        let mut by_run: HashMap<i64, Vec<Message>> = HashMap::new();
        for Envelope { run_id, message } in batch {
            by_run
                .entry(run_id)
                .or_insert_with(|| {
                    order.push(run_id);
                    Vec::new()
                })
                .push(message);
        }
        let Writer { db, runs, failed } = self;
        let mut acknowledged: Vec<Sender<()>> = Vec::new();
        let mut finishing: Vec<(i64, Option<Finished>)> = Vec::new();
        let written = db.write(|tx| {
            for run_id in &order {
                let messages = by_run.remove(run_id).unwrap_or_default();
                let mut numbered = Vec::new();
                for m in &messages {
                    if let Message::Finish(done) = m {
                        finishing.push((*run_id, done.clone()));
                    }
                }
                if failed.contains_key(run_id) {
                    continue;
                }
                let state = runs.entry(*run_id).or_default();
                tx.batch("SAVEPOINT recording")?;
                match Self::apply_messages(tx, *run_id, state, messages, &mut numbered) {
                    Ok(()) => {
                        tx.batch("RELEASE recording")?;
                        acknowledged.extend(numbered);
                    }
                    Err(e) => {
                        tx.batch("ROLLBACK TO recording; RELEASE recording")?;
                        runs.remove(run_id);
                        failed.insert(*run_id, e);
                    }
                }
            }
            Ok(())
        });
        if let Err(e) = written {
            // Nothing of the batch is written, and what the runs' states say about it is
            // not true: they all stop being recorded.
            let why = e.with_root_cause();
            acknowledged.clear();
            for run_id in &order {
                runs.remove(run_id);
                failed
                    .entry(*run_id)
                    .or_insert_with(|| StoreError::Recording(why.clone()));
            }
        }
        for done in acknowledged {
            let _ = done.send(());
        }
        for (run_id, done) in finishing {
            runs.remove(&run_id);
            let outcome = failed.remove(&run_id).map_or(Ok(()), Err);
            if let Some(done) = done {
                let _ = done.send(outcome);
            }
        }
    }

    /// Applies one run's messages of a batch; the numbered reports' acknowledgements go
    /// to `numbered`, to be sent once committed.
    fn apply_messages(
        tx: &Db,
        run_id: i64,
        state: &mut RunState,
        messages: Vec<Message>,
        numbered: &mut Vec<Sender<()>>,
    ) -> Result<(), StoreError> {
        let RunState { jobs, logs, tests } = state;
        for message in messages {
            match message {
                Message::Event(event) => Self::apply(tx, run_id, jobs, logs, tests, event)?,
                Message::Numbered {
                    queue_id,
                    attempt,
                    events,
                    done,
                } => {
                    let (seen_attempt, seen_seq): (u32, u64) = tx
                        .query_row_opt(
                            "SELECT event_attempt, event_seq FROM queue WHERE id = ?1",
                            args![queue_id],
                            |r| Ok((r.get(0)?, r.get(1)?)),
                        )?
                        .unwrap_or((0, 0));
                    let mut last = if seen_attempt == attempt { seen_seq } else { 0 };
                    for (seq, event) in events {
                        if seq <= last {
                            continue;
                        }
                        Self::apply(tx, run_id, jobs, logs, tests, event)?;
                        last = seq;
                    }
                    tx.execute(
                        "UPDATE queue SET event_attempt = ?2, event_seq = ?3 WHERE id = ?1",
                        args![queue_id, attempt, last as i64],
                    )?;
                    numbered.push(done);
                }
                Message::Finish(_) => {}
            }
        }
        Self::save_running_logs(tx, jobs, logs)
    }

    /// Appends what running steps printed in this batch to `log_chunks`, so that a killed
    /// run keeps it. Steps that ended in the batch were written whole already.
    fn save_running_logs(
        tx: &Db,
        jobs: &HashMap<String, i64>,
        logs: &mut HashMap<(String, Option<usize>), LogBuffer>,
    ) -> Result<(), StoreError> {
        for ((job, step), log) in logs.iter_mut() {
            let Some(row) = jobs.get(job) else { continue };
            if log.text.len() > log.saved {
                tx.execute(
                    "INSERT INTO log_chunks (job, step_idx, text) VALUES (?1, ?2, ?3)",
                    args![row, step.map(|s| s as i64), &log.text[log.saved..]],
                )?;
                log.saved = log.text.len();
            }
        }
        Ok(())
    }

    /// The whole text of a log that ends, and its chunks gone.
    fn take_log(
        tx: &Db,
        row: i64,
        logs: &mut HashMap<(String, Option<usize>), LogBuffer>,
        key: (String, Option<usize>),
    ) -> Result<Option<String>, StoreError> {
        let step = key.1.map(|s| s as i64);
        let Some(log) = logs.remove(&key) else {
            return Ok(None);
        };
        if log.saved > 0 {
            forget_saved_lines(tx, row, step)?;
        }
        Ok(Some(log.text))
    }

    fn job_row(
        tx: &Db,
        run_id: i64,
        jobs: &mut HashMap<String, i64>,
        job: &JobKey,
    ) -> Result<i64, StoreError> {
        if let Some(id) = jobs.get(&job.id) {
            return Ok(*id);
        }
        tx.execute("INSERT INTO jobs (run_id, key, job_id, name, matrix, status, path) VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6) \
             ON CONFLICT (run_id, key) DO NOTHING", args![run_id, job.id, job.job_id, job.name, job.matrix.to_string(), job.path],
        )?;
        let id: i64 = tx.query_row(
            "SELECT id FROM jobs WHERE run_id = ?1 AND key = ?2",
            args![run_id, job.id],
            |r| r.get(0),
        )?;
        jobs.insert(job.id.clone(), id);
        Ok(id)
    }

    fn apply(
        tx: &Db,
        run_id: i64,
        jobs: &mut HashMap<String, i64>,
        logs: &mut HashMap<(String, Option<usize>), LogBuffer>,
        tests: &mut HashMap<(String, Option<usize>), TestCounts>,
        event: RunEvent,
    ) -> Result<(), StoreError> {
        match event {
            // The reason is also a log line of the job, which is what the history keeps.
            RunEvent::RunStarted { .. } | RunEvent::JobNotRunHere { .. } => {}
            RunEvent::JobQueued { job } => {
                let row = Self::job_row(tx, run_id, jobs, &job)?;
                tx.execute(
                    "UPDATE jobs SET queued_at = COALESCE(queued_at, ?2) WHERE id = ?1",
                    args![row, now_ms()],
                )?;
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
                tx.execute(
                    "UPDATE jobs SET status = 'in_progress', started_at = ?2 WHERE id = ?1",
                    args![row, ms(at)],
                )?;
            }
            RunEvent::StepStarted {
                job,
                index,
                name,
                at,
            } => {
                let row = Self::job_row(tx, run_id, jobs, &job)?;
                tx.execute("INSERT INTO steps (job, idx, name, status, started_at) VALUES (?1, ?2, ?3, 'in_progress', ?4) \
                     ON CONFLICT (job, idx) DO UPDATE SET status = 'in_progress', started_at = ?4", args![row, index as i64, name, ms(at)],
                )?;
            }
            RunEvent::StepProcess {
                job,
                index,
                pgid,
                start_ticks,
            } => {
                let row = Self::job_row(tx, run_id, jobs, &job)?;
                tx.execute(
                    "UPDATE steps SET pgid = ?3, pgid_start = ?4 WHERE job = ?1 AND idx = ?2",
                    args![row, index as i64, pgid, start_ticks as i64],
                )?;
            }
            RunEvent::Log { job, step, line } => {
                // The row is needed when the lines are saved at the end of the batch.
                Self::job_row(tx, run_id, jobs, &job)?;
                let buf = &mut logs.entry((job.id, step)).or_default().text;
                buf.push_str(&line);
                buf.push('\n');
            }
            RunEvent::Annotation {
                job,
                step,
                annotation,
            } => {
                let row = Self::job_row(tx, run_id, jobs, &job)?;
                tx.execute("INSERT INTO annotations (run_id, job, step_idx, level, message, title, file, line, col) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", args![
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
                let log = Self::take_log(tx, row, logs, (job.id.clone(), Some(index)))?
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
                tx.execute("INSERT INTO steps (job, idx, name, status, outcome, conclusion, exit_code, started_at, finished_at, outputs, summary, log, tests) \
                     VALUES (?1, ?2, ?3, 'completed', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
                     ON CONFLICT (job, idx) DO UPDATE SET name = ?3, status = 'completed', outcome = ?4, conclusion = ?5, \
                     exit_code = ?6, started_at = COALESCE(steps.started_at, ?7), finished_at = ?8, outputs = ?9, summary = ?10, log = ?11, tests = ?12", args![
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
                let log = Self::take_log(tx, row, logs, (job.id.clone(), None))?;
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
                tx.execute("UPDATE jobs SET status = 'completed', conclusion = ?2, finished_at = ?3, outputs = ?4, \
                     started_at = COALESCE(started_at, ?5), log = COALESCE(?6, log), tests = ?7 WHERE id = ?1", args![row, result.as_str(), finished, serde_json::Value::Object(outputs).to_string(), started, log.filter(|l| !l.is_empty()).map(|l| compress(&l)), job_tests],
                )?;
            }
            RunEvent::JobRetried {
                job,
                attempt,
                reason,
            } => {
                // Every trace of the lost attempt goes, so its lines never mix with the next.
                let row = Self::job_row(tx, run_id, jobs, &job)?;
                logs.retain(|(id, _), _| *id != job.id);
                tests.retain(|(id, _), _| *id != job.id);
                tx.execute("DELETE FROM steps WHERE job = ?1", args![row])?;
                tx.execute("DELETE FROM log_chunks WHERE job = ?1", args![row])?;
                tx.execute("DELETE FROM annotations WHERE job = ?1", args![row])?;
                tx.execute("DELETE FROM artifacts WHERE job = ?1", args![row])?;
                tx.execute(
                    "UPDATE jobs SET status = 'queued', started_at = NULL, log = NULL WHERE id = ?1", args![row])?;
                let buf = &mut logs.entry((job.id, None)).or_default().text;
                buf.push_str(&format!("Attempt {attempt}: {reason}\n"));
            }
            RunEvent::Artifact {
                job,
                name,
                path,
                size,
            } => {
                let row = Self::job_row(tx, run_id, jobs, &job)?;
                tx.execute("INSERT INTO artifacts (run_id, job, name, path, size) VALUES (?1, ?2, ?3, ?4, ?5)", args![run_id, row, name, path.to_string_lossy(), size as i64],
                )?;
            }
            RunEvent::RunFinished { conclusion, .. } => {
                // Logs whose step never reported its end (nothing should be left, but a
                // line kept is worth more than a tidy table).
                Self::save_running_logs(tx, jobs, logs)?;
                logs.clear();
                fold_saved_lines(tx, run_id)?;
                tx.execute("UPDATE runs SET status = 'completed', conclusion = ?2, finished_at = ?3 WHERE id = ?1", args![run_id, conclusion.as_str(), now_ms()],
                )?;
            }
        }
        Ok(())
    }
}
