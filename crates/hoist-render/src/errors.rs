//! Errors of rendering.

/// Why an application did not render. Every message names the application.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("application `{app}` has no source")]
    NoSource { app: String },
    #[error(
        "`{path}` is not inside a git repository; commit the project, or render the working tree with `--local DIR`"
    )]
    NotARepository { path: String },
    #[error("repository `{repo}`: {message}")]
    Git { repo: String, message: String },
    #[error(
        "repository `{repo}` has no revision `{revision}`; check `targetRevision` (a branch, tag or commit)"
    )]
    UnknownRevision { repo: String, revision: String },
    #[error("application `{app}`: path `{path}` does not exist in `{repo}` at this revision")]
    PathMissing {
        app: String,
        path: String,
        repo: String,
    },
    #[error("application `{app}`: {what} are not supported; {hint}")]
    Unsupported {
        app: String,
        what: String,
        hint: String,
    },
    #[error("application `{app}`: {message}")]
    Invalid { app: String, message: String },
    #[error("`{tool}` is not installed: {hint}")]
    ToolMissing { tool: String, hint: String },
    #[error("application `{app}`: `{command}` failed:\n{stderr}")]
    ToolFailed {
        app: String,
        command: String,
        stderr: String,
    },
    #[error("cannot write {what}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}
