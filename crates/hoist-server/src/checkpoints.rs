//! The server's WAL checkpoints, taken every second on a connection of their own, so that no
//! answer waits while SQLite copies its log back into the database file (see
//! `hoist_store::Checkpoint`).
//!
//! Guarantees: the connections that answer requests, plan runs and record them never
//! checkpoint (the state defers them when it opens the store); this task is the one that
//! does, at the server's own priority (a niced checkpointer could fall behind on a busy
//! machine, and the log would grow); a checkpoint waits for no reader or writer, so a slow
//! one delays only the next. On PostgreSQL nothing is started.

use std::sync::atomic::Ordering;
use std::time::Duration;

use hoist_store::Store;

use crate::state::SharedState;

/// How often the log is copied back: often enough that it stays a few megabytes under a
/// burst of a few thousand writes a second.
const EVERY: Duration = Duration::from_secs(1);

pub(crate) fn spawn(state: &SharedState) {
    if state.shared_store {
        return;
    }
    let state = state.clone();
    let location = state.store().location().clone();
    tokio::spawn(async move {
        let Ok(Ok(mut store)) =
            tokio::task::spawn_blocking(move || Store::open_at(&location)).await
        else {
            state
                .metrics
                .checkpoint_failures
                .fetch_add(1, Ordering::Relaxed);
            return;
        };
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let state = state.clone();
            // The connection goes to the blocking thread and comes back with its answer.
            let checkpointed = tokio::task::spawn_blocking(move || {
                match store.checkpoint() {
                    Ok(Some(done)) => state
                        .metrics
                        .wal_pages
                        .store(done.log_pages - done.checkpointed, Ordering::Relaxed),
                    Ok(None) => {}
                    Err(_) => {
                        state
                            .metrics
                            .checkpoint_failures
                            .fetch_add(1, Ordering::Relaxed);
                    }
                }
                store
            })
            .await;
            let Ok(back) = checkpointed else { return };
            store = back;
        }
    });
}
