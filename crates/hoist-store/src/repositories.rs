//! Repositories registered at run time and the settings of every repository: a server's
//! configuration names some repositories, `hoist repo create` adds hosted ones, and
//! `hoist repo set` / `hoist repo protect` change the settings of either. Kept in the
//! database so that every server sharing it sees the same repositories and rules.

use serde::{Deserialize, Serialize};

use crate::db::args;
use crate::{Store, StoreError, now_ms};

/// What can be set of a repository through the API (the configuration sets the same, and
/// what is set here wins).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoSettings {
    /// Its name on its forge (`acme/platform`), matched against webhooks'
    /// `repository.full_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forge_name: Option<String>,
    /// The secret webhook deliveries are signed with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_branch: Option<String>,
    /// Protected branches and the checks each requires.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub protections: Vec<Protection>,
    /// Where commit statuses are posted back (a forge's API base, GitHub or Gitea shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_api: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_token: Option<String>,
}

/// A protected branch (a name or a pattern with `*`) and the checks a commit needs before
/// it may become the branch's head, as GitHub shows them (`CI / Lint`; `*` matches any text,
/// for matrix legs).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protection {
    pub branch: String,
    pub require: Vec<String>,
}

/// A repository the database knows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoryRow {
    pub name: String,
    /// Created by `hoist repo create`: a bare repository in the server's data directory.
    pub hosted: bool,
    pub settings: RepoSettings,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    pub created_by: String,
}

fn row(r: &crate::db::Row) -> Result<RepositoryRow, StoreError> {
    let hosted: i64 = r.get(1)?;
    let settings: String = r.get(2)?;
    Ok(RepositoryRow {
        name: r.get(0)?,
        hosted: hosted != 0,
        settings: serde_json::from_str(&settings).unwrap_or_default(),
        created_at: r.get(3)?,
        created_by: r.get(4)?,
    })
}

impl Store {
    /// Registers hosted repository `name`; `false` when a repository of that name is known
    /// already (nothing changes then).
    pub fn create_repository(&mut self, name: &str, created_by: &str) -> Result<bool, StoreError> {
        Ok(self.db().execute(
            "INSERT INTO repositories (name, hosted, settings, created_at, created_by) \
             VALUES (?1, 1, '{}', ?2, ?3) ON CONFLICT (name) DO NOTHING",
            args![name, now_ms(), created_by],
        )? == 1)
    }

    /// Every repository the database knows (hosted ones, and configured ones with settings).
    pub fn repositories(&self) -> Result<Vec<RepositoryRow>, StoreError> {
        self.db().query_map(
            "SELECT name, hosted, settings, created_at, created_by FROM repositories ORDER BY name",
            args![],
            row,
        )
    }

    /// Changes the settings of repository `name` with `change` (in one transaction, so two
    /// changes at once both land) and returns them; a configured repository gets its row on
    /// the first change.
    pub fn update_repo_settings(
        &mut self,
        name: &str,
        by: &str,
        change: impl FnOnce(&mut RepoSettings),
    ) -> Result<RepoSettings, StoreError> {
        self.db().write(|tx| {
            let current: Option<String> = tx.query_row_opt(
                "SELECT settings FROM repositories WHERE name = ?1",
                args![name],
                |r| r.get(0),
            )?;
            let mut settings: RepoSettings = current
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_default();
            change(&mut settings);
            let text = serde_json::to_string(&settings).unwrap_or_else(|_| "{}".into());
            tx.execute(
                "INSERT INTO repositories (name, hosted, settings, created_at, created_by) \
                 VALUES (?1, 0, ?2, ?3, ?4) ON CONFLICT (name) DO UPDATE SET settings = ?2",
                args![name, text, now_ms(), by],
            )?;
            Ok(settings)
        })
    }
}
