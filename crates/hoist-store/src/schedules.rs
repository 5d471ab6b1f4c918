//! The minutes at which a workflow's `schedule` fired: claimed once per (repository,
//! workflow, cron, minute), so that one minute starts one run however many servers share
//! the database, and a restarted server does not fire a minute again.

use crate::db::args;
use crate::{Store, StoreError};

impl Store {
    /// Claims minute `minute` (minutes since the epoch, UTC) of `cron` in `workflow`; `true`
    /// for the one caller that gets it.
    pub fn claim_schedule_tick(
        &mut self,
        repo: &str,
        workflow: &str,
        cron: &str,
        minute: i64,
    ) -> Result<bool, StoreError> {
        Ok(self.db().execute(
            "INSERT INTO schedule_ticks (repo, workflow, cron, minute) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (repo, workflow, cron, minute) DO NOTHING",
            args![repo, workflow, cron, minute],
        )? == 1)
    }

    /// The run a claimed minute started.
    pub fn set_schedule_tick_run(
        &mut self,
        repo: &str,
        workflow: &str,
        cron: &str,
        minute: i64,
        run_id: i64,
    ) -> Result<(), StoreError> {
        self.db().execute(
            "UPDATE schedule_ticks SET run_id = ?5 \
             WHERE repo = ?1 AND workflow = ?2 AND cron = ?3 AND minute = ?4",
            args![repo, workflow, cron, minute, run_id],
        )?;
        Ok(())
    }

    /// Notes that a server looked at minute `minute` (fired what fires then): the latest such
    /// minute is where a server that starts again picks up, so that it can tell which
    /// minutes nobody looked at. Kept as the one row of the empty repository name.
    pub fn mark_schedule_looked(&mut self, minute: i64) -> Result<(), StoreError> {
        self.db().write(|tx| {
            tx.execute(
                "INSERT INTO schedule_ticks (repo, workflow, cron, minute) VALUES ('', '', '', ?1) \
                 ON CONFLICT (repo, workflow, cron, minute) DO NOTHING",
                args![minute],
            )?;
            tx.execute(
                "DELETE FROM schedule_ticks WHERE repo = '' AND minute < ?1",
                args![minute],
            )?;
            Ok(())
        })
    }

    /// The latest minute a server looked at or any schedule fired, if there is one.
    pub fn last_schedule_tick(&self) -> Result<Option<i64>, StoreError> {
        self.db()
            .query_row("SELECT MAX(minute) FROM schedule_ticks", args![], |r| {
                r.get(0)
            })
    }
}
