//! The API client's calls about repositories, pull requests, commit statuses and the
//! events that start runs (hooks of hosted repositories, repository dispatches).

use serde_json::{Value, json};

use crate::client::Client;
use crate::errors::ServerError;
use crate::wire::{CombinedStatus, HookAnswer, HookReport, PullView, RepoView};

/// A path segment with what URLs cannot carry as is (`release/*`) escaped.
fn segment(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Client {
    /// The repositories the token may see.
    pub async fn repos(&self) -> Result<Vec<RepoView>, ServerError> {
        let response = self.get("/api/v1/repos").await?;
        self.json(response).await
    }

    /// Creates hosted repository `name` (admins).
    pub async fn create_repo(
        &self,
        name: &str,
        default_branch: Option<&str>,
    ) -> Result<RepoView, ServerError> {
        let body = json!({"name": name, "default_branch": default_branch});
        let response = self.post("/api/v1/repos", &body).await?;
        self.json(response).await
    }

    /// Changes settings of `name` (`{"webhook_secret": "..."}`, ...; admins).
    pub async fn update_repo(&self, name: &str, patch: &Value) -> Result<RepoView, ServerError> {
        let url = format!("{}/api/v1/repos/{}", self.base(), segment(name));
        let response = self.send(self.http().patch(url).json(patch)).await?;
        self.json(response).await
    }

    /// Protects `branch` of `name`, requiring `require`; `None` lifts the protection.
    pub async fn protect(
        &self,
        name: &str,
        branch: &str,
        require: Option<&[String]>,
    ) -> Result<RepoView, ServerError> {
        let url = format!(
            "{}/api/v1/repos/{}/branches/{}/protection",
            self.base(),
            segment(name),
            segment(branch)
        );
        let request = match require {
            Some(r) => self.http().put(url).json(&json!({"require": r})),
            None => self.http().delete(url),
        };
        let response = self.send(request).await?;
        self.json(response).await
    }

    /// What a hosted repository's `hook` (`pre-receive`, `post-receive`) reports.
    pub async fn hook(
        &self,
        repo: &str,
        hook: &str,
        report: &HookReport,
    ) -> Result<HookAnswer, ServerError> {
        let path = format!("/api/v1/repos/{}/git/{hook}", segment(repo));
        let response = self.post(&path, report).await?;
        self.json(response).await
    }

    /// Opens a pull request of `head` into `base` (the default branch when `None`).
    pub async fn open_pull(
        &self,
        repo: &str,
        head: &str,
        base: Option<&str>,
        title: Option<&str>,
    ) -> Result<PullView, ServerError> {
        let path = format!("/api/v1/repos/{}/pulls", segment(repo));
        let body = json!({"head": head, "base": base, "title": title});
        let response = self.post(&path, &body).await?;
        self.json(response).await
    }

    /// Pull requests of `repo` in `state` (`open`, `closed`, `merged`, `all`).
    pub async fn pulls(
        &self,
        repo: &str,
        state: &str,
    ) -> Result<Vec<hoist_store::PullRow>, ServerError> {
        let url = format!("{}/api/v1/repos/{}/pulls", self.base(), segment(repo));
        let response = self
            .send(self.http().get(url).query(&[("state", state)]))
            .await?;
        self.json(response).await
    }

    /// Pull request `number` with its checks.
    pub async fn pull(&self, repo: &str, number: i64) -> Result<PullView, ServerError> {
        let response = self
            .get(&format!("/api/v1/repos/{}/pulls/{number}", segment(repo)))
            .await?;
        self.json(response).await
    }

    /// Merges pull request `number` (only when its required checks are green).
    pub async fn merge_pull(&self, repo: &str, number: i64) -> Result<PullView, ServerError> {
        let url = format!(
            "{}/api/v1/repos/{}/pulls/{number}/merge",
            self.base(),
            segment(repo)
        );
        let response = self.send(self.http().put(url).json(&json!({}))).await?;
        self.json(response).await
    }

    /// Closes pull request `number` without merging.
    pub async fn close_pull(&self, repo: &str, number: i64) -> Result<PullView, ServerError> {
        let url = format!(
            "{}/api/v1/repos/{}/pulls/{number}",
            self.base(),
            segment(repo)
        );
        let response = self
            .send(self.http().patch(url).json(&json!({"state": "closed"})))
            .await?;
        self.json(response).await
    }

    /// The combined status of `reference` (a SHA, branch or tag).
    pub async fn status(&self, repo: &str, reference: &str) -> Result<CombinedStatus, ServerError> {
        let response = self
            .get(&format!(
                "/api/v1/repos/{}/commits/{}/status",
                segment(repo),
                segment(reference)
            ))
            .await?;
        self.json(response).await
    }

    /// Starts the `repository_dispatch` runs of `repo` for `event_type`.
    pub async fn repository_dispatch(
        &self,
        repo: &str,
        event_type: &str,
        client_payload: &Value,
    ) -> Result<Value, ServerError> {
        let path = format!("/api/v1/repos/{}/dispatches", segment(repo));
        let body = json!({"event_type": event_type, "client_payload": client_payload});
        let response = self.post(&path, &body).await?;
        self.json(response).await
    }

    /// Acts on webhook delivery `id` again.
    pub async fn redeliver(&self, id: &str) -> Result<Value, ServerError> {
        let path = format!("/api/v1/hooks/deliveries/{}/redeliver", segment(id));
        let response = self.post(&path, &json!({})).await?;
        self.json(response).await
    }
}
