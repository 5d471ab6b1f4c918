//! What can go wrong in starting PostgreSQL or running its programs.

use std::path::PathBuf;

/// An error of this crate; each says what to install or change where that is known.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "no `initdb` found; install the server (Debian: `apt-get install postgresql-15`) or set `HOIST_POSTGRES_BIN`"
    )]
    NoServer,
    #[error(
        "`psql` and `pg_dump` are needed; install PostgreSQL's client (Debian: `apt-get install postgresql-client`)"
    )]
    NoClient,
    #[error(
        "cannot start PostgreSQL as root without a `postgres` user to run it (Debian's packages create one)"
    )]
    NoPostgresUser,
    #[error("cannot prepare `{path}`")]
    Directory {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot give `{path}` to the `postgres` user")]
    Chown {
        path: PathBuf,
        #[source]
        source: nix::Error,
    },
    #[error("cannot run `{program}`")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`initdb` failed: {stderr}")]
    Initdb { stderr: String },
    #[error("the server did not accept connections within {seconds} s: {last}")]
    NotReady { seconds: u64, last: String },
    #[error("`pg_dump` failed: {stderr}")]
    Dump { stderr: String },
}
