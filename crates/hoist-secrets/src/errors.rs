//! Errors of the secret scanner's configuration.

/// A configuration that cannot be used, with where the problem is.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}:{line}:{column}: {message}")]
    Toml {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}:{line}: rule `{rule}`: {message}")]
    Rule {
        path: String,
        line: usize,
        rule: String,
        message: String,
    },
    #[error("{path}:{line}: allowlist: {message}")]
    Allowlist {
        path: String,
        line: usize,
        message: String,
    },
    #[error("{path}: cannot extend `{extends}`: {message}")]
    Extend {
        path: String,
        extends: String,
        message: String,
    },
}
