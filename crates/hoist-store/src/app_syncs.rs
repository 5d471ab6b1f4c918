//! GitOps sync history: every sync of an application (who started it, which revision, what
//! it rendered to, how it ended), numbered per application as Argo CD's history IDs are.
//! `hoist app history` reads it and `hoist app rollback` re-applies a recorded revision.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::db::args;
use crate::{Store, StoreError, now_ms};

/// One recorded sync.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSyncRow {
    pub id: i64,
    pub app: String,
    /// The history ID: 1, 2, … per application.
    pub number: i64,
    /// The first source's commit.
    pub revision: String,
    /// Every source's commit, in the sources' order.
    pub revisions: Vec<String>,
    /// Milliseconds since the epoch.
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub initiated_by: String,
    pub automated: bool,
    /// `Running`, `Succeeded`, `Failed` or `Error`.
    pub phase: String,
    pub message: Option<String>,
    /// SHA-256 of the rendered manifests.
    pub digest: String,
    /// `(apiVersion, kind)` of what it applied, so a later sync finds what to prune.
    pub kinds: Vec<(String, String)>,
    /// The history ID this sync rolled back to.
    pub rollback_of: Option<i64>,
}

/// A sync as it starts.
#[derive(Clone, Debug)]
pub struct NewAppSync<'a> {
    pub app: &'a str,
    pub revisions: &'a [String],
    pub initiated_by: &'a str,
    pub automated: bool,
    pub digest: &'a str,
    pub rollback_of: Option<i64>,
}

const COLUMNS: &str = "id, app, number, revision, revisions, started_at, finished_at, initiated_by, \
     automated, phase, message, digest, kinds, rollback_of";

fn row(r: &crate::db::Row) -> Result<AppSyncRow, StoreError> {
    let revisions: String = r.get(4)?;
    let kinds: String = r.get(12)?;
    let automated: i64 = r.get(8)?;
    Ok(AppSyncRow {
        id: r.get(0)?,
        app: r.get(1)?,
        number: r.get(2)?,
        revision: r.get(3)?,
        revisions: serde_json::from_str(&revisions).unwrap_or_default(),
        started_at: r.get(5)?,
        finished_at: r.get(6)?,
        initiated_by: r.get(7)?,
        automated: automated != 0,
        phase: r.get(9)?,
        message: r.get(10)?,
        digest: r.get(11)?,
        kinds: serde_json::from_str(&kinds).unwrap_or_default(),
        rollback_of: r.get(13)?,
    })
}

impl Store {
    /// Records a sync as running and gives it the application's next history ID (one
    /// transaction, so two syncs never share an ID).
    pub fn begin_app_sync(&mut self, s: &NewAppSync<'_>) -> Result<AppSyncRow, StoreError> {
        let revisions = serde_json::to_string(s.revisions).unwrap_or_else(|_| "[]".into());
        let revision = s.revisions.first().cloned().unwrap_or_default();
        let id: i64 = self.db().write(|tx| {
            let next: i64 = tx.query_row(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM app_syncs WHERE app = ?1",
                args![s.app],
                |r| r.get(0),
            )?;
            tx.query_row(
                "INSERT INTO app_syncs (app, number, revision, revisions, started_at, initiated_by, \
                 automated, phase, digest, rollback_of) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'Running', ?8, ?9) RETURNING id",
                args![s.app, next, revision, revisions, now_ms(), s.initiated_by, s.automated, s.digest, s.rollback_of],
                |r| r.get(0),
            )
        })?;
        self.db().query_row(
            &format!("SELECT {COLUMNS} FROM app_syncs WHERE id = ?1"),
            args![id],
            row,
        )
    }

    /// How sync `id` ended, and the kinds it applied.
    pub fn finish_app_sync(
        &mut self,
        id: i64,
        phase: &str,
        message: &str,
        kinds: &BTreeSet<(String, String)>,
    ) -> Result<(), StoreError> {
        let kinds = serde_json::to_string(kinds).unwrap_or_else(|_| "[]".into());
        self.db().execute(
            "UPDATE app_syncs SET phase = ?2, message = ?3, kinds = ?4, finished_at = ?5 WHERE id = ?1",
            args![id, phase, message, kinds, now_ms()],
        )?;
        Ok(())
    }

    /// Keeps only the application's newest `limit` syncs (`revisionHistoryLimit`, 10 by
    /// default in Argo CD); returns how many went.
    pub fn trim_app_history(&mut self, app: &str, limit: u32) -> Result<usize, StoreError> {
        self.db().execute(
            "DELETE FROM app_syncs WHERE app = ?1 AND number <= \
             (SELECT MAX(number) FROM app_syncs WHERE app = ?1) - ?2",
            args![app, i64::from(limit.max(1))],
        )
    }

    /// The application's syncs, newest first.
    pub fn app_history(&self, app: &str, limit: usize) -> Result<Vec<AppSyncRow>, StoreError> {
        self.db().query_map(
            &format!(
                "SELECT {COLUMNS} FROM app_syncs WHERE app = ?1 ORDER BY number DESC LIMIT ?2"
            ),
            args![app, limit.max(1) as i64],
            row,
        )
    }

    /// Sync `number` of the application.
    pub fn app_sync(&self, app: &str, number: i64) -> Result<Option<AppSyncRow>, StoreError> {
        self.db().query_row_opt(
            &format!("SELECT {COLUMNS} FROM app_syncs WHERE app = ?1 AND number = ?2"),
            args![app, number],
            row,
        )
    }

    /// Every kind the application's syncs applied (for finding what to prune).
    pub fn app_synced_kinds(&self, app: &str) -> Result<BTreeSet<(String, String)>, StoreError> {
        let lists: Vec<String> = self.db().query_map(
            "SELECT kinds FROM app_syncs WHERE app = ?1",
            args![app],
            |r| r.get(0),
        )?;
        Ok(lists
            .iter()
            .flat_map(|l| serde_json::from_str::<Vec<(String, String)>>(l).unwrap_or_default())
            .collect())
    }
}
