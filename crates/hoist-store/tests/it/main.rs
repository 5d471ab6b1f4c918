//! Integration tests of the history store, each on a real SQLite file and on a real
//! PostgreSQL server.

#![allow(clippy::unwrap_used)] // a panic is how a test reports failure

mod app_syncs;
mod backend;
mod checkpoints;
mod concurrency;
mod deliveries;
mod environments;
mod planning;
mod pulls;
mod queue;
mod secrets;
mod store;
mod upload;
