//! One sync of one application as Hoist runs it everywhere (`app sync`, `app rollback`, the
//! reconciler): render the revision, prepare it for the cluster, record the sync in the
//! store before it starts, run it, and record how it ended.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::Context;
use hoist_deploy::Application;
use hoist_kube::Cluster;
use hoist_kube::live;
use hoist_kube::sync::{SyncOutcome, SyncRequest};
use hoist_store::{NewAppSync, Store};

use crate::app_catalog::Catalog;
use crate::app_live;
use crate::output;

/// How to sync, beyond what the application says.
pub(crate) struct SyncHow<'a> {
    pub(crate) revision: Option<&'a str>,
    pub(crate) prune: bool,
    pub(crate) dry_run: bool,
    pub(crate) force: bool,
    pub(crate) selectors: &'a [String],
    pub(crate) timeout: Duration,
    pub(crate) actor: String,
    pub(crate) automated: bool,
    pub(crate) rollback_of: Option<i64>,
}

pub(crate) struct SyncReport {
    pub(crate) revision: String,
    pub(crate) history_id: Option<i64>,
    pub(crate) text: String,
}

/// Renders, syncs and records one application.
pub(crate) async fn sync_one(
    catalog: &Catalog,
    store: &mut Store,
    app: &Application,
    how: &SyncHow<'_>,
) -> anyhow::Result<(SyncOutcome, SyncReport)> {
    let cluster = app_live::connect(catalog, app).await?;
    sync_on(catalog, store, &cluster, app, how).await
}

/// [`sync_one`] on a cluster already connected (the reconciler keeps its connections).
pub(crate) async fn sync_on(
    catalog: &Catalog,
    store: &mut Store,
    cluster: &Cluster,
    app: &Application,
    how: &SyncHow<'_>,
) -> anyhow::Result<(SyncOutcome, SyncReport)> {
    let started = jiff::Timestamp::now();
    let rendered = catalog
        .renderer
        .render(app, how.revision, None, cluster.facts())
        .map_err(|e| app_live::comparison_error(app, &e))?;
    let desired = live::prepare(cluster, app, &rendered.resources)
        .await
        .with_context(|| format!("application `{}`", app.metadata.name))?;
    let previous_kinds = store.app_synced_kinds(&app.metadata.name)?;
    let revisions: Vec<String> = rendered
        .revisions
        .iter()
        .map(|r| r.commit.clone())
        .collect();
    let digest = hoist_deploy::manifest::digest(&rendered.resources);
    let record = if how.dry_run {
        None
    } else {
        Some(store.begin_app_sync(&NewAppSync {
            app: &app.metadata.name,
            revisions: &revisions,
            initiated_by: &how.actor,
            automated: how.automated,
            digest: &digest,
            rollback_of: how.rollback_of,
        })?)
    };
    let req = SyncRequest {
        app,
        desired: desired.clone(),
        prune: how.prune,
        dry_run: how.dry_run,
        force: how.force,
        selectors: how.selectors.to_vec(),
        timeout: how.timeout,
        previous_kinds,
    };
    let name = app.metadata.name.clone();
    let quiet = how.automated;
    let outcome = hoist_kube::sync::sync(cluster, &req, &move |line: &str| {
        if !quiet {
            output::stderr(&format!("{name}: {line}\n"));
        }
    })
    .await;
    if let Some(r) = &record {
        let kinds: BTreeSet<(String, String)> = desired
            .iter()
            .map(|d| (d.api_version.clone(), d.key.kind.clone()))
            .collect();
        store.finish_app_sync(r.id, outcome.phase.as_str(), &outcome.message, &kinds)?;
        let detail = serde_json::json!({
            "application": app.metadata.name, "history_id": r.number, "revision": rendered.revision(),
            "phase": outcome.phase.as_str(), "message": outcome.message, "automated": how.automated,
        });
        store.audit(&how.actor, "app.sync", None, &detail, None)?;
        store.trim_app_history(
            &app.metadata.name,
            app.spec.revision_history_limit.unwrap_or(10),
        )?;
    }
    let finished = jiff::Timestamp::now();
    let text = operation_text(app, rendered.revision(), &outcome, started, finished);
    Ok((
        outcome,
        SyncReport {
            revision: rendered.revision().to_owned(),
            history_id: record.map(|r| r.number),
            text,
        },
    ))
}

fn operation_text(
    app: &Application,
    revision: &str,
    outcome: &SyncOutcome,
    started: jiff::Timestamp,
    finished: jiff::Timestamp,
) -> String {
    let secs = finished
        .as_millisecond()
        .saturating_sub(started.as_millisecond()) as f64
        / 1000.0;
    let mut out = String::new();
    let field = app_live::field;
    app_live::identity_fields(&mut out, app);
    field(&mut out, "Sync Revision", revision);
    field(&mut out, "Operation", "Sync");
    field(&mut out, "Phase", outcome.phase.as_str());
    field(
        &mut out,
        "Start",
        &started.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
    );
    field(
        &mut out,
        "Finished",
        &finished.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
    );
    field(&mut out, "Duration", &format!("{secs:.1}s"));
    field(&mut out, "Message", &outcome.message);
    out.push('\n');
    let rows: Vec<Vec<String>> = outcome
        .results
        .iter()
        .map(|r| {
            vec![
                r.key.group.clone(),
                r.key.kind.clone(),
                r.key.namespace.clone(),
                r.key.name.clone(),
                r.status.clone(),
                r.health.map(|h| h.as_str().to_owned()).unwrap_or_default(),
                r.hook.map(|p| p.as_str().to_owned()).unwrap_or_default(),
                r.message.clone(),
            ]
        })
        .collect();
    out.push_str(&crate::table::render(&app_live::RESOURCE_HEADER, &rows));
    out
}
