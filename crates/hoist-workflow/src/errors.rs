//! Errors of the workflow crate that are not source diagnostics.

/// Why a matrix could not be expanded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MatrixError {
    #[error("the matrix would create {count} jobs, more than the limit of {limit}")]
    TooManyJobs { count: usize, limit: usize },
    #[error("matrix dimension `{0}` has no values")]
    EmptyDimension(String),
    #[error("matrix dimension `{name}` must be an array, found {found}")]
    NotAnArray { name: String, found: &'static str },
    #[error("`{key}` must be an array of objects, found {found}")]
    InvalidList {
        key: &'static str,
        found: &'static str,
    },
    #[error("the matrix must be an object, found {0}")]
    NotAnObject(&'static str),
    #[error("the matrix produces no jobs: every combination was excluded")]
    NoCombinations,
}
