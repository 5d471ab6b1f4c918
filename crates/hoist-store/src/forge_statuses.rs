//! The commit statuses last posted to each repository's forge (GitHub's or Gitea's
//! commit-status API), so that a status is posted when it changes and not again.

use crate::db::args;
use crate::{Store, StoreError, now_ms};

impl Store {
    /// The states last posted for commit `sha` of `repo`, by context.
    pub fn posted_statuses(
        &self,
        repo: &str,
        sha: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        self.db().query_map(
            "SELECT context, state FROM forge_statuses WHERE repo = ?1 AND sha = ?2",
            args![repo, sha],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// Notes that the forge accepted `state` for `context` of commit `sha`.
    pub fn record_posted_status(
        &mut self,
        repo: &str,
        sha: &str,
        context: &str,
        state: &str,
    ) -> Result<(), StoreError> {
        self.db().execute(
            "INSERT INTO forge_statuses (repo, sha, context, state, posted_at) \
             VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (repo, sha, context) DO UPDATE SET state = ?4, posted_at = ?5",
            args![repo, sha, context, state, now_ms()],
        )?;
        Ok(())
    }
}
