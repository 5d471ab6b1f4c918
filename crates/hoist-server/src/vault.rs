//! The server's keyring and what it seals: secrets in the store, and the secrets a queued
//! job carries until a runner claims it.
//!
//! Guarantees:
//! - No secret value reaches the database unsealed: `secrets` rows and the queue's `sealed`
//!   column hold AES-256-GCM ciphertext bound to their slot; a queued job's request holds an
//!   empty `secrets` context and no masked values until the claim that hands it to a runner.
//! - A rotation reseals every value in one transaction (all or none), after the new keyring
//!   is on disk: a crash between the two leaves a file that opens both the old and the new
//!   values. The previous key stays in the file until the next rotation, so a server sharing
//!   the file that sealed a value with it during the rotation has not lost that value.
//! - A value sealed with a key this process does not hold makes it read the key file again
//!   once (another server sharing the file rotated it).

use std::path::PathBuf;
use std::sync::RwLock;

use hoist_engine::JobRequest;
use hoist_store::{SealedRow, SecretSlot, Store};
use hoist_vault::{Keyring, VaultError};

use crate::errors::ServerError;

/// Where the keyring comes from.
#[derive(Clone)]
pub enum SecretKey {
    /// A key file (created with a new key, mode 0600, when missing).
    File(PathBuf),
    /// The keyring's text itself (`HOIST_SECRET_KEY`); such a keyring cannot be rotated by
    /// the server.
    Text(String),
}

impl std::fmt::Debug for SecretKey {
    // Never the keys themselves.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretKey::File(path) => f.debug_tuple("File").field(path).finish(),
            SecretKey::Text(_) => f.write_str("Text(..)"),
        }
    }
}

pub(crate) struct Vault {
    ring: RwLock<Keyring>,
    /// The key file, when the keyring has one.
    file: Option<PathBuf>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").field("file", &self.file).finish()
    }
}

/// What a rotation did.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Rotation {
    /// The key new values are sealed with.
    pub key: String,
    /// The key that was current before, still in the file until the next rotation.
    pub previous: String,
    /// Keys dropped from the file.
    pub dropped: Vec<String>,
    /// Values sealed anew: secrets and queued jobs' secrets.
    pub resealed: usize,
}

impl Vault {
    /// Opens the keyring; the path is set when a new key file was created.
    pub(crate) fn open(
        source: Option<&SecretKey>,
        data_dir: &std::path::Path,
    ) -> Result<(Self, Option<PathBuf>), ServerError> {
        let vault_error = |source| ServerError::Vault { source };
        match source {
            Some(SecretKey::Text(text)) => {
                let ring = Keyring::parse(text, "HOIST_SECRET_KEY").map_err(vault_error)?;
                Ok((
                    Self {
                        ring: RwLock::new(ring),
                        file: None,
                    },
                    None,
                ))
            }
            Some(SecretKey::File(_)) | None => {
                let path = match source {
                    Some(SecretKey::File(path)) => path.clone(),
                    _ => data_dir.join("secret-key"),
                };
                let (ring, created) = Keyring::load_or_create(&path).map_err(vault_error)?;
                Ok((
                    Self {
                        ring: RwLock::new(ring),
                        file: Some(path.clone()),
                    },
                    created.then_some(path),
                ))
            }
        }
    }

    fn ring(&self) -> std::sync::RwLockReadGuard<'_, Keyring> {
        self.ring.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn seal(&self, slot: &str, value: &[u8]) -> Result<String, VaultError> {
        self.ring().seal(slot, value)
    }

    /// Opens `sealed`; a key this process does not know makes it read the key file again.
    pub(crate) fn open_sealed(&self, slot: &str, sealed: &str) -> Result<Vec<u8>, VaultError> {
        match self.ring().open(slot, sealed) {
            Err(VaultError::UnknownKey { .. }) if self.file.is_some() => {}
            other => return other,
        }
        self.reload()?;
        self.ring().open(slot, sealed)
    }

    fn reload(&self) -> Result<(), VaultError> {
        if let Some(path) = &self.file {
            let fresh = Keyring::load(path)?;
            *self.ring.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        }
        Ok(())
    }

    /// A new current key: written to the key file with the old ones, every sealed value of
    /// the store sealed anew with it, then the file rewritten with the new key and the one
    /// before it.
    pub(crate) fn rotate(&self, store: &mut Store) -> Result<Rotation, RotateError> {
        let Some(path) = &self.file else {
            return Err(RotateError::NoFile);
        };
        // Someone else may have rotated since this process read the file.
        self.reload().map_err(RotateError::Vault)?;
        let mut ring = self.ring.write().unwrap_or_else(|e| e.into_inner());
        let previous = ring.current_id().to_owned();
        let rotated = ring.rotated().map_err(RotateError::Vault)?;
        rotated.save(path).map_err(RotateError::Vault)?;
        let resealed = store
            .reseal_all(&mut |row, sealed| {
                rotated
                    .reseal(&slot_of(row), sealed)
                    .map_err(|e| format!("cannot reseal {}: {e}", describe(row)))
            })
            .map_err(RotateError::Store)?;
        let kept = rotated.current_and_previous();
        let dropped = rotated
            .ids()
            .into_iter()
            .filter(|id| !kept.ids().contains(id))
            .map(str::to_owned)
            .collect();
        kept.save(path).map_err(RotateError::Vault)?;
        let key = kept.current_id().to_owned();
        *ring = kept;
        Ok(Rotation {
            key,
            previous,
            dropped,
            resealed,
        })
    }
}

impl Vault {
    /// Moves the secrets out of `request` (its `secrets` context and masked values) into one
    /// sealed string, for the queue; `None` when it has none.
    pub(crate) fn seal_job(
        &self,
        run_id: i64,
        request: &mut JobRequest,
    ) -> Result<Option<String>, VaultError> {
        let secrets = request
            .contexts
            .get_mut("secrets")
            .map(std::mem::take)
            .filter(|s| s.as_object().is_some_and(|o| !o.is_empty()));
        let masked = std::mem::take(&mut request.masked);
        if secrets.is_none() && masked.is_empty() {
            return Ok(None);
        }
        if let Some(context) = request.contexts.get_mut("secrets") {
            *context = serde_json::json!({});
        }
        let carried = serde_json::json!({"secrets": secrets, "masked": masked});
        self.seal(
            &job_slot(run_id, &request.key.id),
            carried.to_string().as_bytes(),
        )
        .map(Some)
    }

    /// Puts back into `request` what [`Vault::seal_job`] took out of it.
    pub(crate) fn unseal_job(
        &self,
        run_id: i64,
        request: &mut JobRequest,
        sealed: &str,
    ) -> Result<(), VaultError> {
        let bytes = self.open_sealed(&job_slot(run_id, &request.key.id), sealed)?;
        let carried: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| VaultError::BadSeal {
                message: e.to_string(),
            })?;
        if let Some(secrets) = carried.get("secrets").filter(|s| !s.is_null())
            && let Some(contexts) = request.contexts.as_object_mut()
        {
            contexts.insert("secrets".to_owned(), secrets.clone());
        }
        request.masked = carried["masked"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Ok(())
    }
}

/// The secrets a run of `repo` sees, opened: the organisation's overlaid with the
/// repository's, and each environment's (which the engine lays over those for a job that
/// targets it, once the environment lets it run).
pub(crate) type RunSecrets = (
    indexmap::IndexMap<String, String>,
    indexmap::IndexMap<String, hoist_engine::EnvironmentScope>,
);

impl Vault {
    pub(crate) fn run_secrets(&self, store: &Store, repo: &str) -> Result<RunSecrets, String> {
        let rows = store.secrets_of_repo(repo).map_err(|e| {
            format!(
                "cannot read the secrets of `{repo}`: {}",
                e.with_root_cause()
            )
        })?;
        let mut plain = indexmap::IndexMap::new();
        let mut environments: indexmap::IndexMap<String, hoist_engine::EnvironmentScope> =
            indexmap::IndexMap::new();
        // Organisation rows come first (repo `""`), so a repository's secret of the same
        // name replaces the organisation's.
        for (slot, sealed) in rows {
            let value = self
                .open_sealed(&secret_slot(&slot), &sealed)
                .map_err(|e| {
                    format!(
                        "cannot open {}: {e}",
                        describe(&SealedRow::Secret(slot.clone()))
                    )
                })?;
            let value = String::from_utf8_lossy(&value).into_owned();
            if slot.environment.is_empty() {
                plain.insert(slot.name, value);
            } else {
                environments
                    .entry(slot.environment)
                    .or_default()
                    .secrets
                    .insert(slot.name, value);
            }
        }
        Ok((plain, environments))
    }
}

/// Why a rotation did not happen.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RotateError {
    #[error(
        "this server's key comes from `HOIST_SECRET_KEY`, which it cannot rewrite; give it a key file (`--secret-key-file`) to rotate from the server"
    )]
    NoFile,
    #[error(transparent)]
    Vault(VaultError),
    #[error(transparent)]
    Store(hoist_store::StoreError),
}

/// The associated data a secret is sealed with: the slot it belongs in.
pub(crate) fn secret_slot(slot: &SecretSlot) -> String {
    format!("secret\n{}\n{}\n{}", slot.repo, slot.environment, slot.name)
}

/// The associated data of the secrets queued job `job_key` of run `run_id` carries.
pub(crate) fn job_slot(run_id: i64, job_key: &str) -> String {
    format!("job\n{run_id}\n{job_key}")
}

/// The associated data of the private half of OIDC signing key `kid`.
pub(crate) fn oidc_key_slot(kid: &str) -> String {
    format!("oidc-key\n{kid}")
}

fn slot_of(row: &SealedRow) -> String {
    match row {
        SealedRow::Secret(slot) => secret_slot(slot),
        SealedRow::QueuedJob { run_id, job_key } => job_slot(*run_id, job_key),
        SealedRow::OidcKey { kid } => oidc_key_slot(kid),
    }
}

fn describe(row: &SealedRow) -> String {
    match row {
        SealedRow::Secret(s) if s.repo.is_empty() => {
            format!("the organisation secret `{}`", s.name)
        }
        SealedRow::Secret(s) if s.environment.is_empty() => {
            format!("the secret `{}` of `{}`", s.name, s.repo)
        }
        SealedRow::Secret(s) => format!(
            "the secret `{}` of `{}` environment `{}`",
            s.name, s.repo, s.environment
        ),
        SealedRow::QueuedJob { run_id, job_key } => {
            format!("the secrets of queued job `{job_key}` of run {run_id}")
        }
        SealedRow::OidcKey { kid } => format!("the OIDC signing key `{kid}`"),
    }
}
