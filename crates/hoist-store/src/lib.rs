//! Run history, the job queue, tokens and the audit log, in SQLite or PostgreSQL.
//!
//! [`Store`] opens (and migrates) the database: an embedded SQLite file by default, or a
//! PostgreSQL database that several servers share ([`Location`]); both run the same queries
//! (see `db.rs`). [`Recorder`] is an engine [`Observer`] that
//! writes a run's events from a background thread, so steps never wait on the disk; the query
//! functions answer `hoist runs list` and `hoist runs view`. WAL mode and one transaction per
//! batch of events keep the database intact if Hoist is killed mid-run; the run is then found
//! on the next start and marked `interrupted`. A running step's lines are saved with every
//! batch (`log_chunks`), so a killed run keeps what its steps printed.

mod access;
mod app_syncs;
mod checkpoints;
mod concurrency;
mod db;
mod deliveries;
mod environments;
mod errors;
mod forge_statuses;
mod metrics;
mod oidc;
mod planning;
mod pulls;
mod queries;
mod queue;
mod recorder;
mod repositories;
mod schedules;
mod schema;
mod secrets;
mod server_stats;
mod upload;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

pub use db::Location;
use db::{Db, args};

pub use access::{AuditFilter, AuditRow, Role, TokenRow};
pub use app_syncs::{AppSyncRow, NewAppSync};
pub use checkpoints::Checkpoint;
pub use concurrency::{GroupMember, GroupState, Joined};
pub use deliveries::{DeliveryRow, NewDelivery};
pub use environments::{
    DeploymentReview, DeploymentRow, DeploymentStatus, EnvironmentRow, EnvironmentSettings,
    NewDeployment, Reviewed,
};
pub use errors::StoreError;
pub use metrics::Imported;
pub use oidc::{IdTokenJob, OidcKeyRow};
pub use pulls::{NewPull, PullRow};
pub use queries::{AnnotationRow, ArtifactRow, JobRow, RunFilter, RunRow, StepRow};
pub use queue::{
    ClaimedJob, Expired, JobOwner, MAX_ATTEMPTS, QueueEntry, QueueState, labels_match,
};
pub use recorder::Recorder;
pub use repositories::{Protection, RepoSettings, RepositoryRow};
pub use secrets::{SealedRow, SecretMeta, SecretSlot};
pub use server_stats::QueueGroup;

pub use upload::{FlushReport, PendingRun, RunObjects, UploadFailure};

/// A run found interrupted by [`Store::mark_interrupted`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interrupted {
    pub run_id: i64,
    /// The process groups of its steps that were running when its Hoist died.
    pub process_groups: Vec<ProcessGroup>,
}

/// A step's process group, with its leader's start time (clock ticks since boot), which
/// tells it from a later group given the same number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessGroup {
    pub pgid: u32,
    pub leader_start: u64,
}

/// The history database.
#[derive(Debug)]
pub struct Store {
    db: Db,
    location: Location,
    /// Set by [`Store::defer_checkpoints`]; the recorders it starts defer theirs too.
    checkpoints_deferred: bool,
    /// The writer thread of this store's recorders, started with the first (see
    /// [`recorder`]).
    journal: std::sync::OnceLock<recorder::Journal>,
}

/// What is known about a run before it starts.
#[derive(Clone, Debug)]
pub struct NewRun {
    pub workflow_name: String,
    pub workflow_path: String,
    pub event: String,
    pub git_ref: String,
    pub branch: String,
    pub sha: String,
    pub actor: String,
    /// The repository's name (`owner/repo`, or the project directory's name): part of the
    /// object keys and of every metrics record.
    pub repo: String,
    /// The machine (or runner) that ran it.
    pub runner: String,
    pub project_root: String,
    /// Attempt number: 1, or more for a rerun of `rerun_of`'s number.
    pub attempt: u32,
    /// For reruns: the run number to reuse.
    pub number: Option<i64>,
    /// JSON describing how to run it again.
    pub request: serde_json::Value,
    /// The server that plans it and for how long it holds it without renewing (see
    /// `planning.rs`); `None` for a run `hoist run` records.
    pub planner: Option<(String, std::time::Duration)>,
    /// The commit the run's statuses belong to when it is not `sha`: a pull request's head
    /// (its runs check out the merge commit).
    pub head_sha: Option<String>,
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// SQLite's busy handler: waits for another connection's write lock about 10 s in all. The
/// pauses start short (writers here hold the lock well under a millisecond, and SQLite's
/// own timeout handler sleeps in steps of up to 25 ms, which is what a webhook's answer
/// waited for under load) and grow for a lock that is held long.
fn wait_for_lock(tries: i32) -> bool {
    let pause = match tries {
        0..50 => std::time::Duration::from_micros(100),
        50..200 => std::time::Duration::from_millis(1),
        _ => std::time::Duration::from_millis(10),
    };
    std::thread::sleep(pause);
    tries < 1185
}

pub(crate) fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(|source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    conn.busy_handler(Some(wait_for_lock))?;
    // Switching a new database to WAL needs an exclusive lock and SQLite does not wait for
    // it through the busy handler; when several processes start at once, retry briefly.
    let mut attempt = 0;
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Ok(()) => break,
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && attempt < 100 =>
            {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => {
                return Err(StoreError::Open {
                    path: path.to_path_buf(),
                    source: e,
                });
            }
        }
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// A new connection to the database at `location`, not migrated.
pub(crate) fn connect(location: &Location) -> Result<Db, StoreError> {
    match location {
        Location::Sqlite(path) => Ok(Db::sqlite(open_connection(path)?)),
        Location::Postgres(url) => {
            let failed = |source| StoreError::Connect {
                location: location.to_string(),
                source,
            };
            let mut config: postgres::Config = url.parse().map_err(failed)?;
            if config.get_application_name().is_none() {
                config.application_name("hoist");
            }
            if config.get_connect_timeout().is_none() {
                config.connect_timeout(std::time::Duration::from_secs(10));
            }
            let client = db::blocking(|| config.connect(postgres::NoTls)).map_err(failed)?;
            Ok(Db::postgres(client))
        }
    }
}

impl Store {
    /// Opens the SQLite database at `path`, creating and migrating it as needed.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_at(&Location::Sqlite(path.to_path_buf()))
    }

    /// Opens the database at `location` (an SQLite file, created if missing, or a
    /// PostgreSQL database, which must exist), migrating it as needed.
    pub fn open_at(location: &Location) -> Result<Self, StoreError> {
        if let Location::Sqlite(path) = location
            && let Some(dir) = path.parent()
        {
            let _ = std::fs::create_dir_all(dir);
        }
        let db = connect(location)?;
        // Several Hoist processes may open a new database at once: take the write lock first,
        // then read the version, so exactly one of them applies each migration.
        let (migrations, read_version): (&[&str], &str) = if db.is_postgres() {
            db.batch("CREATE TABLE IF NOT EXISTS hoist_schema (version BIGINT NOT NULL)")
                .or_else(|e| {
                    // Two servers creating it at once: one loses the race on the catalog.
                    if db
                        .query_row("SELECT COUNT(*) FROM hoist_schema", &[], |r| {
                            r.get::<i64>(0)
                        })
                        .is_ok()
                    {
                        Ok(())
                    } else {
                        Err(e)
                    }
                })?;
            (
                schema::POSTGRES_MIGRATIONS,
                "SELECT COALESCE(MAX(version), 0) FROM hoist_schema",
            )
        } else {
            (schema::MIGRATIONS, "PRAGMA user_version")
        };
        db.write(|tx| {
            let version: i64 = tx.query_row(read_version, &[], |r| r.get(0))?;
            let supported = migrations.len() as i64;
            if version > supported {
                return Err(StoreError::TooNew {
                    location: location.to_string(),
                    found: version,
                    supported,
                });
            }
            for (i, migration) in migrations.iter().enumerate().skip(version as usize) {
                tx.batch(migration)?;
                let applied = i as i64 + 1;
                if tx.is_postgres() {
                    tx.execute("DELETE FROM hoist_schema", &[])?;
                    tx.execute(
                        "INSERT INTO hoist_schema (version) VALUES (?1)",
                        args![applied],
                    )?;
                } else {
                    tx.batch(&format!("PRAGMA user_version = {applied}"))?;
                }
            }
            Ok(())
        })?;
        Ok(Self {
            db,
            location: location.clone(),
            checkpoints_deferred: false,
            journal: std::sync::OnceLock::new(),
        })
    }

    /// Where the database is.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Marks runs left `in_progress` by a process that no longer exists as interrupted.
    /// `alive` says whether a process id is still running. Returns the runs marked, each with
    /// the process groups of the steps that were still running (for the caller to end, if
    /// they are still alive and still those steps').
    pub fn mark_interrupted(
        &mut self,
        alive: impl Fn(u32) -> bool,
    ) -> Result<Vec<Interrupted>, StoreError> {
        let stale: Vec<i64> = self
            .db
            .query_map(
                "SELECT id, pid FROM runs WHERE status = 'in_progress'",
                &[],
                |r| Ok((r.get::<i64>(0)?, r.get::<Option<i64>>(1)?)),
            )?
            .into_iter()
            .filter(|(_, pid)| pid.is_none_or(|p| !alive(p as u32)))
            .map(|(id, _)| id)
            .collect();
        let mut marked = Vec::with_capacity(stale.len());
        for &run_id in &stale {
            let process_groups = self.db.query_map(
                "SELECT s.pgid, s.pgid_start FROM steps s JOIN jobs j ON s.job = j.id \
                 WHERE j.run_id = ?1 AND s.status != 'completed' AND s.pgid IS NOT NULL \
                 AND s.pgid_start IS NOT NULL",
                args![run_id],
                |r| {
                    Ok(ProcessGroup {
                        pgid: r.get::<i64>(0)? as u32,
                        leader_start: r.get::<i64>(1)? as u64,
                    })
                },
            )?;
            marked.push(Interrupted {
                run_id,
                process_groups,
            });
        }
        let now = now_ms();
        self.db.write(|tx| {
            for id in &stale {
                tx.execute(
                    "UPDATE runs SET status = 'completed', conclusion = 'interrupted', finished_at = ?2 WHERE id = ?1",
                    args![id, now],
                )?;
                tx.execute(
                    "UPDATE jobs SET status = 'completed', conclusion = 'interrupted', finished_at = ?2 WHERE run_id = ?1 AND status != 'completed'",
                    args![id, now],
                )?;
                tx.execute(
                    "UPDATE steps SET status = 'completed', conclusion = 'interrupted', finished_at = ?2 \
                     WHERE status != 'completed' AND job IN (SELECT id FROM jobs WHERE run_id = ?1)",
                    args![id, now],
                )?;
                // What the killed steps printed before the end.
                crate::recorder::fold_saved_lines(tx, *id)?;
            }
            Ok(())
        })?;
        Ok(marked)
    }

    /// Records a new run as in progress (by this process) and returns its id and number.
    pub fn create_run(&mut self, run: &NewRun) -> Result<(i64, i64), StoreError> {
        self.create_run_audited(run, None)
    }

    /// [`Store::create_run`], with an audit entry (`actor`, `action`, `detail`) written in
    /// the same transaction: the run exists with its record, or neither does.
    pub fn create_run_audited(
        &mut self,
        run: &NewRun,
        audit: Option<(&str, &str, &serde_json::Value)>,
    ) -> Result<(i64, i64), StoreError> {
        self.db.write(|tx| {
            let number = match run.number {
                Some(n) => n,
                None => tx.query_row(
                    "SELECT COALESCE(MAX(number), 0) + 1 FROM runs WHERE workflow_path = ?1",
                    args![run.workflow_path],
                    |r| r.get(0),
                )?,
            };
            let now = now_ms();
            let id: i64 = tx.query_row(
                "INSERT INTO runs (number, attempt, workflow_name, workflow_path, event, git_ref, branch, sha, actor, \
                 status, created_at, started_at, pid, project_root, request, repo, runner, upload_state, \
                 planner, planner_until, head_sha) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'in_progress', ?10, ?10, ?11, ?12, ?13, ?14, ?15, 'pending', \
                 ?16, ?17, ?18) RETURNING id",
                args![
                    number,
                    run.attempt,
                    run.workflow_name,
                    run.workflow_path,
                    run.event,
                    run.git_ref,
                    run.branch,
                    run.sha,
                    run.actor,
                    now,
                    std::process::id(),
                    run.project_root,
                    run.request.to_string(),
                    run.repo,
                    run.runner,
                    run.planner.as_ref().map(|(name, _)| name),
                    run.planner
                        .as_ref()
                        .map(|(_, lease)| now + lease.as_millis() as i64),
                    run.head_sha,
                ],
                |r| r.get(0),
            )?;
            if let Some((actor, action, detail)) = audit {
                tx.execute(
                    "INSERT INTO audit (at, actor, action, repo, detail, run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    args![now, actor, action, run.repo, detail.to_string(), id],
                )?;
            }
            Ok((id, number))
        })
    }

    /// The process that records run `run_id`, while it is in progress.
    pub fn run_owner(&self, run_id: i64) -> Result<Option<u32>, StoreError> {
        Ok(self
            .db
            .query_row_opt(
                "SELECT pid FROM runs WHERE id = ?1 AND status = 'in_progress'",
                args![run_id],
                |r| r.get::<Option<u32>>(0),
            )?
            .flatten())
    }

    /// Makes this process the owner of run `run_id` (a server that resumes a run it was
    /// planning before a restart), so that it is not taken for interrupted.
    pub fn adopt_run(&mut self, run_id: i64) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE runs SET pid = ?2 WHERE id = ?1",
            args![run_id, std::process::id()],
        )?;
        Ok(())
    }

    /// Starts recording events of run `run_id` on this store's writer thread (one connection
    /// of its own, shared by every run this store records).
    pub fn recorder(&self, run_id: i64) -> Result<Recorder, StoreError> {
        if let Some(journal) = self.journal.get() {
            return Ok(Recorder::start(journal, run_id));
        }
        let db = connect(&self.location)?;
        if self.checkpoints_deferred {
            db.defer_checkpoints()?;
        }
        let journal = recorder::start_journal(db)?;
        Ok(Recorder::start(
            self.journal.get_or_init(|| journal),
            run_id,
        ))
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }
}
