//! Integration tests of the Terraform gate.

#![allow(clippy::unwrap_used)] // a panic is how a test reports failure

mod checkov_differential;
mod fmt_differential;
mod properties;
mod security;
mod validate;
