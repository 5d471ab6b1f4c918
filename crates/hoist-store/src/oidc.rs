//! The OIDC issuer's signing keys, newest first (private halves sealed by the server, public
//! halves as JWKs), and the digests of the tokens claimed jobs ask for ID tokens with.

use crate::db::args;
use crate::{Store, StoreError, now_ms};

/// A signing key as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcKeyRow {
    pub kid: String,
    pub sealed: String,
    pub public_jwk: String,
    pub created_at: i64,
}

/// What an ID-token request about queued job N needs.
#[derive(Clone, Debug)]
pub struct IdTokenJob {
    pub run_id: i64,
    /// `queued`, `claimed`, `done`.
    pub state: String,
    pub digest: Option<String>,
    /// The job's request, as queued (JSON).
    pub request: String,
}

impl Store {
    /// The signing keys, newest first.
    pub fn oidc_keys(&self) -> Result<Vec<OidcKeyRow>, StoreError> {
        self.db().query_map(
            "SELECT kid, sealed, public_jwk, created_at FROM oidc_keys ORDER BY created_at DESC, kid",
            &[],
            |r| {
                Ok(OidcKeyRow {
                    kid: r.get(0)?,
                    sealed: r.get(1)?,
                    public_jwk: r.get(2)?,
                    created_at: r.get(3)?,
                })
            },
        )
    }

    /// Adds a signing key, which becomes the newest, and drops all but the `keep` newest
    /// (the new one among them), in one transaction.
    pub fn add_oidc_key(
        &mut self,
        kid: &str,
        sealed: &str,
        public_jwk: &str,
        keep: usize,
    ) -> Result<Vec<String>, StoreError> {
        self.db().write(|tx| {
            // Strictly newer than every key there is, even within one millisecond.
            let newest: Option<i64> =
                tx.query_row("SELECT MAX(created_at) FROM oidc_keys", &[], |r| r.get(0))?;
            let at = now_ms().max(newest.map_or(0, |n| n + 1));
            tx.execute(
                "INSERT INTO oidc_keys (kid, sealed, public_jwk, created_at) VALUES (?1, ?2, ?3, ?4)",
                args![kid, sealed, public_jwk, at],
            )?;
            let all: Vec<String> = tx.query_map(
                "SELECT kid FROM oidc_keys ORDER BY created_at DESC, kid",
                &[],
                |r| r.get(0),
            )?;
            let dropped: Vec<String> = all.into_iter().skip(keep.max(1)).collect();
            for old in &dropped {
                tx.execute("DELETE FROM oidc_keys WHERE kid = ?1", args![old])?;
            }
            Ok(dropped)
        })
    }

    /// Notes the digest of the token claimed job `id` asks for ID tokens with.
    pub fn set_id_token_digest(&mut self, id: i64, digest: &str) -> Result<(), StoreError> {
        self.db().execute(
            "UPDATE queue SET id_token_digest = ?2 WHERE id = ?1",
            args![id, digest],
        )?;
        Ok(())
    }

    /// Queued job `id` as an ID-token request sees it.
    pub fn id_token_job(&self, id: i64) -> Result<Option<IdTokenJob>, StoreError> {
        self.db().query_row_opt(
            "SELECT run_id, state, id_token_digest, request FROM queue WHERE id = ?1",
            args![id],
            |r| {
                Ok(IdTokenJob {
                    run_id: r.get(0)?,
                    state: r.get(1)?,
                    digest: r.get(2)?,
                    request: r.get(3)?,
                })
            },
        )
    }
}
