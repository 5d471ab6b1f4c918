//! WAL checkpoints taken off the answering path: a server defers its connections'
//! checkpoints and runs them from a connection of their own.
//!
//! SQLite copies its write-ahead log back into the database file once the log passes 1,000
//! pages, inside the commit that crossed the mark, and that commit waits for the copy and
//! its `fsync`. Under a burst of webhooks or dispatches that was about one answer in a
//! hundred taking 10–40 ms instead of one. A passive checkpoint on another connection waits
//! for no reader or writer, so the answers no longer pay for it. PostgreSQL has nothing to
//! defer: both calls do nothing there.

use crate::{Store, StoreError};

/// What one checkpoint did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Pages in the write-ahead log.
    pub log_pages: i64,
    /// Of those, the pages now in the database file (all of them unless a reader still
    /// needs older ones).
    pub checkpointed: i64,
}

impl Store {
    /// Leaves the checkpoints of this connection, and of the recorders it starts, to
    /// [`Store::checkpoint`], which someone must then call (a server does, every second).
    pub fn defer_checkpoints(&mut self) -> Result<(), StoreError> {
        self.db().defer_checkpoints()?;
        self.checkpoints_deferred = true;
        Ok(())
    }

    /// Copies what it can of the write-ahead log into the database file without waiting for
    /// readers or writers; `None` on PostgreSQL.
    pub fn checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        Ok(self
            .db()
            .checkpoint()?
            .map(|(log_pages, checkpointed)| Checkpoint {
                log_pages,
                checkpointed,
            }))
    }
}
