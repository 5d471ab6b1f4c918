//! Secrets at rest: organisation, repository and environment secrets as the server sealed
//! them. The store keeps sealed strings only; it never sees a key or a value.
//!
//! A secret's scope is its repository (`""`: the organisation's, every repository sees it)
//! and its environment (`""`: not an environment's).

use serde::{Deserialize, Serialize};

use crate::db::args;
use crate::{Store, StoreError, now_ms};

/// Where a secret lives.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SecretSlot {
    /// `""` for the organisation.
    pub repo: String,
    /// `""` unless the secret is an environment's.
    pub environment: String,
    pub name: String,
}

/// A secret as it is listed: never its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretMeta {
    #[serde(flatten)]
    pub slot: SecretSlot,
    /// Milliseconds since the epoch.
    pub updated_at: i64,
    pub updated_by: String,
}

/// A sealed value somewhere in the store, as a key rotation sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SealedRow {
    Secret(SecretSlot),
    /// The secrets a queued job carries, by its run and job key.
    QueuedJob {
        run_id: i64,
        job_key: String,
    },
    /// The private half of an OIDC signing key.
    OidcKey {
        kid: String,
    },
}

impl Store {
    /// Sets (or replaces) the secret at `slot`.
    pub fn put_secret(
        &mut self,
        slot: &SecretSlot,
        sealed: &str,
        by: &str,
    ) -> Result<(), StoreError> {
        self.db().execute(
            "INSERT INTO secrets (repo, environment, name, sealed, updated_at, updated_by) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (repo, environment, name) \
             DO UPDATE SET sealed = ?4, updated_at = ?5, updated_by = ?6",
            args![slot.repo, slot.environment, slot.name, sealed, now_ms(), by],
        )?;
        Ok(())
    }

    /// Deletes the secret at `slot`; `false` when there was none.
    pub fn delete_secret(&mut self, slot: &SecretSlot) -> Result<bool, StoreError> {
        Ok(self.db().execute(
            "DELETE FROM secrets WHERE repo = ?1 AND environment = ?2 AND name = ?3",
            args![slot.repo, slot.environment, slot.name],
        )? == 1)
    }

    /// The secrets of one scope exactly (`repo` and `environment` as in [`SecretSlot`]), by
    /// name; with `environment` `None`, those of the repository and of all its environments.
    pub fn secret_list(
        &self,
        repo: &str,
        environment: Option<&str>,
    ) -> Result<Vec<SecretMeta>, StoreError> {
        let row = |r: &crate::db::Row| {
            Ok(SecretMeta {
                slot: SecretSlot {
                    repo: r.get(0)?,
                    environment: r.get(1)?,
                    name: r.get(2)?,
                },
                updated_at: r.get(3)?,
                updated_by: r.get(4)?,
            })
        };
        match environment {
            Some(env) => self.db().query_map(
                "SELECT repo, environment, name, updated_at, updated_by FROM secrets \
                 WHERE repo = ?1 AND environment = ?2 ORDER BY name",
                args![repo, env],
                row,
            ),
            None => self.db().query_map(
                "SELECT repo, environment, name, updated_at, updated_by FROM secrets \
                 WHERE repo = ?1 ORDER BY environment, name",
                args![repo],
                row,
            ),
        }
    }

    /// Every sealed secret a run of `repo` may see: the organisation's, the repository's and
    /// its environments'.
    pub fn secrets_of_repo(&self, repo: &str) -> Result<Vec<(SecretSlot, String)>, StoreError> {
        self.db().query_map(
            "SELECT repo, environment, name, sealed FROM secrets \
             WHERE repo = '' OR repo = ?1 ORDER BY repo, environment, name",
            args![repo],
            |r| {
                Ok((
                    SecretSlot {
                        repo: r.get(0)?,
                        environment: r.get(1)?,
                        name: r.get(2)?,
                    },
                    r.get(3)?,
                ))
            },
        )
    }

    /// Replaces every sealed value in the store with what `reseal` makes of it, in one
    /// transaction: after a crash either every value is sealed anew or none is. Returns how
    /// many were resealed; the first error of `reseal` rolls everything back.
    pub fn reseal_all(
        &mut self,
        reseal: &mut dyn FnMut(&SealedRow, &str) -> Result<String, String>,
    ) -> Result<usize, StoreError> {
        self.db().write(|tx| {
            let secrets: Vec<(String, String, String, String)> = tx.query_map(
                "SELECT repo, environment, name, sealed FROM secrets",
                &[],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            let queued: Vec<(i64, i64, String, String)> = tx.query_map(
                "SELECT id, run_id, job_key, sealed FROM queue WHERE sealed IS NOT NULL",
                &[],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            let mut count = 0;
            for (repo, environment, name, sealed) in secrets {
                let slot = SecretSlot {
                    repo,
                    environment,
                    name,
                };
                let fresh = reseal(&SealedRow::Secret(slot.clone()), &sealed)
                    .map_err(StoreError::Encode)?;
                tx.execute(
                    "UPDATE secrets SET sealed = ?4 WHERE repo = ?1 AND environment = ?2 AND name = ?3",
                    args![slot.repo, slot.environment, slot.name, fresh],
                )?;
                count += 1;
            }
            let keys: Vec<(String, String)> =
                tx.query_map("SELECT kid, sealed FROM oidc_keys", &[], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
            for (kid, sealed) in keys {
                let fresh = reseal(&SealedRow::OidcKey { kid: kid.clone() }, &sealed)
                    .map_err(StoreError::Encode)?;
                tx.execute(
                    "UPDATE oidc_keys SET sealed = ?2 WHERE kid = ?1",
                    args![kid, fresh],
                )?;
                count += 1;
            }
            for (id, run_id, job_key, sealed) in queued {
                let fresh = reseal(&SealedRow::QueuedJob { run_id, job_key }, &sealed)
                    .map_err(StoreError::Encode)?;
                tx.execute(
                    "UPDATE queue SET sealed = ?2 WHERE id = ?1",
                    args![id, fresh],
                )?;
                count += 1;
            }
            Ok(count)
        })
    }
}
