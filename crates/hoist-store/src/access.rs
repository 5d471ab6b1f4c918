//! Who may use a server and what they did: API tokens (stored as digests only) with their
//! roles, and the audit log of every state-changing call.

use serde::{Deserialize, Serialize};

use crate::db::{Row, args};
use crate::{Store, StoreError, now_ms};

/// What a token may do; each role may do what the ones before it may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads runs, logs and the audit log.
    Viewer,
    /// Also dispatches, reruns and cancels runs.
    Developer,
    /// Also approves deployments.
    Approver,
    /// Also manages repositories, runners and tokens.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Developer => "developer",
            Role::Approver => "approver",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "viewer" => Some(Role::Viewer),
            "developer" => Some(Role::Developer),
            "approver" => Some(Role::Approver),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Whom a token belongs to: a person with a role, or a runner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    /// A role, `runner` for a runner's credential, or `runner-registration` for a token
    /// that runners trade for their credential.
    pub kind: String,
    pub created_at: i64,
    pub last_used: Option<i64>,
    pub revoked: bool,
    /// The repositories it may act on; `None`: all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repos: Option<Vec<String>>,
}

/// One entry of the audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    /// Milliseconds since the epoch.
    pub at: i64,
    pub actor: String,
    /// `dispatch`, `token.create`, `token.revoke`, ...
    pub action: String,
    pub repo: Option<String>,
    /// What the call said (workflow, ref, inputs, ...), as JSON.
    pub detail: serde_json::Value,
    pub run_id: Option<i64>,
}

/// What the audit log is asked for.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub repo: Option<String>,
    /// Entries at or after this time (ms since the epoch).
    pub since: Option<i64>,
    pub limit: usize,
}

impl Store {
    /// Stores a token's digest under `name` with `kind` (a role's name, or `runner`).
    pub fn create_token(
        &mut self,
        name: &str,
        kind: &str,
        digest: &[u8],
    ) -> Result<i64, StoreError> {
        self.create_token_for(name, kind, digest, None)
    }

    /// [`Store::create_token`], limited to the repositories `repos` when given.
    pub fn create_token_for(
        &mut self,
        name: &str,
        kind: &str,
        digest: &[u8],
        repos: Option<&[String]>,
    ) -> Result<i64, StoreError> {
        let repos = repos.map(|r| serde_json::to_string(r).unwrap_or_else(|_| "[]".into()));
        self.db().query_row(
            "INSERT INTO tokens (name, kind, digest, created_at, repos) VALUES (?1, ?2, ?3, ?4, ?5) \
             RETURNING id",
            args![name, kind, digest, now_ms(), repos],
            |r| r.get(0),
        )
    }

    /// Creates the credential of runner `name` unless one that is not revoked exists; returns
    /// its id, or `None` when the name is taken. One transaction: two runners registering
    /// under one name at once get one credential between them.
    pub fn register_runner(
        &mut self,
        name: &str,
        digest: &[u8],
    ) -> Result<Option<i64>, StoreError> {
        self.db().write(|tx| {
            let taken: i64 = tx.query_row(
                "SELECT COUNT(*) FROM tokens WHERE name = ?1 AND kind = 'runner' AND revoked = 0",
                args![name],
                |r| r.get(0),
            )?;
            if taken > 0 {
                return Ok(None);
            }
            tx.query_row(
                "INSERT INTO tokens (name, kind, digest, created_at) VALUES (?1, 'runner', ?2, ?3) \
                 RETURNING id",
                args![name, digest, now_ms()],
                |r| r.get(0),
            )
            .map(Some)
        })
    }

    /// The owner of the token with this digest, if it exists and is not revoked; notes its
    /// use.
    pub fn token_by_digest(&mut self, digest: &[u8]) -> Result<Option<TokenRow>, StoreError> {
        let row = self.db().query_row_opt(
            "SELECT id, name, kind, created_at, last_used, revoked, repos FROM tokens \
             WHERE digest = ?1 AND revoked = 0",
            args![digest],
            token_row,
        )?;
        if let Some(t) = &row {
            self.db().execute(
                "UPDATE tokens SET last_used = ?2 WHERE id = ?1",
                args![t.id, now_ms()],
            )?;
        }
        Ok(row)
    }

    pub fn tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        self.db().query_map(
            "SELECT id, name, kind, created_at, last_used, revoked, repos FROM tokens ORDER BY id",
            &[],
            token_row,
        )
    }

    /// Revokes token `id`; `false` if there is none.
    pub fn revoke_token(&mut self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .db()
            .execute("UPDATE tokens SET revoked = 1 WHERE id = ?1", args![id])?
            == 1)
    }

    /// Appends an entry to the audit log.
    pub fn audit(
        &mut self,
        actor: &str,
        action: &str,
        repo: Option<&str>,
        detail: &serde_json::Value,
        run_id: Option<i64>,
    ) -> Result<i64, StoreError> {
        self.db().query_row(
            "INSERT INTO audit (at, actor, action, repo, detail, run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             RETURNING id",
            args![now_ms(), actor, action, repo, detail.to_string(), run_id],
            |r| r.get(0),
        )
    }

    /// Audit entries, newest first.
    pub fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
        let limit = if filter.limit == 0 { 100 } else { filter.limit } as i64;
        self.db().query_map(
            "SELECT id, at, actor, action, repo, detail, run_id FROM audit \
             WHERE (CAST(?1 AS TEXT) IS NULL OR repo = ?1) AND (CAST(?2 AS BIGINT) IS NULL OR at >= ?2) \
             ORDER BY id DESC LIMIT ?3",
            args![filter.repo, filter.since, limit],
            |r| {
                let detail: String = r.get(5)?;
                Ok(AuditRow {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    repo: r.get(4)?,
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                    run_id: r.get(6)?,
                })
            },
        )
    }
}

fn token_row(r: &Row) -> Result<TokenRow, StoreError> {
    Ok(TokenRow {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        created_at: r.get(3)?,
        last_used: r.get(4)?,
        revoked: r.get::<i64>(5)? != 0,
        repos: r
            .get::<Option<String>>(6)?
            .and_then(|list| serde_json::from_str(&list).ok()),
    })
}
