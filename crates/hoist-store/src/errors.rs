//! Errors of the history store.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the history database `{path}`")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot connect to the history database `{location}`")]
    Connect {
        /// Without its password.
        location: String,
        #[source]
        source: postgres::Error,
    },
    #[error(
        "the history database `{location}` has schema version {found}, newer than this Hoist understands ({supported}); upgrade Hoist"
    )]
    TooNew {
        location: String,
        found: i64,
        supported: i64,
    },
    #[error("history database error")]
    Sql(#[from] rusqlite::Error),
    #[error("history database error (PostgreSQL)")]
    Postgres(#[from] postgres::Error),
    #[error("history database column {index} holds {found}, not the {wanted} expected")]
    Column {
        index: usize,
        wanted: &'static str,
        found: &'static str,
    },
    #[error("a history database query found no row where one was expected")]
    NoRow,
    #[error("the run's recorder has stopped")]
    RecorderGone,
    #[error("cannot record the run's events: {0}")]
    Recording(String),
    #[error("cannot encode a queued job: {0}")]
    Encode(String),
    #[error("run {0} does not exist")]
    NoSuchRun(i64),
    #[error("cannot import metrics: {0}")]
    Import(String),
    #[error(transparent)]
    Storage(#[from] hoist_storage::StorageError),
    #[error("run {0} has not finished; only finished runs are uploaded")]
    NotFinished(i64),
    #[error("cannot read artifact file `{path}`")]
    ReadArtifact {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    /// The message and its root cause, as stored on a run for `hoist metrics status` and shown
    /// in warnings. The layers between repeat each other (the HTTP client's errors quote
    /// their sources), so only the innermost is added.
    pub fn with_root_cause(&self) -> String {
        let mut root = None;
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            root = Some(c);
            cause = c.source();
        }
        match root {
            Some(r) => format!("{self} ({r})"),
            None => self.to_string(),
        }
    }
}
