//! The API client's calls about keys and secrets: secrets set, listed, deleted, the key
//! they are sealed with rotated, and the OIDC issuer's signing key rotated.

use crate::client::Client;
use crate::errors::ServerError;
use crate::vault::Rotation;
use crate::wire::{SecretScope, SecretView, SecretWrite};

impl Client {
    /// Sets secret `name` of `scope` (admins); `true` when it was new.
    pub async fn set_secret(
        &self,
        name: &str,
        scope: &SecretScope,
        value: &str,
    ) -> Result<bool, ServerError> {
        let body = SecretWrite {
            scope: scope.clone(),
            value: value.to_owned(),
        };
        let url = format!("{}/api/v1/secrets/{name}", self.base());
        let response = self.send(self.http().put(url).json(&body)).await?;
        let created = response.status() == reqwest::StatusCode::CREATED;
        self.empty(response).await?;
        Ok(created)
    }

    /// The secrets of `scope` (with no environment given: the repository's and all its
    /// environments'), names only.
    pub async fn secrets(&self, scope: &SecretScope) -> Result<Vec<SecretView>, ServerError> {
        let url = format!("{}/api/v1/secrets", self.base());
        let response = self.send(self.http().get(url).query(scope)).await?;
        self.json(response).await
    }

    /// Deletes secret `name` of `scope` (admins).
    pub async fn delete_secret(&self, name: &str, scope: &SecretScope) -> Result<(), ServerError> {
        let url = format!("{}/api/v1/secrets/{name}", self.base());
        let response = self.send(self.http().delete(url).query(scope)).await?;
        self.empty(response).await
    }

    /// Seals every secret under a new key (admins).
    pub async fn rotate_secret_key(&self) -> Result<Rotation, ServerError> {
        let response = self
            .post("/api/v1/secrets/rotate-key", &serde_json::json!({}))
            .await?;
        self.json(response).await
    }
}

impl Client {
    /// A new signing key for the OIDC issuer (admins): `{"key", "previous", "dropped"}`.
    pub async fn rotate_oidc_key(&self) -> Result<serde_json::Value, ServerError> {
        let response = self
            .post("/api/v1/oidc/rotate-key", &serde_json::json!({}))
            .await?;
        self.json(response).await
    }
}
