//! Integration tests of the spanned YAML tree.

#![allow(clippy::unwrap_used)] // a panic is how a test reports failure

mod tree;
