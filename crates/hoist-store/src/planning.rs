//! Which server plans which run, when several servers share one database.
//!
//! A server that starts a run's planner holds the run under a lease it renews
//! ([`Store::renew_planning`]); a server that stops renewing (it crashed, or its machine did)
//! loses its runs to the first other server that looks ([`Store::take_runs`]), which plans
//! them again from the store (queueing is idempotent, so no job runs twice). A cancellation
//! that reaches a server which does not plan the run is left on the run's row for its
//! planner ([`Store::request_cancel`], [`Store::cancels_for`]).
//!
//! Guarantees: at any time at most one server holds a run's lease (every change is a
//! guarded update inside a write transaction); a server that starts again under the same
//! name takes its own runs back at once instead of waiting for their leases to lapse.
//!
//! Assumptions: server names are unique among the servers sharing a database, and their
//! clocks agree to well within a lease.

use std::time::Duration;

use crate::db::args;
use crate::{Store, StoreError, now_ms};

impl Store {
    /// Makes `planner` the planner of run `run_id`, under a lease of `lease`.
    pub fn plan_run(
        &mut self,
        run_id: i64,
        planner: &str,
        lease: Duration,
    ) -> Result<(), StoreError> {
        self.db().execute(
            "UPDATE runs SET planner = ?2, planner_until = ?3 WHERE id = ?1",
            args![run_id, planner, now_ms() + lease.as_millis() as i64],
        )?;
        Ok(())
    }

    /// Takes the runs in progress whose planner's lease has lapsed, and with `own` also
    /// those held under `planner`'s own name (a server starting again); returns their ids.
    pub fn take_runs(
        &mut self,
        planner: &str,
        lease: Duration,
        own: bool,
    ) -> Result<Vec<i64>, StoreError> {
        let now = now_ms();
        self.db().write(|tx| {
            tx.query_map(
                "UPDATE runs SET planner = ?1, planner_until = ?2 \
                 WHERE status = 'in_progress' AND planner IS NOT NULL \
                 AND (planner_until < ?3 OR (?4 = 1 AND planner = ?1)) RETURNING id",
                args![planner, now + lease.as_millis() as i64, now, own],
                |r| r.get(0),
            )
        })
    }

    /// Renews `planner`'s lease on every run it plans; returns how many it holds.
    pub fn renew_planning(&mut self, planner: &str, lease: Duration) -> Result<usize, StoreError> {
        self.db().execute(
            "UPDATE runs SET planner_until = ?2 WHERE planner = ?1 AND status = 'in_progress'",
            args![planner, now_ms() + lease.as_millis() as i64],
        )
    }

    /// The planner of run `run_id` while it is in progress and its lease holds.
    pub fn planner_of(&self, run_id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .db()
            .query_row_opt(
                "SELECT planner FROM runs WHERE id = ?1 AND status = 'in_progress' \
                 AND planner_until >= ?2",
                args![run_id, now_ms()],
                |r| r.get::<Option<String>>(0),
            )?
            .flatten())
    }

    /// Asks run `run_id`'s planner, wherever it is, to cancel it; `false` when the run is
    /// not in progress.
    pub fn request_cancel(&mut self, run_id: i64) -> Result<bool, StoreError> {
        Ok(self.db().execute(
            "UPDATE runs SET cancel_requested = 1 WHERE id = ?1 AND status = 'in_progress'",
            args![run_id],
        )? == 1)
    }

    /// The runs `planner` plans whose cancellation was asked for.
    pub fn cancels_for(&self, planner: &str) -> Result<Vec<i64>, StoreError> {
        self.db().query_map(
            "SELECT id FROM runs WHERE planner = ?1 AND status = 'in_progress' AND cancel_requested = 1",
            args![planner],
            |r| r.get(0),
        )
    }
}
