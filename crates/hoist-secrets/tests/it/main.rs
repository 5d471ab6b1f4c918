//! Integration tests of the secret scanner.

#![allow(clippy::unwrap_used)] // a panic is how a test reports failure

mod builtin;
mod config;
mod differential;
mod properties;

use std::path::PathBuf;

use hoist_secrets::{Config, Source};

pub(crate) fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// Loads a configuration from text, with `[extend] path` relative to the data directory.
pub(crate) fn load(path: &str, text: &str) -> Result<Config, hoist_secrets::ConfigError> {
    let read = |p: &str| -> Result<(String, String), String> {
        let full = data_dir().join(p);
        std::fs::read_to_string(&full)
            .map(|t| (p.to_owned(), t))
            .map_err(|e| e.to_string())
    };
    let builtin = Config::default;
    Config::load(&Source {
        path,
        text,
        read: &read,
        builtin: &builtin,
    })
}

pub(crate) fn gitleaks_config() -> Config {
    let text = std::fs::read_to_string(data_dir().join("gitleaks/gitleaks.toml")).unwrap();
    load("gitleaks.toml", &text).unwrap()
}
