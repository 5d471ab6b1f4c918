//! Errors of metrics parsing.

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("{line}:{column}: invalid JUnit XML: {message}")]
    Junit {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("line {line}: invalid metrics record: {message}")]
    Record { line: usize, message: String },
    #[error(
        "line {line}: metrics record has schema version {found}; this Hoist reads version {supported}"
    )]
    Version {
        line: usize,
        found: u64,
        supported: u32,
    },
}
