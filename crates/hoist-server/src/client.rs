//! The API's client, for runners and the CLI: one request per call, errors that name the
//! server and what it said.

use std::time::Duration;

use hoist_events::JobOutcome;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::errors::ServerError;
use crate::wire::{
    Assignment, AuditQuery, ClaimRequest, DispatchRequest, DispatchResponse, ErrorBody,
    EventsReport, FinishReport, LogPart, NewToken, RenewRequest, RunQuery, RunRecord, RunView,
    RunnerCredential, TokenRequest,
};

/// A connection to one server with one token.
#[derive(Clone, Debug)]
pub struct Client {
    base: String,
    token: String,
    http: reqwest::Client,
}

/// What a call about a job learned.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum JobCall {
    Done,
    /// Renewed, and the run was cancelled: cancel the job and report how it ends.
    Cancel,
    /// The server took the job back (409): stop it.
    Lost,
}

impl Client {
    pub fn new(server: &str, token: &str) -> Self {
        Self {
            base: server.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap_or_default(),
        }
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Dispatches `workflow` of `repo` (GitHub's `workflow_dispatch` API).
    pub async fn dispatch(
        &self,
        repo: &str,
        workflow: &str,
        body: &DispatchRequest,
    ) -> Result<DispatchResponse, ServerError> {
        let path = format!("/api/v1/repos/{repo}/actions/workflows/{workflow}/dispatches");
        let response = self.post(&path, body).await?;
        self.json(response).await
    }

    /// A run with its jobs.
    pub async fn run(&self, id: i64) -> Result<RunView, ServerError> {
        let response = self.get(&format!("/api/v1/runs/{id}")).await?;
        self.json(response).await
    }

    /// Runs, newest first; only `repo`'s when given.
    pub async fn runs(
        &self,
        repo: Option<&str>,
        query: &RunQuery,
    ) -> Result<Vec<hoist_store::RunRow>, ServerError> {
        let path = match repo {
            Some(r) => format!("/api/v1/repos/{r}/runs"),
            None => "/api/v1/runs".to_owned(),
        };
        let response = self
            .send(self.http.get(format!("{}{path}", self.base)).query(query))
            .await?;
        self.json(response).await
    }

    /// Cancels run `id` (developers): its queued jobs end, running ones are stopped by their
    /// runners, `if: always()` jobs and steps still run.
    pub async fn cancel(&self, id: i64) -> Result<(), ServerError> {
        let response = self
            .post(&format!("/api/v1/runs/{id}/cancel"), &serde_json::json!({}))
            .await?;
        self.empty(response).await
    }

    /// Starts a new attempt of finished run `id` (only its failed jobs with `failed_only`).
    pub async fn rerun(&self, id: i64, failed_only: bool) -> Result<DispatchResponse, ServerError> {
        let what = if failed_only {
            "rerun-failed-jobs"
        } else {
            "rerun"
        };
        let response = self
            .post(&format!("/api/v1/runs/{id}/{what}"), &serde_json::json!({}))
            .await?;
        self.json(response).await
    }

    /// Registers runner `name` with this client's token (a registration token).
    pub async fn register_runner(&self, name: &str) -> Result<RunnerCredential, ServerError> {
        let body = crate::wire::RegisterRequest {
            name: name.to_owned(),
        };
        let response = self.post("/api/v1/runners/register", &body).await?;
        self.json(response).await
    }

    /// Everything `hoist runs view` shows of run `id`.
    pub async fn record(&self, id: i64) -> Result<RunRecord, ServerError> {
        let response = self.get(&format!("/api/v1/runs/{id}/record")).await?;
        self.json(response).await
    }

    /// The log of job `job` (its key) of run `id`, by step.
    pub async fn logs(&self, id: i64, job: &str) -> Result<Vec<LogPart>, ServerError> {
        let mut url = reqwest::Url::parse(&self.base).map_err(|e| ServerError::Unreachable {
            url: self.base.clone(),
            message: e.to_string(),
        })?;
        url.path_segments_mut()
            .map_err(|()| ServerError::Unreachable {
                url: self.base.clone(),
                message: "not a base URL".to_owned(),
            })?
            .extend(["api", "v1", "runs", &id.to_string(), "jobs", job, "logs"]);
        let response = self.send(self.http.get(url)).await?;
        self.json(response).await
    }

    /// Creates a token (admins only); the answer is the only time it is shown.
    pub async fn create_token(&self, body: &TokenRequest) -> Result<NewToken, ServerError> {
        let response = self.post("/api/v1/tokens", body).await?;
        self.json(response).await
    }

    pub async fn tokens(&self) -> Result<Vec<hoist_store::TokenRow>, ServerError> {
        let response = self.get("/api/v1/tokens").await?;
        self.json(response).await
    }

    pub async fn revoke_token(&self, id: i64) -> Result<(), ServerError> {
        let response = self
            .send(
                self.http
                    .delete(format!("{}/api/v1/tokens/{id}", self.base)),
            )
            .await?;
        self.empty(response).await
    }

    /// Webhook deliveries, newest first (only the rejected ones with `failed`).
    pub async fn deliveries(
        &self,
        failed: bool,
    ) -> Result<Vec<hoist_store::DeliveryRow>, ServerError> {
        let response = self
            .send(
                self.http
                    .get(format!("{}/api/v1/hooks/deliveries", self.base))
                    .query(&[("failed", failed)]),
            )
            .await?;
        self.json(response).await
    }

    /// The audit log, newest first.
    pub async fn audit(
        &self,
        query: &AuditQuery,
    ) -> Result<Vec<hoist_store::AuditRow>, ServerError> {
        let response = self
            .send(
                self.http
                    .get(format!("{}/api/v1/audit", self.base))
                    .query(query),
            )
            .await?;
        self.json(response).await
    }

    pub(crate) async fn get(&self, path: &str) -> Result<reqwest::Response, ServerError> {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    pub(crate) async fn claim(
        &self,
        runner: &str,
        labels: &[String],
    ) -> Result<Option<Assignment>, ServerError> {
        let body = ClaimRequest {
            runner: runner.to_owned(),
            labels: labels.to_vec(),
        };
        let response = self.post("/api/v1/runners/claim", &body).await?;
        if response.status() == reqwest::StatusCode::NO_CONTENT {
            return Ok(None);
        }
        self.json(response).await.map(Some)
    }

    /// Renews the lease on job `id`; the server may hold the answer up to `wait` and answers
    /// at once when the job's run is cancelled.
    pub(crate) async fn renew(
        &self,
        id: i64,
        runner: &str,
        wait: Duration,
    ) -> Result<JobCall, ServerError> {
        let body = RenewRequest {
            runner: runner.to_owned(),
            wait_ms: wait.as_millis() as u64,
        };
        self.job_call(&format!("/api/v1/jobs/{id}/renew"), &body)
            .await
    }

    pub(crate) async fn events(
        &self,
        id: i64,
        report: &EventsReport,
    ) -> Result<JobCall, ServerError> {
        self.job_call(&format!("/api/v1/jobs/{id}/events"), report)
            .await
    }

    pub(crate) async fn finish(
        &self,
        id: i64,
        runner: &str,
        outcome: &JobOutcome,
    ) -> Result<JobCall, ServerError> {
        let body = FinishReport {
            runner: runner.to_owned(),
            outcome: outcome.clone(),
        };
        self.job_call(&format!("/api/v1/jobs/{id}/finish"), &body)
            .await
    }

    async fn job_call(&self, path: &str, body: &impl Serialize) -> Result<JobCall, ServerError> {
        let response = self.post(path, body).await?;
        match response.status() {
            reqwest::StatusCode::OK => {
                let answer: Option<crate::wire::RenewAnswer> = response.json().await.ok();
                Ok(if answer.is_some_and(|a| a.cancel) {
                    JobCall::Cancel
                } else {
                    JobCall::Done
                })
            }
            s if s.is_success() => Ok(JobCall::Done),
            reqwest::StatusCode::CONFLICT => Ok(JobCall::Lost),
            _ => Err(self.refused(response).await),
        }
    }

    pub(crate) async fn post(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<reqwest::Response, ServerError> {
        self.send(self.http.post(format!("{}{path}", self.base)).json(body))
            .await
    }

    /// Sends `request` with the token; an error names the server.
    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ServerError> {
        request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))
    }

    /// An answer with nothing to read: success, or the server's reason.
    pub(crate) async fn empty(&self, response: reqwest::Response) -> Result<(), ServerError> {
        if response.status().is_success() {
            Ok(())
        } else {
            Err(self.refused(response).await)
        }
    }

    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        response: reqwest::Response,
    ) -> Result<T, ServerError> {
        if !response.status().is_success() {
            return Err(self.refused(response).await);
        }
        response.json().await.map_err(|e| ServerError::Unreachable {
            url: self.base.clone(),
            message: format!("unexpected answer: {e}"),
        })
    }

    async fn refused(&self, response: reqwest::Response) -> ServerError {
        let status = response.status();
        let message = match response.json::<ErrorBody>().await {
            Ok(body) => body.message,
            Err(_) => String::new(),
        };
        ServerError::Refused {
            message: format!("{status}: {message}"),
        }
    }

    fn unreachable(&self, e: &reqwest::Error) -> ServerError {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            message = format!("{message}: {s}");
            source = s.source();
        }
        ServerError::Unreachable {
            url: self.base.clone(),
            message,
        }
    }
}
