//! Errors that stop the server or a runner.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot start the threads of the server's background work")]
    Runtime {
        #[source]
        source: std::io::Error,
    },
    #[error("cannot listen on `{address}`")]
    Bind {
        address: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the server stopped")]
    Serve {
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] hoist_store::StoreError),
    #[error("cannot prepare `{path}`")]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("repository `{path}` is not a git repository")]
    NotARepository { path: PathBuf },
    #[error("two repositories are named `{name}`; give one a `name`")]
    DuplicateRepository { name: String },
    #[error("cannot mirror the repository `{url}`")]
    Mirror {
        url: String,
        #[source]
        source: hoist_git::GitError,
    },
    #[error("cannot reach the server at `{url}`: {message}")]
    Unreachable { url: String, message: String },
    #[error("environment `{environment}` of `{repo}`: {message}")]
    Environment {
        repo: String,
        environment: String,
        message: String,
    },
    #[error("cannot prepare the OIDC issuer's signing key: {message}")]
    Oidc { message: String },
    #[error("cannot open the server's secret keys")]
    Vault {
        #[source]
        source: hoist_vault::VaultError,
    },
    #[error("the server refused the runner: {message}")]
    Refused { message: String },
}
