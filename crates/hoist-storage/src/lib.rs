//! Object storage for run logs, artifacts and metrics documents.
//!
//! One [`Storage`] is opened from a URL: `file:///path` (a directory on this machine, the
//! default under Hoist's data directory) or `s3://bucket/prefix` for any S3-compatible service
//! (AWS, Linode, MinIO, Ceph, R2), with endpoint, region, addressing style and credentials
//! from [`StorageSettings`] or the standard `AWS_*` variables. Keys are `/`-separated paths
//! below the URL's prefix. The API is blocking: callers are the history store's writer and
//! the command line, neither of which is async; each call runs on a private runtime.

mod errors;

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig};

pub use errors::StorageError;

/// Where blobs go and how to reach them. Only `url` is required; the rest applies to `s3://`.
#[derive(Clone, Debug, Default)]
pub struct StorageSettings {
    /// `file:///absolute/path` or `s3://bucket[/prefix]`.
    pub url: String,
    /// The service's address, for example `https://us-east-1.linodeobjects.com` or
    /// `http://127.0.0.1:9000`; unset means AWS (or `AWS_ENDPOINT_URL`).
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`) rather than virtual-hosted
    /// (`bucket.endpoint/key`). Defaults to path style, which every S3-compatible service
    /// accepts.
    pub path_style: Option<bool>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    /// How long one request may take, retries included. Kept short by default so a storage
    /// outage delays the end of a run by seconds, not minutes; what fails is retried later.
    pub timeout: Option<Duration>,
}

/// A bucket (or directory) and a prefix within it.
#[derive(Debug)]
pub struct Storage {
    url: String,
    endpoint: String,
    prefix: ObjectPath,
    store: Arc<dyn ObjectStore>,
    runtime: tokio::runtime::Runtime,
}

/// Storages opened on demand by URL, all with the same settings (endpoint, credentials):
/// a run's objects are read back from the storage that holds them, even when the
/// configured one has changed since.
#[derive(Debug)]
pub struct StorageCatalog {
    settings: StorageSettings,
    open: std::sync::Mutex<Vec<Arc<Storage>>>,
}

impl StorageCatalog {
    pub fn new(settings: StorageSettings) -> Self {
        Self {
            settings,
            open: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// The configured storage.
    pub fn current(&self) -> Result<Arc<Storage>, StorageError> {
        self.get(&self.settings.url)
    }

    /// The storage at `url`, opened once.
    pub fn get(&self, url: &str) -> Result<Arc<Storage>, StorageError> {
        let wanted = url.trim_end_matches('/');
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(s) = open.iter().find(|s| s.url == wanted) {
            return Ok(Arc::clone(s));
        }
        let storage = Arc::new(Storage::open(&StorageSettings {
            url: wanted.to_owned(),
            ..self.settings.clone()
        })?);
        open.push(Arc::clone(&storage));
        Ok(storage)
    }
}

/// One object found by [`Storage::list`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    /// The key below the storage's prefix.
    pub key: String,
    pub size: u64,
}

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

impl Storage {
    /// Opens the storage that `settings.url` names. Nothing is contacted yet: a bad endpoint
    /// or bad credentials show on the first request.
    pub fn open(settings: &StorageSettings) -> Result<Self, StorageError> {
        let url = settings.url.trim_end_matches('/').to_owned();
        let bad = |reason: &str| StorageError::BadUrl {
            url: settings.url.clone(),
            reason: reason.to_owned(),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(StorageError::Runtime)?;
        if let Some(path) = url.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(bad(
                    "a file URL needs an absolute path: `file:///var/lib/hoist/blobs`",
                ));
            }
            std::fs::create_dir_all(path)
                .map_err(|e| bad(&format!("cannot create `{path}`: {e}")))?;
            let store = LocalFileSystem::new_with_prefix(path).map_err(|source| {
                StorageError::Configure {
                    url: url.clone(),
                    source: Box::new(source),
                }
            })?;
            return Ok(Self {
                endpoint: path.to_owned(),
                url,
                prefix: ObjectPath::default(),
                store: Arc::new(store),
                runtime,
            });
        }
        let Some(rest) = url.strip_prefix("s3://") else {
            return Err(bad("expected `file:///path` or `s3://bucket/prefix`"));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(bad("the bucket name is missing: `s3://bucket/prefix`"));
        }
        let prefix = ObjectPath::parse(prefix).map_err(|e| bad(&format!("bad prefix: {e}")))?;
        let timeout = settings.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        let endpoint = settings
            .endpoint
            .clone()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
            .or_else(|| std::env::var("AWS_ENDPOINT").ok());
        if let Some(endpoint) = &endpoint {
            builder = builder.with_endpoint(endpoint.trim_end_matches('/'));
        }
        let region = settings
            .region
            .clone()
            .or_else(|| std::env::var("AWS_REGION").ok())
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
            .unwrap_or_else(|| "us-east-1".to_owned());
        builder = builder
            .with_region(region)
            .with_virtual_hosted_style_request(!settings.path_style.unwrap_or(true));
        if let Some(id) = &settings.access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &settings.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        if let Some(token) = &settings.session_token {
            builder = builder.with_token(token);
        }
        let retry = RetryConfig {
            max_retries: 2,
            retry_timeout: timeout,
            ..RetryConfig::default()
        };
        builder = builder.with_retry(retry).with_client_options(
            // Client options replace the builder's own, so plain HTTP is allowed here.
            ClientOptions::new()
                .with_allow_http(
                    endpoint
                        .as_deref()
                        .is_some_and(|e| e.starts_with("http://")),
                )
                .with_connect_timeout(Duration::from_secs(5).min(timeout))
                .with_timeout(timeout),
        );
        let store = builder.build().map_err(|source| StorageError::Configure {
            url: url.clone(),
            source: Box::new(source),
        })?;
        Ok(Self {
            endpoint: endpoint.unwrap_or_else(|| "AWS".to_owned()),
            url,
            prefix,
            store: Arc::new(store),
            runtime,
        })
    }

    /// The storage's URL, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The full URL of `key` in this storage: what the history database keeps.
    pub fn object_url(&self, key: &str) -> String {
        format!("{}/{key}", self.url)
    }

    /// The key of `object_url` if the object lives in this storage.
    pub fn key_of<'a>(&self, object_url: &'a str) -> Option<&'a str> {
        object_url
            .strip_prefix(self.url.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
    }

    /// Writes `body` at `key`, replacing what was there. Atomic: readers see the old or the
    /// new object, never part of one.
    pub fn put(&self, key: &str, body: Vec<u8>) -> Result<String, StorageError> {
        let path = self.path(key)?;
        let store = Arc::clone(&self.store);
        self.block_on(async move { store.put(&path, PutPayload::from(body)).await })
            .map_err(|e| self.error(key, e))?;
        Ok(self.object_url(key))
    }

    /// Writes `body` at `key` only if nothing is there (S3's `If-None-Match: *`, a file
    /// created exclusively); `false` when an object exists, which is left as it is. Two
    /// writers racing for one key: exactly one gets `true` (the basis of locks).
    pub fn put_new(&self, key: &str, body: Vec<u8>) -> Result<bool, StorageError> {
        let path = self.path(key)?;
        let store = Arc::clone(&self.store);
        let result = self.block_on(async move {
            store
                .put_opts(
                    &path,
                    PutPayload::from(body),
                    object_store::PutOptions::from(object_store::PutMode::Create),
                )
                .await
        });
        match result {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            Err(e) => Err(self.error(key, e)),
        }
    }

    /// [`Storage::put_new`] made safe on stores whose create-only write is not atomic (some
    /// S3-compatible servers, s3s-fs among them, look for the object and then write it, so
    /// two writers at the same moment both succeed): after `settle`, the object is read back
    /// and only the writer whose bytes are there holds the claim. `body` must be unique to
    /// the claimant.
    pub fn claim(&self, key: &str, body: Vec<u8>, settle: Duration) -> Result<bool, StorageError> {
        if !self.put_new(key, body.clone())? {
            return Ok(false);
        }
        std::thread::sleep(settle);
        match self.get(key) {
            Ok(found) => Ok(found == body),
            Err(StorageError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub fn get(&self, key: &str) -> Result<Vec<u8>, StorageError> {
        let path = self.path(key)?;
        let store = Arc::clone(&self.store);
        self.block_on(async move { store.get(&path).await?.bytes().await })
            .map(|b| b.to_vec())
            .map_err(|e| self.error(key, e))
    }

    /// Bytes `range` of the object at `key`.
    pub fn get_range(&self, key: &str, range: Range<u64>) -> Result<Vec<u8>, StorageError> {
        if range.is_empty() {
            return Ok(Vec::new());
        }
        let path = self.path(key)?;
        let store = Arc::clone(&self.store);
        self.block_on(async move { store.get_range(&path, range).await })
            .map(|b| b.to_vec())
            .map_err(|e| self.error(key, e))
    }

    /// Every object whose key starts with the directory `prefix` (`""` for all), sorted by key.
    pub fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError> {
        let path = self.path(prefix)?;
        let store = Arc::clone(&self.store);
        let base = self.prefix.clone();
        let mut found = self
            .block_on(async move {
                store
                    .list(Some(&path))
                    .map_ok(|meta| {
                        let key = meta
                            .location
                            .prefix_match(&base)
                            .map(|parts| {
                                parts
                                    .map(|p| p.as_ref().to_owned())
                                    .collect::<Vec<_>>()
                                    .join("/")
                            })
                            .unwrap_or_else(|| meta.location.to_string());
                        ObjectInfo {
                            key,
                            size: meta.size,
                        }
                    })
                    .try_collect::<Vec<_>>()
                    .await
            })
            .map_err(|e| self.error(prefix, e))?;
        found.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(found)
    }

    pub fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = self.path(key)?;
        let store = Arc::clone(&self.store);
        self.block_on(async move { store.delete(&path).await })
            .map_err(|e| self.error(key, e))
    }

    fn path(&self, key: &str) -> Result<ObjectPath, StorageError> {
        let relative = ObjectPath::parse(key).map_err(|e| StorageError::BadUrl {
            url: self.object_url(key),
            reason: e.to_string(),
        })?;
        Ok(self.prefix.parts().chain(relative.parts()).collect())
    }

    /// Runs `future` to completion. A caller already inside a tokio runtime (the engine's)
    /// cannot block it, so the work then happens on a short-lived thread of its own.
    fn block_on<T: Send>(&self, future: impl std::future::Future<Output = T> + Send) -> T {
        if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|s| {
                s.spawn(|| self.runtime.block_on(future))
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
        } else {
            self.runtime.block_on(future)
        }
    }

    fn error(&self, key: &str, source: object_store::Error) -> StorageError {
        let url = self.url.clone();
        let key = key.to_owned();
        if let object_store::Error::NotFound { .. } = source {
            return StorageError::NotFound { url, key };
        }
        let failure = classify(&source);
        let source = Box::new(source);
        match failure {
            Failure::Denied => StorageError::Denied { url, key, source },
            Failure::Unreachable => StorageError::Unreachable {
                url,
                endpoint: self.endpoint.clone(),
                key,
                source,
            },
            Failure::Other => StorageError::Other { url, key, source },
        }
    }
}

enum Failure {
    Denied,
    Unreachable,
    Other,
}

/// Finds, among the error's causes, the HTTP status or connection failure that says what
/// happened.
fn classify(error: &object_store::Error) -> Failure {
    use object_store::client::{HttpError, HttpErrorKind};
    if matches!(
        error,
        object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. }
    ) {
        return Failure::Denied;
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(c) = cause {
        // The client's retry error (which holds the HTTP status) is not public; its message
        // is "... status code: 403 Forbidden: <S3 error body>".
        let text = c.to_string();
        if [
            "status code: 401",
            "status code: 403",
            "<Code>InvalidAccessKeyId<",
            "<Code>SignatureDoesNotMatch<",
            "<Code>AccessDenied<",
        ]
        .iter()
        .any(|marker| text.contains(marker))
        {
            return Failure::Denied;
        }
        if let Some(http) = c.downcast_ref::<HttpError>() {
            return match http.kind() {
                HttpErrorKind::Connect | HttpErrorKind::Timeout | HttpErrorKind::Interrupted => {
                    Failure::Unreachable
                }
                _ => Failure::Other,
            };
        }
        cause = c.source();
    }
    Failure::Other
}
