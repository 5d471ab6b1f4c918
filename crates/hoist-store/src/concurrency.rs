//! Concurrency groups (`concurrency:` of a workflow or a job), kept in the database so that
//! every server and runner sharing it sees one group.
//!
//! A member is a run (job key `""`) or one job instance of a run. GitHub's rules, per
//! repository and group name: at most one member runs and at most one waits; a member that
//! joins replaces the one waiting (which ends `cancelled`), and with `cancel-in-progress` it
//! also asks the running one to cancel; a waiting member runs once the running one has left.
//!
//! Guarantees:
//! - Every change is one write transaction, so two members joining at the same moment (on
//!   two servers) never both run.
//! - Joining is idempotent per member: a planner that starts again after a restart finds the
//!   member where it was, and no other member is replaced twice.
//! - A member whose run is no longer in progress (its server crashed and the run was failed,
//!   say), or whose job is done in the queue, no longer holds its group: it is treated as
//!   having left, so a lost `leave` never blocks a group for good.

use crate::db::{Db, args};
use crate::{Store, StoreError, now_ms};
use hoist_events::{Conclusion, JobOutcome};

/// Where a member stands in its group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum GroupState {
    Running,
    Pending,
    /// Replaced while waiting, or cancelled while running; `reason` says by what.
    Cancelled {
        reason: String,
    },
    /// Done with the group (or never in one).
    #[default]
    Left,
}

/// The members a join displaced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Joined {
    pub state: GroupState,
    /// Running members asked to cancel (`cancel-in-progress`): `(run id, job key)`.
    pub cancelling: Vec<(i64, String)>,
    /// Waiting members replaced: `(run id, job key)`.
    pub replaced: Vec<(i64, String)>,
}

/// One member, for the views of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMember {
    pub group: String,
    pub run_id: i64,
    pub job_key: String,
    pub state: GroupState,
}

/// GitHub's words for a member that a newer one displaced.
fn displaced(group: &str) -> String {
    format!("Canceling since a higher priority waiting request for '{group}' exists")
}

impl Store {
    /// Puts member (`run_id`, `job_key`) into group `group` of `repo`, by the rules above.
    pub fn join_group(
        &mut self,
        repo: &str,
        group: &str,
        run_id: i64,
        job_key: &str,
        cancel_in_progress: bool,
    ) -> Result<Joined, StoreError> {
        self.db().write(|tx| {
            if let Some(state) = member_state(tx, run_id, job_key)? {
                return Ok(Joined {
                    state,
                    ..Joined::default()
                });
            }
            release_stale(tx, repo, group)?;
            let reason = displaced(group);
            let replaced: Vec<(i64, String)> = tx.query_map(
                "UPDATE concurrency SET state = 'cancelled', reason = ?3 \
                 WHERE repo = ?1 AND grp = ?2 AND state = 'pending' RETURNING run_id, job_key",
                args![repo, group, reason],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let running: Vec<(i64, String)> = tx.query_map(
                "SELECT run_id, job_key FROM concurrency \
                 WHERE repo = ?1 AND grp = ?2 AND state = 'running'",
                args![repo, group],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let mut cancelling = Vec::new();
            if cancel_in_progress {
                for (other_run, other_key) in &running {
                    cancel_member(tx, *other_run, other_key, &reason)?;
                    cancelling.push((*other_run, other_key.clone()));
                }
            }
            let state = if running.is_empty() {
                GroupState::Running
            } else {
                GroupState::Pending
            };
            let text = if running.is_empty() {
                "running"
            } else {
                "pending"
            };
            tx.execute(
                "INSERT INTO concurrency (repo, grp, run_id, job_key, state, joined_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                args![repo, group, run_id, job_key, text, now_ms()],
            )?;
            Ok(Joined {
                state,
                cancelling,
                replaced,
            })
        })
    }

    /// Where member (`run_id`, `job_key`) stands; a waiting member whose group has no running
    /// member any more runs from now on (and hears [`GroupState::Running`]).
    pub fn group_turn(&mut self, run_id: i64, job_key: &str) -> Result<GroupState, StoreError> {
        self.db().write(|tx| {
            let Some((repo, group, state)) = tx.query_row_opt(
                "SELECT repo, grp, state FROM concurrency WHERE run_id = ?1 AND job_key = ?2",
                args![run_id, job_key],
                |r| {
                    Ok((
                        r.get::<String>(0)?,
                        r.get::<String>(1)?,
                        r.get::<String>(2)?,
                    ))
                },
            )?
            else {
                return Ok(GroupState::Left);
            };
            if state != "pending" {
                return Ok(member_state(tx, run_id, job_key)?.unwrap_or_default());
            }
            release_stale(tx, &repo, &group)?;
            let busy = tx.query_row_opt(
                "SELECT run_id FROM concurrency WHERE repo = ?1 AND grp = ?2 AND state = 'running'",
                args![repo, group],
                |r| r.get::<i64>(0),
            )?;
            if busy.is_some() {
                return Ok(GroupState::Pending);
            }
            tx.execute(
                "UPDATE concurrency SET state = 'running' WHERE run_id = ?1 AND job_key = ?2",
                args![run_id, job_key],
            )?;
            Ok(GroupState::Running)
        })
    }

    /// Member (`run_id`, `job_key`) is done with its group, whatever became of it; its row
    /// stays (as `left`) so that joining again after a restart changes nothing.
    pub fn leave_group(&mut self, run_id: i64, job_key: &str) -> Result<(), StoreError> {
        self.db().execute(
            "UPDATE concurrency SET state = 'left' \
             WHERE run_id = ?1 AND job_key = ?2 AND state IN ('running', 'pending')",
            args![run_id, job_key],
        )?;
        Ok(())
    }

    /// Why a newer member asked member (`run_id`, `job_key`) to cancel, if one did.
    pub fn group_cancel_requested(
        &self,
        run_id: i64,
        job_key: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .db()
            .query_row_opt(
                "SELECT cancel_requested, reason FROM concurrency WHERE run_id = ?1 AND job_key = ?2",
                args![run_id, job_key],
                |r| Ok((r.get::<i64>(0)?, r.get::<Option<String>>(1)?)),
            )?
            .filter(|(asked, _)| *asked != 0)
            .map(|(_, reason)| reason.unwrap_or_default()))
    }

    /// The group memberships of run `run_id` and of its jobs.
    pub fn groups_of_run(&self, run_id: i64) -> Result<Vec<GroupMember>, StoreError> {
        self.db().query_map(
            "SELECT grp, run_id, job_key, state, reason FROM concurrency WHERE run_id = ?1 \
             ORDER BY job_key",
            args![run_id],
            |r| {
                Ok(GroupMember {
                    group: r.get(0)?,
                    run_id: r.get(1)?,
                    job_key: r.get(2)?,
                    state: parse_state(&r.get::<String>(3)?, r.get::<Option<String>>(4)?),
                })
            },
        )
    }
}

fn parse_state(state: &str, reason: Option<String>) -> GroupState {
    match state {
        "running" => GroupState::Running,
        "pending" => GroupState::Pending,
        "cancelled" => GroupState::Cancelled {
            reason: reason.unwrap_or_default(),
        },
        _ => GroupState::Left,
    }
}

fn member_state(tx: &Db, run_id: i64, job_key: &str) -> Result<Option<GroupState>, StoreError> {
    tx.query_row_opt(
        "SELECT state, reason FROM concurrency WHERE run_id = ?1 AND job_key = ?2",
        args![run_id, job_key],
        |r| {
            Ok(parse_state(
                &r.get::<String>(0)?,
                r.get::<Option<String>>(1)?,
            ))
        },
    )
}

/// Members of the group that hold it no longer: their run is over, or their job is done.
fn release_stale(tx: &Db, repo: &str, group: &str) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE concurrency SET state = 'left' \
         WHERE repo = ?1 AND grp = ?2 AND state IN ('running', 'pending') AND ( \
           NOT EXISTS (SELECT 1 FROM runs WHERE runs.id = concurrency.run_id \
                       AND runs.status = 'in_progress') \
           OR (concurrency.job_key <> '' AND EXISTS (SELECT 1 FROM queue \
               WHERE queue.run_id = concurrency.run_id AND queue.job_key = concurrency.job_key \
               AND queue.state = 'done')))",
        args![repo, group],
    )?;
    Ok(())
}

/// Asks a running member to cancel: a run through its planner (wherever it is), a job
/// through the queue (at once when no runner holds it yet, else at its runner's renewal).
fn cancel_member(tx: &Db, run_id: i64, job_key: &str, reason: &str) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE concurrency SET cancel_requested = 1, reason = ?3 \
         WHERE run_id = ?1 AND job_key = ?2",
        args![run_id, job_key, reason],
    )?;
    if job_key.is_empty() {
        tx.execute(
            "UPDATE runs SET cancel_requested = 1 WHERE id = ?1 AND status = 'in_progress'",
            args![run_id],
        )?;
        return Ok(());
    }
    let outcome = serde_json::to_string(&JobOutcome {
        result: Conclusion::Cancelled,
        outputs: Vec::new(),
        reason: Some(reason.to_owned()),
        environment_url: None,
    })
    .unwrap_or_default();
    tx.execute(
        "UPDATE queue SET state = 'done', sealed = NULL, result = ?3, finished_at = ?4 \
         WHERE run_id = ?1 AND job_key = ?2 AND state = 'queued'",
        args![run_id, job_key, outcome, now_ms()],
    )?;
    tx.execute(
        "UPDATE queue SET cancel_requested = 1 \
         WHERE run_id = ?1 AND job_key = ?2 AND state = 'claimed'",
        args![run_id, job_key],
    )?;
    Ok(())
}
