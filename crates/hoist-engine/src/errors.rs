//! Errors that stop a run before it starts.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot create the run directory `{path}`")]
    WorkDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("workflow `{path}` has errors; run `hoist check {path}` to see them")]
    InvalidWorkflow { path: String },
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
}
