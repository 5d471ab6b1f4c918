//! `hoist app get | diff | history | resources | delete`: what an application looks like in
//! its cluster, and removing it from there.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, bail};
use hoist_deploy::Application;
use hoist_deploy::manifest::{Resource, ResourceKey};
use hoist_kube::live::Compared;
use serde_json::Value;

use crate::app_catalog;
use crate::app_live::short;
use crate::app_live::{self, runtime};
use crate::cli::{
    AppDeleteArgs, AppDiffArgs, AppGetArgs, AppHistoryArgs, AppResourcesArgs, GetFormat,
};
use crate::commands::Outcome;
use crate::output;

pub(crate) fn get(args: &AppGetArgs) -> anyhow::Result<Outcome> {
    let catalog = app_catalog::load(&args.source)?;
    let app = catalog.find(&args.app)?;
    if args.refresh || args.hard_refresh {
        catalog.renderer.repos().refresh();
    }
    catalog.renderer.bypass_cache(args.hard_refresh);
    let rt = runtime()?;
    let store = app_live::open_store(&catalog)?;
    rt.block_on(async {
        let cluster = app_live::connect(&catalog, app).await?;
        let observed = app_live::observe(&catalog, &store, &cluster, app, None, None).await?;
        let format = if args.source.json { GetFormat::Json } else { args.output };
        match format {
            GetFormat::Json | GetFormat::Yaml => {
                let doc = serde_json::json!({
                    "metadata": {"name": app.metadata.name},
                    "spec": app.spec,
                    "status": {
                        "sync": {"status": observed.status().as_str(), "revision": observed.rendered.revision(), "revisions": observed.rendered.revisions.iter().map(|r| &r.commit).collect::<Vec<_>>()},
                        "health": {"status": observed.health().as_str()},
                        "resources": observed.compared.iter().map(resource_json).collect::<Vec<_>>(),
                        "history": store.app_history(&app.metadata.name, 10)?,
                    },
                });
                if format == GetFormat::Json {
                    output::stdout(&format!("{}\n", serde_json::to_string_pretty(&doc)?));
                } else {
                    output::stdout(&hoist_deploy::to_yaml(&doc));
                }
            }
            GetFormat::Wide | GetFormat::Tree => {
                let mut out = summary(app, &observed);
                out.push('\n');
                let mut rows = app_live::resource_rows(&observed.compared);
                if format == GetFormat::Tree {
                    rows = with_children(&cluster, &observed.compared, rows).await;
                }
                out.push_str(&crate::table::render(&app_live::RESOURCE_HEADER, &rows));
                output::stdout(&out);
            }
        }
        Ok(Outcome::Success)
    })
}

fn resource_json(c: &Compared) -> Value {
    serde_json::json!({
        "group": c.key.group, "kind": c.key.kind, "namespace": c.key.namespace, "name": c.key.name,
        "version": c.api_version.rsplit('/').next().unwrap_or_default(),
        "status": c.status.as_str(),
        "health": c.health.as_ref().map(|h| serde_json::json!({"status": h.health.as_str(), "message": h.message})),
        "hook": c.hook,
        "requiresPruning": c.requires_pruning,
    })
}

fn summary(app: &Application, observed: &app_live::Observed) -> String {
    let source = app.sources().first().copied().cloned().unwrap_or_default();
    let mut out = String::new();
    let field = app_live::field;
    app_live::identity_fields(&mut out, app);
    field(&mut out, "Repo", &source.repo_url);
    let target = source
        .target_revision
        .clone()
        .unwrap_or_else(|| "HEAD".into());
    field(&mut out, "Target", &target);
    field(&mut out, "Path", source.path.as_deref().unwrap_or("."));
    let policy = match app.automated() {
        Some(a) => format!(
            "Automated{}{}",
            if a.prune { " (Prune)" } else { "" },
            if a.self_heal { " (SelfHeal)" } else { "" }
        ),
        None => "Manual".into(),
    };
    field(&mut out, "Sync Policy", &policy);
    field(
        &mut out,
        "Sync Status",
        &format!(
            "{} to {target} ({})",
            observed.status().as_str(),
            short(observed.rendered.revision())
        ),
    );
    field(&mut out, "Health Status", observed.health().as_str());
    out
}

/// Rows with each workload's children (ReplicaSets, Pods) under it, found by owner.
async fn with_children(
    cluster: &hoist_kube::Cluster,
    compared: &[Compared],
    rows: Vec<Vec<String>>,
) -> Vec<Vec<String>> {
    let mut by_owner: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let namespaces: BTreeSet<String> = compared
        .iter()
        .map(|c| c.key.namespace.clone())
        .filter(|n| !n.is_empty())
        .collect();
    for (api_version, kind) in [
        ("apps/v1", "ReplicaSet"),
        ("v1", "Pod"),
        ("batch/v1", "Job"),
    ] {
        let Ok(k) = cluster.kind(api_version, kind).await else {
            continue;
        };
        let Ok(objects) = cluster.list_labeled(&k, "").await else {
            continue;
        };
        for o in objects {
            let ns = o
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !namespaces.contains(ns) {
                continue;
            }
            for owner in o
                .pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(uid) = owner.get("uid").and_then(Value::as_str) {
                    by_owner.entry(uid.to_owned()).or_default().push(o.clone());
                }
            }
        }
    }
    let mut out = Vec::new();
    for (row, c) in rows
        .into_iter()
        .zip(compared.iter().filter(|c| !c.hook || c.live.is_some()))
    {
        out.push(row);
        if let Some(uid) = c
            .live
            .as_ref()
            .and_then(|l| l.pointer("/metadata/uid"))
            .and_then(Value::as_str)
        {
            children(uid, &by_owner, 1, &mut out);
        }
    }
    out
}

fn children(
    uid: &str,
    by_owner: &BTreeMap<String, Vec<Value>>,
    depth: usize,
    out: &mut Vec<Vec<String>>,
) {
    let Some(list) = by_owner.get(uid) else {
        return;
    };
    for o in list {
        let Ok(r) = Resource::from_object(o.clone()) else {
            continue;
        };
        let health = hoist_deploy::health::assess(o);
        out.push(vec![
            r.key.group.clone(),
            format!("{}└─{}", "  ".repeat(depth - 1), r.key.kind),
            r.key.namespace.clone(),
            r.key.name.clone(),
            String::new(),
            health
                .as_ref()
                .map(|h| h.health.as_str().to_owned())
                .unwrap_or_default(),
            String::new(),
            health.map(|h| h.message).unwrap_or_default(),
        ]);
        if let Some(child) = o.pointer("/metadata/uid").and_then(Value::as_str) {
            children(child, by_owner, depth + 1, out);
        }
    }
}

pub(crate) fn diff(args: &AppDiffArgs) -> anyhow::Result<Outcome> {
    let catalog = app_catalog::load(&args.source)?;
    let app = catalog.find(&args.app)?;
    if args.refresh {
        catalog.renderer.repos().refresh();
    }
    let rt = runtime()?;
    let store = app_live::open_store(&catalog)?;
    rt.block_on(async {
        let cluster = app_live::connect(&catalog, app).await?;
        let observed = app_live::observe(
            &catalog,
            &store,
            &cluster,
            app,
            args.revision.as_deref(),
            args.local.as_deref(),
        )
        .await?;
        let mut text = String::new();
        let mut json = Vec::new();
        for c in observed.compared.iter().filter(|c| !c.hook) {
            let rules = hoist_deploy::diff::rules_for(&app.spec.ignore_differences, &c.key);
            let mut desired = c
                .predicted
                .as_ref()
                .map(|p| hoist_deploy::diff::normalize(p, &rules));
            let mut live = c
                .live
                .as_ref()
                .map(|l| hoist_deploy::diff::normalize(l, &rules));
            if c.desired.is_none() && !c.requires_pruning {
                continue;
            }
            if let (Some(d), Some(l)) = (desired.as_mut(), live.as_mut()) {
                hoist_deploy::diff::mask_secrets(&c.key, d, l);
            } else if let Some(d) = desired.as_mut() {
                hoist_deploy::diff::mask_secrets(&c.key, d, &mut Value::Null);
            } else if let Some(l) = live.as_mut() {
                hoist_deploy::diff::mask_secrets(&c.key, &mut Value::Null, l);
            }
            if let Some(d) = hoist_deploy::diff::render(&c.key, desired.as_ref(), live.as_ref()) {
                text.push_str(&d);
                text.push('\n');
                json.push(serde_json::json!({"resource": resource_json(c), "diff": d}));
            }
        }
        if args.source.json {
            output::stdout(&format!("{}\n", serde_json::to_string_pretty(&json)?));
        } else {
            output::stdout(&text);
        }
        Ok(if json.is_empty() {
            Outcome::Success
        } else {
            Outcome::Failure
        })
    })
}

pub(crate) fn history(args: &AppHistoryArgs) -> anyhow::Result<Outcome> {
    let catalog = app_catalog::load(&args.source)?;
    let app = catalog.find(&args.app)?;
    let store = app_live::open_store(&catalog)?;
    let rows = store.app_history(&app.metadata.name, 1000)?;
    if args.source.json {
        output::stdout(&format!("{}\n", serde_json::to_string_pretty(&rows)?));
        return Ok(Outcome::Success);
    }
    if rows.is_empty() {
        output::stdout(&format!(
            "application `{}` was never synced; `hoist app sync {}` does\n",
            app.metadata.name, app.metadata.name
        ));
        return Ok(Outcome::Success);
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .rev()
        .map(|r| {
            let date = jiff::Timestamp::from_millisecond(r.started_at)
                .map(|t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
                .unwrap_or_default();
            let how = match (r.automated, r.rollback_of) {
                (_, Some(id)) => format!("rollback to {id}"),
                (true, None) => "automated".into(),
                (false, None) => "manual".into(),
            };
            vec![
                r.number.to_string(),
                date,
                r.revision.clone(),
                r.phase.clone(),
                r.initiated_by.clone(),
                how,
            ]
        })
        .collect();
    output::stdout(&crate::table::render(
        &["ID", "DATE", "REVISION", "PHASE", "INITIATED BY", "HOW"],
        &table,
    ));
    Ok(Outcome::Success)
}

pub(crate) fn resources(args: &AppResourcesArgs) -> anyhow::Result<Outcome> {
    let catalog = app_catalog::load(&args.source)?;
    let app = catalog.find(&args.app)?;
    let rt = runtime()?;
    let store = app_live::open_store(&catalog)?;
    rt.block_on(async {
        let cluster = app_live::connect(&catalog, app).await?;
        let observed = app_live::observe(&catalog, &store, &cluster, app, None, None).await?;
        let mut rows = Vec::new();
        let mut json = Vec::new();
        if args.orphaned {
            let Some(namespace) = app.destination_namespace() else {
                bail!("application `{}` has no destination namespace to look for orphans in", app.metadata.name);
            };
            let tracked: BTreeSet<ResourceKey> = observed.compared.iter().map(|c| c.key.clone()).collect();
            for kind in cluster.listable_kinds().into_iter().filter(|k| k.namespaced) {
                // Objects that controllers make for others, and the namespace's own
                // bookkeeping, are never orphans (as Argo CD ignores them).
                if matches!(kind.resource.kind.as_str(), "Pod" | "ReplicaSet" | "Event" | "Endpoints" | "EndpointSlice" | "ControllerRevision" | "Lease" | "ServiceAccount" | "Binding" | "LocalSubjectAccessReview" | "TokenReview" | "PodMetrics")
                    || kind.resource.plural.contains('/')
                {
                    continue;
                }
                for o in cluster.list_labeled(&kind, "").await? {
                    let Ok(r) = Resource::from_object(o.clone()) else { continue };
                    if r.key.namespace != namespace || tracked.contains(&r.key) || has_owner(&o) || r.key.name == "kube-root-ca.crt" {
                        continue;
                    }
                    if hoist_deploy::manifest::annotation(&o, hoist_deploy::TRACKING_ANNOTATION).is_some() {
                        continue;
                    }
                    rows.push(vec![r.key.group.clone(), r.key.kind.clone(), r.key.namespace.clone(), r.key.name.clone(), "Yes".into()]);
                    json.push(serde_json::json!({"group": r.key.group, "kind": r.key.kind, "namespace": r.key.namespace, "name": r.key.name, "orphaned": true}));
                }
            }
        } else {
            for c in observed.compared.iter().filter(|c| c.live.is_some()) {
                rows.push(vec![c.key.group.clone(), c.key.kind.clone(), c.key.namespace.clone(), c.key.name.clone(), "No".into()]);
                json.push(resource_json(c));
            }
        }
        if args.source.json {
            output::stdout(&format!("{}\n", serde_json::to_string_pretty(&json)?));
        } else {
            output::stdout(&crate::table::render(&["GROUP", "KIND", "NAMESPACE", "NAME", "ORPHANED"], &rows));
        }
        Ok(Outcome::Success)
    })
}

fn has_owner(o: &Value) -> bool {
    o.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
}

pub(crate) fn delete(args: &AppDeleteArgs) -> anyhow::Result<Outcome> {
    let catalog = app_catalog::load(&args.source)?;
    let app = catalog.find(&args.app)?;
    if !args.yes {
        bail!(
            "deleting `{}` removes every resource it tracks from the cluster\n  hint: pass `--yes` to confirm",
            app.metadata.name
        );
    }
    let rt = runtime()?;
    let store = app_live::open_store(&catalog)?;
    rt.block_on(async {
        let cluster = app_live::connect(&catalog, app).await?;
        let mut kinds = store.app_synced_kinds(&app.metadata.name)?;
        // What it renders now may name kinds no recorded sync applied.
        if let Ok(rendered) = catalog.renderer.render(app, None, None, cluster.facts()) {
            kinds.extend(
                rendered
                    .resources
                    .iter()
                    .map(|r| (r.api_version.clone(), r.key.kind.clone())),
            );
        }
        let tracked = hoist_kube::live::tracked(&cluster, &app.metadata.name, &kinds).await?;
        let mut deleted = Vec::new();
        for o in &tracked {
            let r = Resource::from_object(o.clone()).map_err(|e| anyhow::anyhow!(e))?;
            cluster
                .delete(&r.api_version, &r.key)
                .await
                .with_context(|| format!("application `{}`", app.metadata.name))?;
            output::stderr(&format!(
                "deleted {} {}/{}\n",
                r.key.kind, r.key.namespace, r.key.name
            ));
            deleted.push(r.key);
        }
        if args.source.json {
            output::stdout(&format!("{}\n", serde_json::to_string_pretty(&deleted)?));
        } else {
            output::stdout(&format!(
                "application `{}`: {} resource(s) deleted\n",
                app.metadata.name,
                deleted.len()
            ));
        }
        Ok(Outcome::Success)
    })
}
