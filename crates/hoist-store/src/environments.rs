//! Environments of repositories (protection rules and variables) and deployments: one per
//! job instance that targets an environment, with its status history and its reviews.
//!
//! Environment names are case-insensitive, as on GitHub: `name_key` is the lowercase name,
//! `name` the spelling first used. A deployment's state is one of `queued`, `waiting`,
//! `in_progress`, `success`, `failure`, `inactive`; every change appends to its history.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::db::{Row, args};
use crate::{Store, StoreError, now_ms};

/// What an environment demands before a job may deploy to it, and its variables.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentSettings {
    /// Users (`alice`) or roles (`role:approver`) of whom one must approve; empty: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviewers: Vec<String>,
    /// The person who triggered the run may not approve it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prevent_self_review: bool,
    /// Minutes a job waits before it may deploy.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub wait_timer: u32,
    /// Branches (patterns) that may deploy; with `tags` empty too and not
    /// `protected_branches`: every ref may.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub branches: Vec<String>,
    /// Tags (patterns) that may deploy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Only protected branches may deploy.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub protected_branches: bool,
    /// The `vars` a job of the environment sees, over the repository's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// An environment as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentRow {
    pub id: i64,
    pub repo: String,
    pub name: String,
    pub settings: EnvironmentSettings,
    /// `config` (the server's configuration), `api` (`hoist env protect`; wins over the
    /// configuration) or `used` (created by the first job that targeted it).
    pub source: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A deployment about to be recorded.
#[derive(Clone, Debug)]
pub struct NewDeployment {
    pub repo: String,
    pub env_id: i64,
    pub environment: String,
    pub run_id: i64,
    pub attempt: u32,
    pub job_key: String,
    pub git_ref: String,
    pub sha: String,
    /// Who triggered the run.
    pub creator: String,
}

/// One entry of a deployment's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentStatus {
    pub at: i64,
    pub state: String,
    pub description: String,
}

/// An approval or rejection of a deployment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentReview {
    pub at: i64,
    pub reviewer: String,
    /// `approved` or `rejected`.
    pub state: String,
    pub comment: String,
}

/// A deployment with its history and reviews.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentRow {
    pub id: i64,
    pub repo: String,
    pub environment: String,
    pub env_id: i64,
    pub run_id: i64,
    pub attempt: u32,
    pub job_key: String,
    pub git_ref: String,
    pub sha: String,
    pub creator: String,
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub statuses: Vec<DeploymentStatus>,
    pub reviews: Vec<DeploymentReview>,
}

/// What became of a review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reviewed {
    /// Recorded; the deployment was waiting.
    Recorded,
    /// The deployment is no longer waiting (its state is given): nothing recorded.
    NotWaiting(String),
}

const ENV_COLUMNS: &str = "id, repo, name, settings, source, created_at, updated_at";
const DEPLOYMENT_COLUMNS: &str = "id, repo, environment, env_id, run_id, attempt, job_key, \
     git_ref, sha, creator, state, url, created_at, updated_at";

fn env_row(r: &Row) -> Result<EnvironmentRow, StoreError> {
    let settings: String = r.get(3)?;
    Ok(EnvironmentRow {
        id: r.get(0)?,
        repo: r.get(1)?,
        name: r.get(2)?,
        settings: serde_json::from_str(&settings).unwrap_or_default(),
        source: r.get(4)?,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
    })
}

fn deployment_row(r: &Row) -> Result<DeploymentRow, StoreError> {
    Ok(DeploymentRow {
        id: r.get(0)?,
        repo: r.get(1)?,
        environment: r.get(2)?,
        env_id: r.get(3)?,
        run_id: r.get(4)?,
        attempt: r.get::<i64>(5)? as u32,
        job_key: r.get(6)?,
        git_ref: r.get(7)?,
        sha: r.get(8)?,
        creator: r.get(9)?,
        state: r.get(10)?,
        url: r.get(11)?,
        created_at: r.get(12)?,
        updated_at: r.get(13)?,
        statuses: Vec::new(),
        reviews: Vec::new(),
    })
}

impl Store {
    /// Environment `name` of `repo`, matched without regard to case.
    pub fn environment(
        &self,
        repo: &str,
        name: &str,
    ) -> Result<Option<EnvironmentRow>, StoreError> {
        self.db().query_row_opt(
            &format!("SELECT {ENV_COLUMNS} FROM environments WHERE repo = ?1 AND name_key = ?2"),
            args![repo, name.to_lowercase()],
            env_row,
        )
    }

    /// The environments of `repo` (of every repository with `None`), by repository and name.
    pub fn environments(&self, repo: Option<&str>) -> Result<Vec<EnvironmentRow>, StoreError> {
        self.db().query_map(
            &format!(
                "SELECT {ENV_COLUMNS} FROM environments WHERE (CAST(?1 AS TEXT) IS NULL OR repo = ?1) \
                 ORDER BY repo, name_key"
            ),
            args![repo],
            env_row,
        )
    }

    /// Environment `name` of `repo`, created without rules when it does not exist yet (a
    /// job targeting an environment creates it, as on GitHub).
    pub fn ensure_environment(
        &mut self,
        repo: &str,
        name: &str,
    ) -> Result<EnvironmentRow, StoreError> {
        let now = now_ms();
        self.db().execute(
            "INSERT INTO environments (repo, name, name_key, settings, source, created_at, updated_at) \
             VALUES (?1, ?2, ?3, '{}', 'used', ?4, ?4) ON CONFLICT (repo, name_key) DO NOTHING",
            args![repo, name, name.to_lowercase(), now],
        )?;
        self.environment(repo, name)?.ok_or(StoreError::NoRow)
    }

    /// Sets environment `name` of `repo` from `source` (`config` or `api`). The
    /// configuration does not overwrite what was set through the API.
    pub fn put_environment(
        &mut self,
        repo: &str,
        name: &str,
        settings: &EnvironmentSettings,
        source: &str,
    ) -> Result<EnvironmentRow, StoreError> {
        let text =
            serde_json::to_string(settings).map_err(|e| StoreError::Encode(e.to_string()))?;
        let now = now_ms();
        self.db().execute(
            "INSERT INTO environments (repo, name, name_key, settings, source, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) \
             ON CONFLICT (repo, name_key) DO UPDATE SET settings = ?4, source = ?5, updated_at = ?6 \
             WHERE CAST(?5 AS TEXT) = 'api' OR environments.source <> 'api'",
            args![repo, name, name.to_lowercase(), text, source, now],
        )?;
        self.environment(repo, name)?.ok_or(StoreError::NoRow)
    }

    /// Records a deployment of a job instance (in state `queued`); the existing one when it
    /// was recorded before (a planner resuming after a restart).
    pub fn create_deployment(&mut self, new: &NewDeployment) -> Result<DeploymentRow, StoreError> {
        self.db().write(|tx| {
            let now = now_ms();
            let inserted = tx.execute(
                "INSERT INTO deployments (repo, environment, env_id, run_id, attempt, job_key, \
                 git_ref, sha, creator, state, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'queued', ?10, ?10) \
                 ON CONFLICT (run_id, attempt, job_key) DO NOTHING",
                args![
                    new.repo,
                    new.environment,
                    new.env_id,
                    new.run_id,
                    new.attempt as i64,
                    new.job_key,
                    new.git_ref,
                    new.sha,
                    new.creator,
                    now
                ],
            )?;
            let row = tx.query_row(
                &format!(
                    "SELECT {DEPLOYMENT_COLUMNS} FROM deployments \
                     WHERE run_id = ?1 AND attempt = ?2 AND job_key = ?3"
                ),
                args![new.run_id, new.attempt as i64, new.job_key],
                deployment_row,
            )?;
            if inserted == 1 {
                tx.execute(
                    "INSERT INTO deployment_statuses (deployment_id, at, state, description) \
                     VALUES (?1, ?2, 'queued', 'the job targets this environment')",
                    args![row.id, now],
                )?;
            }
            Ok(row)
        })
    }

    /// Moves deployment `id` to `state` with `description` (and its URL when known), unless
    /// it already ended. A success makes the environment's earlier successful deployments
    /// `inactive`, as GitHub does. Returns whether it changed.
    pub fn set_deployment_state(
        &mut self,
        id: i64,
        state: &str,
        description: &str,
        url: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.db().write(|tx| {
            let now = now_ms();
            let changed = tx.execute(
                "UPDATE deployments SET state = ?2, url = COALESCE(?3, url), updated_at = ?4 \
                 WHERE id = ?1 AND state IN ('queued', 'waiting', 'in_progress') AND state <> ?2",
                args![id, state, url, now],
            )?;
            if changed == 0 {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO deployment_statuses (deployment_id, at, state, description) \
                 VALUES (?1, ?2, ?3, ?4)",
                args![id, now, state, description],
            )?;
            if state == "success" {
                let (repo, env_id): (String, i64) = tx.query_row(
                    "SELECT repo, env_id FROM deployments WHERE id = ?1",
                    args![id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                let earlier: Vec<i64> = tx.query_map(
                    "SELECT id FROM deployments WHERE repo = ?1 AND env_id = ?2 AND id <> ?3 \
                     AND state = 'success'",
                    args![repo, env_id, id],
                    |r| r.get(0),
                )?;
                for old in earlier {
                    tx.execute(
                        "UPDATE deployments SET state = 'inactive', updated_at = ?2 WHERE id = ?1",
                        args![old, now],
                    )?;
                    tx.execute(
                        "INSERT INTO deployment_statuses (deployment_id, at, state, description) \
                         VALUES (?1, ?2, 'inactive', ?3)",
                        args![old, now, format!("deployment {id} replaced it")],
                    )?;
                }
            }
            Ok(true)
        })
    }

    /// Records `reviewer`'s `state` (`approved` or `rejected`) of deployment `id`, if it is
    /// waiting; a rejection ends it (`failure`).
    pub fn review_deployment(
        &mut self,
        id: i64,
        reviewer: &str,
        state: &str,
        comment: &str,
    ) -> Result<Reviewed, StoreError> {
        self.db().write(|tx| {
            let current: Option<String> = tx.query_row_opt(
                "SELECT state FROM deployments WHERE id = ?1",
                args![id],
                |r| r.get(0),
            )?;
            let current = current.ok_or(StoreError::NoRow)?;
            if current != "waiting" {
                return Ok(Reviewed::NotWaiting(current));
            }
            let now = now_ms();
            tx.execute(
                "INSERT INTO deployment_reviews (deployment_id, at, reviewer, state, comment) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                args![id, now, reviewer, state, comment],
            )?;
            if state == "rejected" {
                tx.execute(
                    "UPDATE deployments SET state = 'failure', updated_at = ?2 WHERE id = ?1",
                    args![id, now],
                )?;
                let why = if comment.is_empty() {
                    format!("rejected by {reviewer}")
                } else {
                    format!("rejected by {reviewer}: {comment}")
                };
                tx.execute(
                    "INSERT INTO deployment_statuses (deployment_id, at, state, description) \
                     VALUES (?1, ?2, 'failure', ?3)",
                    args![id, now, why],
                )?;
            }
            Ok(Reviewed::Recorded)
        })
    }

    /// Deployment `id` with its history and reviews.
    pub fn deployment(&self, id: i64) -> Result<Option<DeploymentRow>, StoreError> {
        let row = self.db().query_row_opt(
            &format!("SELECT {DEPLOYMENT_COLUMNS} FROM deployments WHERE id = ?1"),
            args![id],
            deployment_row,
        )?;
        row.map(|r| self.with_history(r)).transpose()
    }

    /// The deployments of run `run_id` (every attempt), oldest first, with history.
    pub fn deployments_of_run(&self, run_id: i64) -> Result<Vec<DeploymentRow>, StoreError> {
        let rows = self.db().query_map(
            &format!("SELECT {DEPLOYMENT_COLUMNS} FROM deployments WHERE run_id = ?1 ORDER BY id"),
            args![run_id],
            deployment_row,
        )?;
        rows.into_iter().map(|r| self.with_history(r)).collect()
    }

    /// Deployments, newest first: of `repo` and environment `environment` when given.
    pub fn deployments(
        &self,
        repo: Option<&str>,
        environment: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DeploymentRow>, StoreError> {
        let env_key = environment.map(str::to_lowercase);
        let rows = self.db().query_map(
            &format!(
                "SELECT {DEPLOYMENT_COLUMNS} FROM deployments \
                 WHERE (CAST(?1 AS TEXT) IS NULL OR repo = ?1) AND (CAST(?2 AS TEXT) IS NULL OR lower(environment) = CAST(?2 AS TEXT)) \
                 ORDER BY id DESC LIMIT ?3"
            ),
            args![repo, env_key, limit.max(1) as i64],
            deployment_row,
        )?;
        rows.into_iter().map(|r| self.with_history(r)).collect()
    }

    /// How many deployments wait for their environment's rules, for `/metrics`.
    pub fn waiting_deployments(&self) -> Result<i64, StoreError> {
        self.db().query_row(
            "SELECT COUNT(*) FROM deployments WHERE state = 'waiting'",
            &[],
            |r| r.get(0),
        )
    }

    fn with_history(&self, mut row: DeploymentRow) -> Result<DeploymentRow, StoreError> {
        row.statuses = self.db().query_map(
            "SELECT at, state, description FROM deployment_statuses WHERE deployment_id = ?1 \
             ORDER BY id",
            args![row.id],
            |r| {
                Ok(DeploymentStatus {
                    at: r.get(0)?,
                    state: r.get(1)?,
                    description: r.get(2)?,
                })
            },
        )?;
        row.reviews = self.db().query_map(
            "SELECT at, reviewer, state, comment FROM deployment_reviews WHERE deployment_id = ?1 \
             ORDER BY id",
            args![row.id],
            |r| {
                Ok(DeploymentReview {
                    at: r.get(0)?,
                    reviewer: r.get(1)?,
                    state: r.get(2)?,
                    comment: r.get(3)?,
                })
            },
        )?;
        Ok(row)
    }
}
