//! Desired against live for one application: preparing rendered objects for the cluster
//! (namespace, tracking), finding the live objects it tracks, and comparing both as Argo CD
//! does (a server-side-apply dry run of the desired object against the live one, both
//! normalised).

use std::collections::{BTreeMap, BTreeSet};

use hoist_deploy::application::Application;
use hoist_deploy::manifest::{self, Resource, ResourceKey};
use hoist_deploy::{diff, health, order};
use serde::Serialize;
use serde_json::Value;

use crate::{APP_LABEL, Cluster, KubeError};

/// Whether a resource matches Git.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum SyncStatus {
    Synced,
    OutOfSync,
    Unknown,
}

impl SyncStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncStatus::Synced => "Synced",
            SyncStatus::OutOfSync => "OutOfSync",
            SyncStatus::Unknown => "Unknown",
        }
    }
}

/// One resource of the comparison.
#[derive(Clone, Debug, Serialize)]
pub struct Compared {
    pub key: ResourceKey,
    pub api_version: String,
    /// As rendered and prepared; `None` for a tracked object no longer rendered.
    pub desired: Option<Value>,
    pub live: Option<Value>,
    /// What the desired object becomes when applied (a dry run); the desired object itself
    /// when the dry run cannot run (its namespace does not exist yet).
    pub predicted: Option<Value>,
    pub status: SyncStatus,
    pub health: Option<health::Status>,
    /// A hook: created by syncs, never compared.
    pub hook: bool,
    /// Tracked but no longer rendered, and allowed to be pruned.
    pub requires_pruning: bool,
    pub message: String,
}

/// Sets what the cluster needs on each rendered object: the destination namespace on
/// namespaced kinds without one (cluster-scoped kinds lose a namespace they were given), and
/// the tracking annotation and label.
pub async fn prepare(
    cluster: &Cluster,
    app: &Application,
    resources: &[Resource],
) -> Result<Vec<Resource>, KubeError> {
    let mut out = Vec::new();
    for r in resources {
        let mut r = r.clone();
        let kind = cluster.kind(&r.api_version, &r.key.kind).await?;
        if kind.namespaced {
            if r.key.namespace.is_empty() {
                match app.destination_namespace() {
                    Some(ns) => r.set_namespace(ns),
                    None => {
                        return Err(KubeError::NoNamespace {
                            object: format!("{}/{}", r.key.kind, r.key.name),
                        });
                    }
                }
            }
        } else if !r.key.namespace.is_empty() {
            r.key.namespace.clear();
            if let Some(meta) = r.object.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.remove("namespace");
            }
        }
        fill_list_map_keys(&mut r.object);
        r.track(&app.metadata.name);
        if let Some(meta) = r.object.get_mut("metadata").and_then(Value::as_object_mut) {
            let labels = meta
                .entry("labels")
                .or_insert_with(|| Value::Object(Default::default()));
            if let Some(l) = labels.as_object_mut() {
                l.insert(
                    APP_LABEL.to_owned(),
                    Value::String(label_value(&app.metadata.name)),
                );
            }
        }
        out.push(r);
    }
    Ok(out)
}

/// Sets `protocol: TCP` on ports that omit it, in Services and Pod templates.
///
/// `protocol` is a key of those lists for server-side apply, and API servers before 1.22
/// refuse an apply whose list element omits a key even though they would default it
/// ("associative list with keys has an element that omits key field"). TCP is that default,
/// so the object means the same either way (Flux fills the same keys for the same reason).
pub fn fill_list_map_keys(object: &mut Value) {
    fn ports(list: Option<&mut Value>) {
        for port in list.and_then(Value::as_array_mut).into_iter().flatten() {
            if let Some(p) = port.as_object_mut() {
                p.entry("protocol")
                    .or_insert_with(|| Value::String("TCP".into()));
            }
        }
    }
    fn pod_spec(spec: Option<&mut Value>) {
        let Some(spec) = spec else { return };
        for field in ["containers", "initContainers", "ephemeralContainers"] {
            for c in spec
                .get_mut(field)
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                ports(c.get_mut("ports"));
            }
        }
    }
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    match kind.as_str() {
        "Service" => ports(object.pointer_mut("/spec/ports")),
        "Pod" => pod_spec(object.get_mut("spec")),
        "CronJob" => pod_spec(object.pointer_mut("/spec/jobTemplate/spec/template/spec")),
        _ => pod_spec(object.pointer_mut("/spec/template/spec")),
    }
}

/// A label value for an application name (label values stop at 63 characters).
pub fn label_value(app: &str) -> String {
    if app.len() <= 63 {
        return app.to_owned();
    }
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    app.hash(&mut h);
    format!("{}-{:016x}", &app[..46], h.finish())
}

/// The live objects `app` tracks among the kinds in `kinds` (`(apiVersion, kind)`).
pub async fn tracked(
    cluster: &Cluster,
    app: &str,
    kinds: &BTreeSet<(String, String)>,
) -> Result<Vec<Value>, KubeError> {
    let selector = format!("{APP_LABEL}={}", label_value(app));
    let mut out = Vec::new();
    for (api_version, kind) in kinds {
        let Ok(k) = cluster.kind(api_version, kind).await else {
            continue;
        };
        for object in cluster.list_labeled(&k, &selector).await? {
            if manifest::is_tracked_by(&object, app) {
                out.push(object);
            }
        }
    }
    Ok(out)
}

/// Compares the prepared `desired` objects with the cluster. `extra_kinds` are kinds the
/// application synced before (so an object whose kind is no longer rendered is found for
/// pruning).
pub async fn compare(
    cluster: &Cluster,
    app: &Application,
    desired: &[Resource],
    extra_kinds: &BTreeSet<(String, String)>,
) -> Result<Vec<Compared>, KubeError> {
    let mut kinds: BTreeSet<(String, String)> = extra_kinds.clone();
    for r in desired {
        kinds.insert((r.api_version.clone(), r.key.kind.clone()));
    }
    let mut live_by_key: BTreeMap<ResourceKey, Value> = BTreeMap::new();
    for object in tracked(cluster, &app.metadata.name, &kinds).await? {
        if let Ok(r) = Resource::from_object(object.clone()) {
            live_by_key.insert(r.key, object);
        }
    }
    let mut out = Vec::new();
    for r in desired {
        let hook = !matches!(order::role(r), order::Role::Resource);
        let live = match live_by_key.remove(&r.key) {
            Some(l) => Some(l),
            // Not tracked (yet): it may exist untracked, and the apply will adopt it.
            None if !hook => cluster.get(&r.api_version, &r.key).await?,
            None => None,
        };
        if hook {
            let health = live.as_ref().and_then(health::assess);
            out.push(Compared {
                key: r.key.clone(),
                api_version: r.api_version.clone(),
                desired: Some(r.object.clone()),
                live,
                predicted: None,
                status: SyncStatus::Synced,
                health,
                hook: true,
                requires_pruning: false,
                message: String::new(),
            });
            continue;
        }
        let (predicted, message) = match cluster.apply(&r.object, true).await {
            Ok(p) => (p, String::new()),
            // Not there yet (its namespace may not exist), or a change the API server
            // refuses in place (an immutable field): compared as rendered, with the reason.
            Err(KubeError::Rejected { message, .. }) => (r.object.clone(), message),
            Err(e) => return Err(e),
        };
        let rules = diff::rules_for(&app.spec.ignore_differences, &r.key);
        let status = match &live {
            None => SyncStatus::OutOfSync,
            Some(l) => {
                if diff::normalize(&predicted, &rules) == diff::normalize(l, &rules) {
                    SyncStatus::Synced
                } else {
                    SyncStatus::OutOfSync
                }
            }
        };
        let health = match &live {
            Some(l) => health::assess(l),
            None => Some(health::Status {
                health: health::Health::Missing,
                message: String::new(),
            }),
        };
        out.push(Compared {
            key: r.key.clone(),
            api_version: r.api_version.clone(),
            desired: Some(r.object.clone()),
            live,
            predicted: Some(predicted),
            status,
            health,
            hook: false,
            requires_pruning: false,
            message,
        });
    }
    // What is left is tracked but no longer rendered.
    for (key, live) in live_by_key {
        let api_version = live
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        out.push(no_longer_rendered(key, api_version, live));
    }
    Ok(out)
}

/// A live object the application tracks but no longer renders: OutOfSync, and left for
/// pruning unless it says `Prune=false`.
fn no_longer_rendered(key: ResourceKey, api_version: String, live: Value) -> Compared {
    let keep = prune_disabled(&live);
    Compared {
        key,
        api_version,
        desired: None,
        health: health::assess(&live),
        live: Some(live),
        predicted: None,
        status: SyncStatus::OutOfSync,
        hook: false,
        requires_pruning: !keep,
        message: if keep {
            "ignored (Prune=false)".into()
        } else {
            "requires pruning".into()
        },
    }
}

/// `argocd.argoproj.io/sync-options: Prune=false` on the object.
pub fn prune_disabled(object: &Value) -> bool {
    manifest::annotation(object, order::SYNC_OPTIONS_ANNOTATION)
        .is_some_and(|o| o.split(',').any(|p| p.trim() == "Prune=false"))
}

/// The application's sync status: Synced when every compared resource is (objects kept
/// by `Prune=false` do not count, as in Argo CD).
pub fn app_status(compared: &[Compared]) -> SyncStatus {
    let relevant = compared
        .iter()
        .filter(|c| !c.hook && (c.desired.is_some() || c.requires_pruning));
    if relevant.clone().all(|c| c.status == SyncStatus::Synced) {
        SyncStatus::Synced
    } else {
        SyncStatus::OutOfSync
    }
}

/// The application's health: the worst of its (non-hook) resources'.
pub fn app_health(compared: &[Compared]) -> health::Health {
    health::aggregate(
        compared
            .iter()
            .filter(|c| !c.hook)
            .filter_map(|c| c.health.as_ref().map(|h| &h.health)),
    )
}

/// [`compare`] from a watch cache, without requests: desired fields against the cached
/// live objects (see `hoist_deploy::diff::is_subset`). The reconciler's fast path; `app
/// diff` and `app get` ask the API server for the exact answer.
pub fn compare_cached(
    app: &Application,
    desired: &[Resource],
    cache: &crate::watch::LiveCache,
) -> Vec<Compared> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for r in desired {
        seen.insert(r.key.clone());
        let hook = !matches!(order::role(r), order::Role::Resource);
        let live = cache.get(&r.key);
        let rules = diff::rules_for(&app.spec.ignore_differences, &r.key);
        let status = match &live {
            _ if hook => SyncStatus::Synced,
            None => SyncStatus::OutOfSync,
            Some(l)
                if diff::is_subset(
                    &diff::normalize(&r.object, &rules),
                    &diff::normalize(l, &rules),
                ) =>
            {
                SyncStatus::Synced
            }
            Some(_) => SyncStatus::OutOfSync,
        };
        let health = match &live {
            Some(l) => health::assess(l),
            None if !hook => Some(health::Status {
                health: health::Health::Missing,
                message: String::new(),
            }),
            None => None,
        };
        out.push(Compared {
            key: r.key.clone(),
            api_version: r.api_version.clone(),
            desired: Some(r.object.clone()),
            live,
            predicted: Some(r.object.clone()),
            status,
            health,
            hook,
            requires_pruning: false,
            message: String::new(),
        });
    }
    for live in cache.tracked_by(&app.metadata.name) {
        let Ok(r) = Resource::from_object(live.clone()) else {
            continue;
        };
        if seen.contains(&r.key) {
            continue;
        }
        out.push(no_longer_rendered(r.key, r.api_version, live));
    }
    out
}
