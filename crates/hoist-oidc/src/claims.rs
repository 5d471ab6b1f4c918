//! The claims of a job's token, named and shaped as GitHub's, and its subject.

use serde_json::{Map, Value, json};

/// How long a token is valid: short, as GitHub's (a cloud exchanges it at once).
pub const TOKEN_LIFETIME_SECONDS: i64 = 300;

/// GitHub's default subject: the repository and the job's context.
pub const DEFAULT_SUBJECT_CLAIMS: &[&str] = &["repo", "context"];

/// The claims the discovery document lists.
pub(crate) const CLAIMS_SUPPORTED: &[&str] = &[
    "sub",
    "aud",
    "exp",
    "iat",
    "iss",
    "jti",
    "nbf",
    "ref",
    "ref_type",
    "ref_protected",
    "sha",
    "repository",
    "repository_owner",
    "run_id",
    "run_number",
    "run_attempt",
    "actor",
    "triggering_actor",
    "workflow",
    "workflow_ref",
    "workflow_sha",
    "job_workflow_ref",
    "job_workflow_sha",
    "head_ref",
    "base_ref",
    "event_name",
    "environment",
    "runner_environment",
];

/// What a job's token says about it.
#[derive(Clone, Debug, Default)]
pub struct JobClaims {
    /// `owner/name`.
    pub repository: String,
    /// `refs/heads/main`, `refs/tags/v1`, `refs/pull/7/merge`.
    pub git_ref: String,
    pub ref_protected: bool,
    pub sha: String,
    /// The run's workflow file, `.github/workflows/deploy.yml`.
    pub workflow_path: String,
    /// The workflow's name.
    pub workflow: String,
    /// The file that defines the job (a called reusable workflow's, or the run's own).
    pub job_workflow_path: String,
    pub run_id: u64,
    pub run_number: u64,
    pub run_attempt: u32,
    pub actor: String,
    pub event_name: String,
    pub head_ref: String,
    pub base_ref: String,
    /// The job's environment, if it targets one.
    pub environment: Option<String>,
}

impl JobClaims {
    fn owner(&self) -> &str {
        self.repository
            .split_once('/')
            .map_or(self.repository.as_str(), |(o, _)| o)
    }

    /// GitHub's `context` part of the subject: the environment, a pull request, or the ref.
    fn context(&self) -> String {
        if let Some(env) = &self.environment {
            format!("environment:{env}")
        } else if self.event_name == "pull_request" || self.event_name == "pull_request_target" {
            "pull_request".to_owned()
        } else {
            format!("ref:{}", self.git_ref)
        }
    }

    /// The claims of the token: for `audience`, issued by `issuer` at `now` (seconds since
    /// the epoch), with `jti` as its id; the subject is made of `subject_claims` (GitHub's
    /// customisation: `repo` and `context` as in its default, any other claim as
    /// `name:value`), or GitHub's default with `None`.
    pub fn to_claims(
        &self,
        issuer: &str,
        audience: &str,
        now: i64,
        jti: &str,
        subject_claims: Option<&[String]>,
    ) -> Value {
        let workflow_ref = format!(
            "{}/{}@{}",
            self.repository, self.workflow_path, self.git_ref
        );
        let job_workflow_ref = format!(
            "{}/{}@{}",
            self.repository, self.job_workflow_path, self.git_ref
        );
        let ref_type = if self.git_ref.starts_with("refs/tags/") {
            "tag"
        } else {
            "branch"
        };
        let mut claims = Map::new();
        let mut set = |k: &str, v: Value| {
            claims.insert(k.to_owned(), v);
        };
        set("jti", json!(jti));
        set("aud", json!(audience));
        set("ref", json!(self.git_ref));
        set("ref_type", json!(ref_type));
        set("ref_protected", json!(self.ref_protected.to_string()));
        set("sha", json!(self.sha));
        set("repository", json!(self.repository));
        set("repository_owner", json!(self.owner()));
        // GitHub's numbers are strings in its tokens.
        set("run_id", json!(self.run_id.to_string()));
        set("run_number", json!(self.run_number.to_string()));
        set("run_attempt", json!(self.run_attempt.to_string()));
        set("actor", json!(self.actor));
        set("triggering_actor", json!(self.actor));
        set("workflow", json!(self.workflow));
        set("workflow_ref", json!(workflow_ref));
        set("workflow_sha", json!(self.sha));
        set("job_workflow_ref", json!(job_workflow_ref));
        set("job_workflow_sha", json!(self.sha));
        set("head_ref", json!(self.head_ref));
        set("base_ref", json!(self.base_ref));
        set("event_name", json!(self.event_name));
        if let Some(env) = &self.environment {
            set("environment", json!(env));
        }
        set("runner_environment", json!("self-hosted"));
        set("iss", json!(issuer));
        set("iat", json!(now));
        set("nbf", json!(now));
        set("exp", json!(now + TOKEN_LIFETIME_SECONDS));
        let subject = self.subject(&claims, subject_claims);
        claims.insert("sub".to_owned(), json!(subject));
        Value::Object(claims)
    }

    fn subject(&self, claims: &Map<String, Value>, keys: Option<&[String]>) -> String {
        let default: Vec<String> = DEFAULT_SUBJECT_CLAIMS
            .iter()
            .map(|k| (*k).to_owned())
            .collect();
        let keys = keys.filter(|k| !k.is_empty()).unwrap_or(&default);
        keys.iter()
            .map(|key| match key.as_str() {
                "repo" => format!("repo:{}", self.repository),
                "context" => self.context(),
                other => format!(
                    "{other}:{}",
                    claims
                        .get(other)
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                        .unwrap_or_default()
                ),
            })
            .collect::<Vec<_>>()
            .join(":")
    }
}
