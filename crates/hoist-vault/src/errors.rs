//! What can go wrong with the keyring or a sealed value.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("cannot read the secret key file `{path}`")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the secret key file `{path}`")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the secret key file `{path}` is readable by others (mode {mode:o}); run `chmod 600 {path}`"
    )]
    Exposed { path: PathBuf, mode: u32 },
    #[error("{origin}, line {line}: {message}")]
    Malformed {
        origin: String,
        line: usize,
        message: String,
    },
    #[error("{origin} holds no key")]
    Empty { origin: String },
    #[error("the value was sealed with the key `{id}`, which the keyring does not hold")]
    UnknownKey { id: String },
    #[error("the sealed value is malformed: {message}")]
    BadSeal { message: String },
    #[error(
        "the sealed value does not open with the key `{id}`: it was altered, or it belongs to another slot"
    )]
    Tampered { id: String },
    #[error("the system's random source failed")]
    Random,
}
