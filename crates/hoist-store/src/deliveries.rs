//! Webhook deliveries a server received: each by the forge's delivery id, so that a
//! redelivery is recognised and acted on once, and every rejected one stays visible with
//! its reason (`hoist hooks deliveries`).

use serde::{Deserialize, Serialize};

use crate::db::args;
use crate::{Store, StoreError, now_ms};

/// One delivery and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub id: String,
    /// Milliseconds since the epoch.
    pub received_at: i64,
    /// `github`, `gitea` or `forgejo`.
    pub forge: String,
    pub event: String,
    pub repo: Option<String>,
    /// `accepted` (acted on), `ignored` (nothing to do, or a redelivery) or `rejected`.
    pub status: String,
    pub reason: Option<String>,
    /// The runs it started.
    pub runs: Vec<i64>,
}

/// A delivery as first recorded.
#[derive(Clone, Debug)]
pub struct NewDelivery<'a> {
    pub id: &'a str,
    pub forge: &'a str,
    pub event: &'a str,
    pub repo: Option<&'a str>,
    pub status: &'a str,
    pub reason: Option<&'a str>,
    /// The headers that matter and the body as it came, kept for a redelivery.
    pub kept: Option<(&'a serde_json::Value, &'a [u8])>,
}

impl Store {
    /// Records a delivery; `false` when one with this id was recorded before (a redelivery),
    /// which is left as it was.
    pub fn record_delivery(&mut self, d: &NewDelivery<'_>) -> Result<bool, StoreError> {
        // One statement with the body: a delivery costs one commit on the answer's path.
        let (headers, body) = match d.kept {
            Some((headers, body)) => (Some(headers.to_string()), Some(body.to_vec())),
            None => (None, None),
        };
        Ok(self.db().execute(
            "INSERT INTO deliveries (id, received_at, forge, event, repo, status, reason, headers, body) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (id) DO NOTHING",
            args![d.id, now_ms(), d.forge, d.event, d.repo, d.status, d.reason, headers, body],
        )? == 1)
    }

    /// The status of delivery `id`, if it was received.
    pub fn delivery_status(&self, id: &str) -> Result<Option<String>, StoreError> {
        self.db().query_row_opt(
            "SELECT status FROM deliveries WHERE id = ?1",
            args![id],
            |r| r.get(0),
        )
    }

    /// What acting on delivery `id` came to.
    pub fn finish_delivery(
        &mut self,
        id: &str,
        status: &str,
        reason: Option<&str>,
        runs: &[i64],
    ) -> Result<(), StoreError> {
        self.db().execute(
            "UPDATE deliveries SET status = ?2, reason = ?3, runs = ?4 WHERE id = ?1",
            args![
                id,
                status,
                reason,
                serde_json::to_string(runs).unwrap_or_else(|_| "[]".into())
            ],
        )?;
        Ok(())
    }

    /// Deliveries, newest first; only rejected ones with `failed`.
    pub fn deliveries(&self, failed: bool, limit: usize) -> Result<Vec<DeliveryRow>, StoreError> {
        self.db().query_map(
            "SELECT id, received_at, forge, event, repo, status, reason, runs FROM deliveries \
             WHERE (?1 = 0 OR status = 'rejected') ORDER BY received_at DESC, id LIMIT ?2",
            args![failed, limit.max(1) as i64],
            |r| {
                let runs: String = r.get(7)?;
                Ok(DeliveryRow {
                    id: r.get(0)?,
                    received_at: r.get(1)?,
                    forge: r.get(2)?,
                    event: r.get(3)?,
                    repo: r.get(4)?,
                    status: r.get(5)?,
                    reason: r.get(6)?,
                    runs: serde_json::from_str(&runs).unwrap_or_default(),
                })
            },
        )
    }

    /// Keeps what delivery `id` carried (the headers that matter, as JSON, and the raw body),
    /// for `hoist hooks redeliver`.
    pub fn keep_delivery_body(
        &mut self,
        id: &str,
        headers: &serde_json::Value,
        body: &[u8],
    ) -> Result<(), StoreError> {
        self.db().execute(
            "UPDATE deliveries SET headers = ?2, body = ?3 WHERE id = ?1",
            args![id, headers.to_string(), body.to_vec()],
        )?;
        Ok(())
    }

    /// What delivery `id` carried: its forge, headers and body, if kept.
    pub fn delivery_body(
        &self,
        id: &str,
    ) -> Result<Option<(String, serde_json::Value, Vec<u8>)>, StoreError> {
        let found: Option<(String, Option<String>, Option<Vec<u8>>)> = self.db().query_row_opt(
            "SELECT forge, headers, body FROM deliveries WHERE id = ?1",
            args![id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        Ok(found.and_then(|(forge, headers, body)| {
            let headers = serde_json::from_str(headers.as_deref()?).ok()?;
            Some((forge, headers, body?))
        }))
    }
}
