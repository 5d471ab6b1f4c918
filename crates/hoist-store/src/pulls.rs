//! Pull requests: those of hosted repositories (opened with `hoist pr open` or a push with
//! `-o pr`) and those a forge's webhooks told about. Numbered per repository; each keeps
//! the commits its runs use (head, base, and the merge commit the server made of them).

use serde::{Deserialize, Serialize};

use crate::db::args;
use crate::{Store, StoreError, now_ms};

/// One pull request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRow {
    pub repo: String,
    pub number: i64,
    pub title: String,
    pub author: String,
    /// Branch names, without `refs/heads/`.
    pub head_ref: String,
    pub base_ref: String,
    pub head_sha: String,
    pub base_sha: String,
    /// The test merge of head into base; `None` when they conflict.
    pub merge_sha: Option<String>,
    /// `open`, `closed` or `merged`.
    pub state: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub merged_at: Option<i64>,
    pub merged_by: Option<String>,
}

/// A pull request as it is opened (or as a forge reports it).
#[derive(Clone, Debug)]
pub struct NewPull<'a> {
    pub repo: &'a str,
    /// A forge's number; `None`: the repository's next one.
    pub number: Option<i64>,
    pub title: &'a str,
    pub author: &'a str,
    pub head_ref: &'a str,
    pub base_ref: &'a str,
    pub head_sha: &'a str,
    pub base_sha: &'a str,
    pub merge_sha: Option<&'a str>,
}

const COLUMNS: &str = "repo, number, title, author, head_ref, base_ref, head_sha, base_sha, \
     merge_sha, state, created_at, updated_at, merged_at, merged_by";

fn row(r: &crate::db::Row) -> Result<PullRow, StoreError> {
    Ok(PullRow {
        repo: r.get(0)?,
        number: r.get(1)?,
        title: r.get(2)?,
        author: r.get(3)?,
        head_ref: r.get(4)?,
        base_ref: r.get(5)?,
        head_sha: r.get(6)?,
        base_sha: r.get(7)?,
        merge_sha: r.get(8)?,
        state: r.get(9)?,
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
        merged_at: r.get(12)?,
        merged_by: r.get(13)?,
    })
}

impl Store {
    /// Records pull request `p` as open: under the repository's next number, or under the
    /// forge's number (a pull request the forge told about before is brought up to date and
    /// opened again).
    pub fn open_pull(&mut self, p: &NewPull<'_>) -> Result<PullRow, StoreError> {
        let number = self.db().write(|tx| {
            let number = match p.number {
                Some(n) => n,
                None => tx.query_row(
                    "SELECT COALESCE(MAX(number), 0) + 1 FROM pulls WHERE repo = ?1",
                    args![p.repo],
                    |r| r.get(0),
                )?,
            };
            let now = now_ms();
            tx.execute(
                "INSERT INTO pulls (repo, number, title, author, head_ref, base_ref, head_sha, \
                 base_sha, merge_sha, state, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'open', ?10, ?10) \
                 ON CONFLICT (repo, number) DO UPDATE SET title = ?3, head_ref = ?5, \
                 base_ref = ?6, head_sha = ?7, base_sha = ?8, merge_sha = ?9, state = 'open', \
                 updated_at = ?10, merged_at = NULL, merged_by = NULL",
                args![
                    p.repo,
                    number,
                    p.title,
                    p.author,
                    p.head_ref,
                    p.base_ref,
                    p.head_sha,
                    p.base_sha,
                    p.merge_sha,
                    now
                ],
            )?;
            Ok(number)
        })?;
        self.pull(p.repo, number)?.ok_or(StoreError::NoRow)
    }

    /// Pull request `number` of `repo`.
    pub fn pull(&self, repo: &str, number: i64) -> Result<Option<PullRow>, StoreError> {
        self.db().query_row_opt(
            &format!("SELECT {COLUMNS} FROM pulls WHERE repo = ?1 AND number = ?2"),
            args![repo, number],
            row,
        )
    }

    /// The pull requests of `repo` (only those in `state`, if given), newest first.
    pub fn pulls(&self, repo: &str, state: Option<&str>) -> Result<Vec<PullRow>, StoreError> {
        self.db().query_map(
            &format!(
                "SELECT {COLUMNS} FROM pulls WHERE repo = ?1 AND (CAST(?2 AS TEXT) IS NULL OR state = ?2) \
                 ORDER BY number DESC"
            ),
            args![repo, state],
            row,
        )
    }

    /// The open pull requests of `repo` whose head or base is branch `branch`.
    pub fn open_pulls_touching(
        &self,
        repo: &str,
        branch: &str,
    ) -> Result<Vec<PullRow>, StoreError> {
        self.db().query_map(
            &format!(
                "SELECT {COLUMNS} FROM pulls WHERE repo = ?1 AND state = 'open' \
                 AND (head_ref = ?2 OR base_ref = ?2) ORDER BY number"
            ),
            args![repo, branch],
            row,
        )
    }

    /// New commits of an open pull request (its head or its base moved).
    pub fn update_pull_commits(
        &mut self,
        repo: &str,
        number: i64,
        head_sha: &str,
        base_sha: &str,
        merge_sha: Option<&str>,
    ) -> Result<(), StoreError> {
        self.db().execute(
            "UPDATE pulls SET head_sha = ?3, base_sha = ?4, merge_sha = ?5, updated_at = ?6 \
             WHERE repo = ?1 AND number = ?2",
            args![repo, number, head_sha, base_sha, merge_sha, now_ms()],
        )?;
        Ok(())
    }

    /// Closes pull request `number` (`merged`: by `by`); `false` when it was not open.
    pub fn close_pull(
        &mut self,
        repo: &str,
        number: i64,
        merged: bool,
        by: &str,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let (state, merged_at, merged_by) = if merged {
            ("merged", Some(now), Some(by))
        } else {
            ("closed", None, None)
        };
        Ok(self.db().execute(
            "UPDATE pulls SET state = ?3, updated_at = ?4, merged_at = ?5, merged_by = ?6 \
             WHERE repo = ?1 AND number = ?2 AND state = 'open'",
            args![repo, number, state, now, merged_at, merged_by],
        )? == 1)
    }
}
