//! Integration tests of the history store, on real SQLite files.

#![allow(clippy::unwrap_used)] // a panic is how a test reports failure

mod queue;
mod store;
mod upload;
