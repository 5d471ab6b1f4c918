//! Integration tests of the expression language: GitHub's conformance suite, Hoist's own
//! workflow-shaped cases, and properties that must hold for any input.

#![allow(clippy::unwrap_used)] // a panic is how a test reports failure

mod conformance;
mod properties;
