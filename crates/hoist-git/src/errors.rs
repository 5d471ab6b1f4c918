//! Errors from running git.

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot run `git`; is it installed?")]
    Spawn {
        #[source]
        source: std::io::Error,
    },
    #[error("`{command}` failed: {stderr}")]
    Failed { command: String, stderr: String },
    #[error("unknown revision `{0}`")]
    UnknownRevision(String),
}
