//! Reading history back: run lists, one run's jobs and steps, and logs.

use hoist_storage::StorageCatalog;
use serde::{Deserialize, Serialize};

use crate::db::{Row, ToValue, Value, args};
use crate::{Store, StoreError};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunRow {
    pub id: i64,
    pub number: i64,
    pub attempt: i64,
    pub workflow_name: String,
    pub workflow_path: String,
    pub event: String,
    pub git_ref: String,
    pub branch: String,
    pub sha: String,
    pub actor: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub project_root: String,
    /// The repository's name (on a server), or the project directory's.
    #[serde(default)]
    pub repo: String,
    /// The commit its statuses belong to, when not `sha` (a pull request's head).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_sha: Option<String>,
    #[serde(skip)]
    pub request: serde_json::Value,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobRow {
    #[serde(skip)]
    pub row: i64,
    pub key: String,
    pub job_id: String,
    pub name: String,
    pub matrix: serde_json::Value,
    pub status: String,
    pub conclusion: Option<String>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub outputs: serde_json::Value,
    pub steps: Vec<StepRow>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StepRow {
    pub index: i64,
    pub name: String,
    pub status: String,
    pub outcome: Option<String>,
    pub conclusion: Option<String>,
    pub exit_code: Option<i64>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub outputs: serde_json::Value,
    pub summary: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AnnotationRow {
    pub job: Option<String>,
    pub step: Option<i64>,
    pub level: String,
    pub message: String,
    pub title: Option<String>,
    pub file: Option<String>,
    pub line: Option<i64>,
    pub column: Option<i64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ArtifactRow {
    pub job: Option<String>,
    pub name: String,
    /// Where the files were kept locally during the run.
    pub path: String,
    pub size: i64,
    /// The object URL prefix of its files, once uploaded.
    pub url: Option<String>,
    /// The storage holding it and the key prefix of its files, once uploaded.
    #[serde(skip)]
    pub stored: Option<(String, String)>,
}

/// Which runs `hoist runs list` shows.
#[derive(Clone, Debug, Default)]
pub struct RunFilter {
    /// Matches the workflow file name (`ci.yml`), its path, or its `name:`.
    pub workflow: Option<String>,
    /// `success`, `failure`, `cancelled`, `interrupted`, or `in_progress`.
    pub status: Option<String>,
    pub branch: Option<String>,
    /// Only runs of this commit.
    pub sha: Option<String>,
    /// Only runs of this event (`push`, `pull_request`, ...).
    pub event: Option<String>,
    /// Only runs of this repository (its name on a server).
    pub repo: Option<String>,
    /// Only runs of these repositories (a token's grants).
    pub repos: Option<Vec<String>>,
    pub limit: usize,
}

const RUN_COLUMNS: &str = "id, number, attempt, workflow_name, workflow_path, event, git_ref, branch, sha, actor, \
    status, conclusion, created_at, started_at, finished_at, project_root, request, repo, head_sha";

fn run_row(r: &Row) -> Result<RunRow, StoreError> {
    let request: String = r.get(16)?;
    Ok(RunRow {
        id: r.get(0)?,
        number: r.get(1)?,
        attempt: r.get(2)?,
        workflow_name: r.get(3)?,
        workflow_path: r.get(4)?,
        event: r.get(5)?,
        git_ref: r.get(6)?,
        branch: r.get(7)?,
        sha: r.get(8)?,
        actor: r.get(9)?,
        status: r.get(10)?,
        conclusion: r.get(11)?,
        created_at: r.get(12)?,
        started_at: r.get(13)?,
        finished_at: r.get(14)?,
        project_root: r.get(15)?,
        repo: r.get(17)?,
        head_sha: r.get(18)?,
        request: serde_json::from_str(&request).unwrap_or(serde_json::Value::Null),
    })
}

fn json_column(text: String) -> serde_json::Value {
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

/// A log as a row holds it: in the database (deflate), or as a byte range of the run's log
/// object in storage.
struct StoredLog {
    blob: Option<Vec<u8>>,
    start: Option<i64>,
    end: Option<i64>,
}

impl StoredLog {
    /// Reads the columns `log, log_start, log_end` starting at column `first`.
    fn from_row(r: &Row, first: usize) -> Result<Self, StoreError> {
        Ok(Self {
            blob: r.get(first)?,
            start: r.get(first + 1)?,
            end: r.get(first + 2)?,
        })
    }
}

impl Store {
    /// Runs, newest first.
    pub fn list_runs(&self, filter: &RunFilter) -> Result<Vec<RunRow>, StoreError> {
        let mut sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE 1 = 1");
        let mut args: Vec<Value> = Vec::new();
        if let Some(w) = &filter.workflow {
            args.push(w.to_value());
            let n = args.len();
            sql.push_str(&format!(
                " AND (workflow_path = ?{n} OR workflow_name = ?{n} OR workflow_path LIKE '%/' || ?{n})"
            ));
        }
        if let Some(s) = &filter.status {
            args.push(s.to_value());
            let n = args.len();
            if s == "in_progress" || s == "queued" || s == "completed" {
                sql.push_str(&format!(" AND status = ?{n}"));
            } else {
                sql.push_str(&format!(" AND conclusion = ?{n}"));
            }
        }
        if let Some(b) = &filter.branch {
            args.push(b.to_value());
            sql.push_str(&format!(" AND branch = ?{}", args.len()));
        }
        if let Some(sha) = &filter.sha {
            args.push(sha.to_value());
            let n = args.len();
            sql.push_str(&format!(" AND (sha = ?{n} OR head_sha = ?{n})"));
        }
        if let Some(e) = &filter.event {
            args.push(e.to_value());
            sql.push_str(&format!(" AND event = ?{}", args.len()));
        }
        if let Some(r) = &filter.repo {
            args.push(r.to_value());
            sql.push_str(&format!(" AND repo = ?{}", args.len()));
        }
        if let Some(repos) = &filter.repos {
            if repos.is_empty() {
                sql.push_str(" AND 1 = 0");
            } else {
                let mut marks = Vec::new();
                for r in repos {
                    args.push(r.to_value());
                    marks.push(format!("?{}", args.len()));
                }
                sql.push_str(&format!(" AND repo IN ({})", marks.join(", ")));
            }
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", filter.limit.max(1)));
        self.db().query_map(&sql, &args, run_row)
    }

    pub fn run(&self, id: i64) -> Result<RunRow, StoreError> {
        self.db()
            .query_row_opt(
                &format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"),
                args![id],
                run_row,
            )?
            .ok_or(StoreError::NoSuchRun(id))
    }

    /// A run's jobs with their steps, in the order they were queued.
    pub fn jobs(&self, run_id: i64) -> Result<Vec<JobRow>, StoreError> {
        let mut jobs: Vec<JobRow> = self.db().query_map(
            "SELECT id, key, job_id, name, matrix, status, conclusion, started_at, finished_at, outputs \
             FROM jobs WHERE run_id = ?1 ORDER BY id",
            args![run_id],
            |r| {
                Ok(JobRow {
                    row: r.get(0)?,
                    key: r.get(1)?,
                    job_id: r.get(2)?,
                    name: r.get(3)?,
                    matrix: json_column(r.get(4)?),
                    status: r.get(5)?,
                    conclusion: r.get(6)?,
                    started_at: r.get(7)?,
                    finished_at: r.get(8)?,
                    outputs: json_column(r.get(9)?),
                    steps: Vec::new(),
                })
            },
        )?;
        for job in &mut jobs {
            job.steps = self.db().query_map(
                "SELECT idx, name, status, outcome, conclusion, exit_code, started_at, finished_at, outputs, summary \
                 FROM steps WHERE job = ?1 ORDER BY idx",
                args![job.row],
                |r| {
                    Ok(StepRow {
                        index: r.get(0)?,
                        name: r.get(1)?,
                        status: r.get(2)?,
                        outcome: r.get(3)?,
                        conclusion: r.get(4)?,
                        exit_code: r.get(5)?,
                        started_at: r.get(6)?,
                        finished_at: r.get(7)?,
                        outputs: json_column(r.get(8)?),
                        summary: r.get(9)?,
                    })
                },
            )?;
        }
        Ok(jobs)
    }

    /// The log of a job: its own lines, then each step's, as `(step index or none, text)`.
    /// Logs of uploaded runs are read from the storage that holds them, through `storages`.
    pub fn job_log(
        &self,
        job: &JobRow,
        storages: &StorageCatalog,
    ) -> Result<Vec<(Option<i64>, String)>, StoreError> {
        let (storage_url, log_key): (Option<String>, Option<String>) = self.db().query_row(
            "SELECT r.storage_url, r.log_key FROM jobs j JOIN runs r ON r.id = j.run_id WHERE j.id = ?1",
            args![job.row],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let read = |log: StoredLog, step: Option<i64>| -> Result<String, StoreError> {
            if let Some(blob) = log.blob {
                return Ok(crate::recorder::inflate(&blob));
            }
            let (Some(start), Some(end), Some(url), Some(key)) =
                (log.start, log.end, &storage_url, &log_key)
            else {
                // Still running (or its run was killed and not yet marked): what it has
                // printed so far.
                return crate::recorder::saved_lines(self.db(), job.row, step);
            };
            let storage = storages.get(url)?;
            let bytes = storage.get_range(key, start as u64..end as u64)?;
            Ok(crate::upload::read_member(&bytes))
        };
        let mut out = Vec::new();
        let job_log = self.db().query_row(
            "SELECT log, log_start, log_end FROM jobs WHERE id = ?1",
            args![job.row],
            |r| StoredLog::from_row(r, 0),
        )?;
        let text = read(job_log, None)?;
        if !text.is_empty() {
            out.push((None, text));
        }
        let rows: Vec<(i64, StoredLog)> = self.db().query_map(
            "SELECT idx, log, log_start, log_end FROM steps WHERE job = ?1 ORDER BY idx",
            args![job.row],
            |r| Ok((r.get(0)?, StoredLog::from_row(r, 1)?)),
        )?;
        for (idx, log) in rows {
            out.push((Some(idx), read(log, Some(idx))?));
        }
        Ok(out)
    }

    pub fn annotations(&self, run_id: i64) -> Result<Vec<AnnotationRow>, StoreError> {
        self.db().query_map(
            "SELECT j.name, a.step_idx, a.level, a.message, a.title, a.file, a.line, a.col \
             FROM annotations a LEFT JOIN jobs j ON j.id = a.job WHERE a.run_id = ?1 ORDER BY a.id",
            args![run_id],
            |r| {
                Ok(AnnotationRow {
                    job: r.get(0)?,
                    step: r.get(1)?,
                    level: r.get(2)?,
                    message: r.get(3)?,
                    title: r.get(4)?,
                    file: r.get(5)?,
                    line: r.get(6)?,
                    column: r.get(7)?,
                })
            },
        )
    }

    pub fn artifacts(&self, run_id: i64) -> Result<Vec<ArtifactRow>, StoreError> {
        self.db().query_map(
            "SELECT j.name, a.name, a.path, a.size, r.storage_url, a.key FROM artifacts a \
             LEFT JOIN jobs j ON j.id = a.job JOIN runs r ON r.id = a.run_id \
             WHERE a.run_id = ?1 ORDER BY a.id",
            args![run_id],
            |r| {
                let stored = match (r.get::<Option<String>>(4)?, r.get::<Option<String>>(5)?) {
                    (Some(storage), Some(key)) => Some((storage, key)),
                    _ => None,
                };
                Ok(ArtifactRow {
                    job: r.get(0)?,
                    name: r.get(1)?,
                    path: r.get(2)?,
                    size: r.get(3)?,
                    url: stored
                        .as_ref()
                        .map(|(storage, key)| format!("{storage}/{key}")),
                    stored,
                })
            },
        )
    }
}
