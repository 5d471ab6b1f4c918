//! An application against its cluster: connect to its destination, render its revision,
//! prepare and compare, and open the store its history lives in. Shared by the `hoist app`
//! commands that need a cluster.

use std::collections::BTreeSet;

use anyhow::Context;
use hoist_deploy::Application;
use hoist_kube::live::{self, Compared, SyncStatus};
use hoist_kube::{Cluster, Target};
use hoist_render::Rendered;
use hoist_store::{Location, Store};

use crate::app_catalog::Catalog;

/// Connects to `app`'s destination cluster.
pub(crate) async fn connect(catalog: &Catalog, app: &Application) -> anyhow::Result<Cluster> {
    let d = &app.spec.destination;
    let target = Target {
        server: d.server.clone(),
        name: d.name.clone(),
    };
    hoist_kube::connect(&target, catalog.config.apps.kubeconfig.as_deref())
        .await
        .with_context(|| format!("application `{}`: health Unknown", app.metadata.name))
}

/// The store holding the sync history: `[server] database` when set (shared with the CI
/// server), else `hoist.db` in the data directory.
pub(crate) fn open_store(catalog: &Catalog) -> anyhow::Result<Store> {
    let location = match &catalog.config.server.database {
        Some(text) => Location::parse(text),
        None => Location::Sqlite(catalog.config.data_dir().join("hoist.db")),
    };
    if let Location::Sqlite(path) = &location
        && let Some(parent) = path.parent()
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create `{}`", parent.display()))?;
    }
    Store::open_at(&location).context("cannot open the sync history")
}

/// What an application looks like against its cluster.
pub(crate) struct Observed {
    pub(crate) rendered: Rendered,
    pub(crate) compared: Vec<Compared>,
}

impl Observed {
    pub(crate) fn status(&self) -> SyncStatus {
        live::app_status(&self.compared)
    }

    pub(crate) fn health(&self) -> hoist_deploy::health::Health {
        live::app_health(&self.compared)
    }
}

/// A render failure, shown as Argo CD shows it on the application.
pub(crate) fn comparison_error(app: &Application, e: &hoist_render::RenderError) -> anyhow::Error {
    anyhow::anyhow!(
        "application `{}`: ComparisonError: {e}\n  nothing was applied",
        app.metadata.name
    )
}

/// Renders `app` (at `revision`, or from `local`), prepares it for `cluster` and compares.
pub(crate) async fn observe(
    catalog: &Catalog,
    store: &Store,
    cluster: &Cluster,
    app: &Application,
    revision: Option<&str>,
    local: Option<&std::path::Path>,
) -> anyhow::Result<Observed> {
    let rendered = catalog
        .renderer
        .render(app, revision, local, cluster.facts())
        .map_err(|e| comparison_error(app, &e))?;
    let desired = live::prepare(cluster, app, &rendered.resources)
        .await
        .with_context(|| format!("application `{}`", app.metadata.name))?;
    let kinds: BTreeSet<(String, String)> = store.app_synced_kinds(&app.metadata.name)?;
    let compared = live::compare(cluster, app, &desired, &kinds)
        .await
        .with_context(|| format!("application `{}`", app.metadata.name))?;
    Ok(Observed { rendered, compared })
}

/// Who acts: `$HOIST_ACTOR`, else `$USER@host`.
pub(crate) fn actor(explicit: Option<&str>) -> String {
    if let Some(a) = explicit.filter(|a| !a.is_empty()) {
        return a.to_owned();
    }
    let user = std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "someone".into());
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".into());
    format!("{user}@{host}")
}

/// A runtime for the cluster commands.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// `GROUP KIND NAMESPACE NAME STATUS HEALTH HOOK MESSAGE` rows of a comparison.
pub(crate) fn resource_rows(compared: &[Compared]) -> Vec<Vec<String>> {
    compared
        .iter()
        .filter(|c| !c.hook || c.live.is_some())
        .map(|c| {
            let health = c.health.as_ref();
            vec![
                c.key.group.clone(),
                c.key.kind.clone(),
                c.key.namespace.clone(),
                c.key.name.clone(),
                if c.hook {
                    String::new()
                } else {
                    c.status.as_str().to_owned()
                },
                health
                    .map(|h| h.health.as_str().to_owned())
                    .unwrap_or_default(),
                if c.hook { "Hook".into() } else { String::new() },
                if c.message.is_empty() {
                    health.map(|h| h.message.clone()).unwrap_or_default()
                } else {
                    c.message.clone()
                },
            ]
        })
        .collect()
}

pub(crate) const RESOURCE_HEADER: [&str; 8] = [
    "GROUP",
    "KIND",
    "NAMESPACE",
    "NAME",
    "STATUS",
    "HEALTH",
    "HOOK",
    "MESSAGE",
];

/// The destination as `argocd app list` shows it.
pub(crate) fn cluster_label(app: &Application) -> String {
    let d = &app.spec.destination;
    d.name
        .clone()
        .or_else(|| d.server.clone())
        .unwrap_or_default()
}

pub(crate) fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

/// One `Key:  value` line of `app get` and `app sync` output, values in one column.
pub(crate) fn field(out: &mut String, key: &str, value: &str) {
    out.push_str(&format!("{:<20}{value}\n", format!("{key}:")));
}

/// The lines that name an application and where it goes, first in `get` and `sync`.
pub(crate) fn identity_fields(out: &mut String, app: &Application) {
    field(out, "Name", &app.metadata.name);
    field(
        out,
        "Project",
        app.spec.project.as_deref().unwrap_or("default"),
    );
    field(out, "Server", &cluster_label(app));
    field(out, "Namespace", app.destination_namespace().unwrap_or(""));
}
