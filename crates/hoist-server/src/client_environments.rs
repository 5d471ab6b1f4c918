//! The API client's calls about environments, the deployments runs wait on, and reviews.

use hoist_store::{DeploymentRow, EnvironmentRow, EnvironmentSettings};

use crate::client::Client;
use crate::errors::ServerError;
use crate::wire::{PendingDeployment, ReviewRequest};

impl Client {
    /// The environments of `repo` with their rules.
    pub async fn environments(&self, repo: &str) -> Result<Vec<EnvironmentRow>, ServerError> {
        let response = self
            .get(&format!("/api/v1/repos/{repo}/environments"))
            .await?;
        self.json(response).await
    }

    /// Sets environment `name` of `repo` (admins); what the configuration said is replaced.
    pub async fn protect_environment(
        &self,
        repo: &str,
        name: &str,
        settings: &EnvironmentSettings,
    ) -> Result<EnvironmentRow, ServerError> {
        let url = format!("{}/api/v1/repos/{repo}/environments/{name}", self.base());
        let response = self.send(self.http().put(url).json(settings)).await?;
        self.json(response).await
    }

    /// The environments run `id` waits on.
    pub async fn pending_deployments(
        &self,
        id: i64,
    ) -> Result<Vec<PendingDeployment>, ServerError> {
        let response = self
            .get(&format!("/api/v1/runs/{id}/pending_deployments"))
            .await?;
        self.json(response).await
    }

    /// Approves or rejects what run `id` waits on; returns the deployments answered.
    pub async fn review_deployments(
        &self,
        id: i64,
        body: &ReviewRequest,
    ) -> Result<Vec<DeploymentRow>, ServerError> {
        let response = self
            .post(&format!("/api/v1/runs/{id}/pending_deployments"), body)
            .await?;
        self.json(response).await
    }

    /// Deployments, newest first.
    pub async fn deployments(
        &self,
        repo: Option<&str>,
        environment: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DeploymentRow>, ServerError> {
        let url = format!("{}/api/v1/deployments", self.base());
        let mut query: Vec<(&str, String)> = vec![("limit", limit.to_string())];
        if let Some(r) = repo {
            query.push(("repo", r.to_owned()));
        }
        if let Some(e) = environment {
            query.push(("environment", e.to_owned()));
        }
        let response = self.send(self.http().get(url).query(&query)).await?;
        self.json(response).await
    }
}
