//! Errors of the object-storage layer.

/// What went wrong talking to an object store. Messages name the store's URL and the key so
/// a user can tell which bucket, which credentials and which object are involved.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("invalid storage URL `{url}`: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("cannot configure storage `{url}`")]
    Configure {
        url: String,
        #[source]
        source: Box<object_store::Error>,
    },
    #[error(
        "storage `{url}` refused the credentials for `{key}`: check the access key id and secret (`[storage]` in hoist.toml, or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)"
    )]
    Denied {
        url: String,
        key: String,
        #[source]
        source: Box<object_store::Error>,
    },
    #[error("cannot reach storage `{url}` (endpoint `{endpoint}`) for `{key}`: is the server up?")]
    Unreachable {
        url: String,
        endpoint: String,
        key: String,
        #[source]
        source: Box<object_store::Error>,
    },
    #[error("object `{key}` does not exist in storage `{url}`")]
    NotFound { url: String, key: String },
    #[error("storage `{url}` failed on `{key}`")]
    Other {
        url: String,
        key: String,
        #[source]
        source: Box<object_store::Error>,
    },
    #[error("cannot start the storage client's runtime")]
    Runtime(#[source] std::io::Error),
}

impl StorageError {
    /// True when retrying later may succeed (the server was down or busy), false when the
    /// request itself is wrong (credentials, URL).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StorageError::Unreachable { .. } | StorageError::Other { .. }
        )
    }
}
