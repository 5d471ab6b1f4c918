//! Errors that stop a run, or a job run from its request, before it starts.

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
    #[error(
        "the job request is of wire version {version}, this runner reads up to {supported}; upgrade the runner"
    )]
    UnsupportedRequest { version: u32, supported: u32 },
    #[error("workflow `{path}` has no job `{job}`")]
    UnknownJob { job: String, path: String },
    #[error("the job request's `contexts` is not a JSON object")]
    BadContexts,
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
}
