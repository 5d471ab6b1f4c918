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

use hoist_store::{Location, Store};

use crate::state::SharedState;

/// How often the log is copied back: often enough that it stays a few megabytes under a
/// burst of a few thousand writes a second.
const EVERY: Duration = Duration::from_secs(1);

pub(crate) fn spawn(state: &SharedState, location: &Location) {
    if matches!(location, Location::Postgres(_)) {
        return;
    }
    let (state, location) = (state.clone(), location.clone());
    tokio::spawn(async move {
        let Ok(Ok(store)) = tokio::task::spawn_blocking(move || Store::open_at(&location)).await
        else {
            state
                .metrics
                .checkpoint_failures
                .fetch_add(1, Ordering::Relaxed);
            return;
        };
        let store = std::sync::Arc::new(std::sync::Mutex::new(store));
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let (store, state) = (store.clone(), state.clone());
            let _ = tokio::task::spawn_blocking(move || {
                let Ok(store) = store.lock() else { return };
                match store.checkpoint() {
                    Ok(Some(done)) => {
                        state
                            .metrics
                            .wal_pages
                            .store(done.log_pages - done.checkpointed, Ordering::Relaxed);
                    }
                    Ok(None) => {}
                    Err(_) => {
                        state
                            .metrics
                            .checkpoint_failures
                            .fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
            .await;
        }
    });
}
