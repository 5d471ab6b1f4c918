//! Moving a finished run's blobs to object storage: its logs (one gzip object per run, one
//! member per job or step log, byte ranges kept here), its artifacts, and its metrics
//! document.
//!
//! The database is the buffer: a run stays `pending` with its logs in the database until every
//! object is written, and only then, in one transaction, do the rows switch to keys. A failed
//! upload loses nothing and changes no run's result; it is retried with backoff by the next
//! flush.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::db::args;
use hoist_storage::Storage;

use crate::{Store, StoreError, now_ms};

/// A run whose objects are not (all) in storage yet.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PendingRun {
    pub id: i64,
    pub number: i64,
    pub workflow_name: String,
    pub conclusion: Option<String>,
    pub finished_at: Option<i64>,
    pub attempts: i64,
    /// No automatic retry before this time (milliseconds since the epoch).
    pub retry_after: Option<i64>,
    pub last_error: Option<String>,
}

#[derive(Debug)]
pub struct UploadFailure {
    pub run_id: i64,
    pub error: StoreError,
}

/// What a flush did.
#[derive(Debug, Default)]
pub struct FlushReport {
    pub uploaded: Vec<i64>,
    pub failed: Vec<UploadFailure>,
    /// Pending runs not tried: their backoff has not expired, the storage was unreachable,
    /// or the limit was reached.
    pub deferred: usize,
}

/// Seconds to wait before the next automatic attempt, after `attempts` failures: 30 s,
/// doubling, at most six hours.
fn backoff_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(1, 20) - 1;
    (30_000i64 << exp).min(6 * 3_600_000)
}

/// Appends `text` to `object` as one gzip member and returns its byte range.
fn append_member(object: &mut Vec<u8>, text: &str) -> (i64, i64) {
    let start = object.len();
    let mut enc =
        flate2::write::GzEncoder::new(std::mem::take(object), flate2::Compression::fast());
    let _ = enc.write_all(text.as_bytes());
    *object = enc.finish().unwrap_or_default();
    (start as i64, object.len() as i64)
}

/// Reads one gzip member back.
pub(crate) fn read_member(bytes: &[u8]) -> String {
    let mut out = String::new();
    let _ = flate2::read::GzDecoder::new(bytes).read_to_string(&mut out);
    out
}

struct LogPlacement {
    table: &'static str,
    row: i64,
    range: (i64, i64),
}

impl Store {
    /// Completed runs whose objects are not all in storage, oldest first.
    pub fn pending_uploads(&self) -> Result<Vec<PendingRun>, StoreError> {
        self.db().query_map(
            "SELECT id, number, workflow_name, conclusion, finished_at, upload_attempts, upload_after, upload_error \
             FROM runs WHERE upload_state = 'pending' AND status = 'completed' ORDER BY id",
            &[],
            |r| {
                Ok(PendingRun {
                    id: r.get(0)?,
                    number: r.get(1)?,
                    workflow_name: r.get(2)?,
                    conclusion: r.get(3)?,
                    finished_at: r.get(4)?,
                    attempts: r.get(5)?,
                    retry_after: r.get(6)?,
                    last_error: r.get(7)?,
                })
            },
        )
    }

    /// Uploads pending runs whose backoff has expired (every pending run with `force`), at
    /// most `limit` of them, oldest first. Failures are recorded on the run and reported; they
    /// do not stop the others, except that after a transient failure (server unreachable)
    /// the rest wait for the next flush.
    pub fn flush_uploads(
        &mut self,
        storage: &Storage,
        force: bool,
        limit: usize,
    ) -> Result<FlushReport, StoreError> {
        let now = now_ms();
        let mut report = FlushReport::default();
        let mut unreachable = false;
        for run in self.pending_uploads()? {
            let tried = report.uploaded.len() + report.failed.len();
            if unreachable || tried >= limit || (!force && run.retry_after.is_some_and(|t| t > now))
            {
                report.deferred += 1;
                continue;
            }
            match self.upload_run(storage, run.id) {
                Ok(()) => report.uploaded.push(run.id),
                Err(error) => {
                    unreachable = matches!(&error, StoreError::Storage(e) if e.is_transient());
                    report.failed.push(UploadFailure {
                        run_id: run.id,
                        error,
                    });
                }
            }
        }
        Ok(report)
    }

    /// Writes run `run_id`'s logs, artifacts and metrics document to `storage`, then
    /// switches its rows to keys. On failure the run stays pending, with the error and the
    /// time of the next automatic attempt recorded.
    pub fn upload_run(&mut self, storage: &Storage, run_id: i64) -> Result<(), StoreError> {
        match self.try_upload(storage, run_id) {
            Ok(()) => Ok(()),
            Err(error) => {
                let attempts: i64 = self
                    .db()
                    .query_row_opt(
                        "SELECT upload_attempts FROM runs WHERE id = ?1",
                        args![run_id],
                        |r| r.get::<i64>(0),
                    )?
                    .unwrap_or_default()
                    + 1;
                self.db().execute(
                    "UPDATE runs SET upload_attempts = ?2, upload_after = ?3, upload_error = ?4 WHERE id = ?1",
                    args![run_id, attempts, now_ms() + backoff_ms(attempts), error.with_root_cause()],
                )?;
                Err(error)
            }
        }
    }

    fn try_upload(&mut self, storage: &Storage, run_id: i64) -> Result<(), StoreError> {
        let (repo, status, started): (String, String, Option<i64>) = self
            .db()
            .query_row_opt(
                "SELECT repo, status, COALESCE(started_at, created_at) FROM runs WHERE id = ?1",
                args![run_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?
            .ok_or(StoreError::NoSuchRun(run_id))?;
        if status != "completed" {
            return Err(StoreError::NotFinished(run_id));
        }
        let repo_segment =
            hoist_metrics::key_segment(if repo.is_empty() { "local" } else { &repo });

        // Logs: one object, members in job order, each job's own lines before its steps'.
        // Empty logs are not stored (see the recorder), so only real output costs anything.
        let mut object = Vec::new();
        let mut placements = Vec::new();
        // (row, job name, the step's index and name for a step's log, the log).
        type StoredLogRow = (i64, String, Option<(i64, String)>, Vec<u8>);
        let logs: Vec<StoredLogRow> = self.db().query_map(
            "SELECT j.id, j.name, NULL, NULL, j.log, j.id AS job_order, -1 AS step_order \
             FROM jobs j WHERE j.run_id = ?1 AND j.log IS NOT NULL \
             UNION ALL \
             SELECT s.id, j.name, s.idx, s.name, s.log, j.id, s.idx \
             FROM steps s JOIN jobs j ON j.id = s.job WHERE j.run_id = ?1 AND s.log IS NOT NULL \
             ORDER BY job_order, step_order",
            args![run_id],
            |r| {
                // A job's own log has no step index.
                let step = match (r.get::<Option<i64>>(2)?, r.get::<Option<String>>(3)?) {
                    (Some(idx), Some(name)) => Some((idx, name)),
                    _ => None,
                };
                Ok((r.get(0)?, r.get(1)?, step, r.get(4)?))
            },
        )?;
        for (row, job_name, step, blob) in logs {
            let text = crate::recorder::inflate(&blob);
            if text.is_empty() {
                continue;
            }
            // A header of its own member: `zcat` shows whose lines follow, while a log's
            // range holds only its lines.
            let header = match &step {
                Some((idx, name)) => format!("##[hoist] {job_name} / {} {name}\n", idx + 1),
                None => format!("##[hoist] {job_name}\n"),
            };
            append_member(&mut object, &header);
            let range = append_member(&mut object, &text);
            let table = if step.is_some() { "steps" } else { "jobs" };
            placements.push(LogPlacement { table, row, range });
        }
        let log_key = format!("logs/{repo_segment}/{run_id}.log.gz");
        if !object.is_empty() {
            storage.put(&log_key, object)?;
        }

        // Artifacts: every file, under the artifact's name.
        let artifacts: Vec<(i64, String, String)> = self.db().query_map(
            "SELECT id, name, path FROM artifacts WHERE run_id = ?1 AND key IS NULL ORDER BY id",
            args![run_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let mut artifact_keys = Vec::new();
        for (id, name, path) in artifacts {
            let prefix = format!(
                "artifacts/{repo_segment}/{run_id}/{}",
                hoist_metrics::key_segment(&name)
            );
            for (file, relative) in files_below(Path::new(&path)) {
                let body = std::fs::read(&file).map_err(|e| StoreError::ReadArtifact {
                    path: file.clone(),
                    source: e,
                })?;
                storage.put(&format!("{prefix}/{relative}"), body)?;
            }
            artifact_keys.push((id, prefix, path));
        }
        // Metrics.
        let started = started
            .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let metrics_key = hoist_metrics::document_key(&repo, run_id, started);
        storage.put(&metrics_key, self.metrics_document(run_id)?.into_bytes())?;
        self.db().write(|tx| {
            for p in &placements {
                tx.execute(
                    &format!(
                        "UPDATE {} SET log = NULL, log_start = ?2, log_end = ?3 WHERE id = ?1",
                        p.table
                    ),
                    args![p.row, p.range.0, p.range.1],
                )?;
            }
            for (id, key, _) in &artifact_keys {
                tx.execute(
                    "UPDATE artifacts SET key = ?2 WHERE id = ?1",
                    args![id, key],
                )?;
            }
            tx.execute(
                "UPDATE runs SET upload_state = 'done', upload_error = NULL, upload_after = NULL, storage_url = ?2, \
                 log_key = ?3, metrics_key = ?4 WHERE id = ?1",
                args![
                    run_id,
                    storage.url(),
                    (!placements.is_empty()).then_some(&log_key),
                    metrics_key
                ],
            )?;
            Ok(())
        })?;
        // The local copies of artifacts are no longer needed.
        for (_, _, path) in artifact_keys {
            let path = Path::new(&path);
            let _ = if path.is_dir() {
                std::fs::remove_dir_all(path)
            } else {
                std::fs::remove_file(path)
            };
        }
        Ok(())
    }

    /// The storage URL and keys of run `run_id`'s objects, once uploaded.
    pub fn run_objects(&self, run_id: i64) -> Result<Option<RunObjects>, StoreError> {
        self.db().query_row_opt(
            "SELECT storage_url, log_key, metrics_key FROM runs WHERE id = ?1 AND upload_state = 'done' AND storage_url IS NOT NULL",
            args![run_id],
            |r| {
                Ok(RunObjects {
                    storage_url: r.get(0)?,
                    log_key: r.get(1)?,
                    metrics_key: r.get(2)?,
                })
            },
        )
    }
}

/// Where a run's objects are.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunObjects {
    pub storage_url: String,
    pub log_key: Option<String>,
    pub metrics_key: Option<String>,
}

/// The files at or below `path` with their `/`-separated paths relative to it (a file's own
/// name when `path` is a file).
fn files_below(path: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    if path.is_file() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push((path.to_path_buf(), name));
        return out;
    }
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let Ok(kind) = e.file_type() else { continue };
            if kind.is_dir() {
                stack.push(p);
            } else if kind.is_file()
                && let Ok(rel) = p.strip_prefix(path)
            {
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((p, rel));
            }
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}
