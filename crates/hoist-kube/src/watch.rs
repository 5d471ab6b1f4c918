//! Live state kept by watches: one watch per kind that applications use (only objects
//! with the application label), so that comparing a thousand applications needs no request
//! per application and drift is noticed as it happens, without re-listing.
//!
//! Guarantees: an object is in the cache from the end of its kind's initial list until a
//! watch event deletes it; a restarted watch (the API server closed it, or a resource
//! version expired) replaces the kind's objects with a fresh list. Every change marks the
//! application that tracks the object as dirty, for the reconciler to look at.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use hoist_deploy::manifest::{self, Resource, ResourceKey};
use kube::api::{Api, DynamicObject};
use kube::runtime::watcher;
use serde_json::Value;

use crate::{APP_LABEL, Cluster, KubeError};

/// The watched objects of one cluster.
#[derive(Debug, Default)]
pub struct LiveCache {
    objects: Mutex<HashMap<ResourceKey, Value>>,
    /// Application → keys of the objects whose tracking id names it, so looking up one
    /// application's objects does not scan every object.
    by_app: Mutex<HashMap<String, HashSet<ResourceKey>>>,
    dirty: Mutex<BTreeSet<String>>,
    watched: Mutex<HashSet<(String, String)>>,
}

type Kinds = (String, String);

impl LiveCache {
    pub fn new() -> Arc<LiveCache> {
        Arc::new(LiveCache::default())
    }

    /// Starts watching `kind` (once per kind) and returns when its initial list is in the
    /// cache.
    pub async fn watch(
        self: &Arc<Self>,
        cluster: &Cluster,
        api_version: &str,
        kind: &str,
    ) -> Result<(), KubeError> {
        let key: Kinds = (api_version.to_owned(), kind.to_owned());
        if !self
            .watched
            .lock()
            .map(|mut w| w.insert(key.clone()))
            .unwrap_or(false)
        {
            return Ok(());
        }
        let k = cluster.kind(api_version, kind).await?;
        let api: Api<DynamicObject> = Api::all_with(cluster.client().clone(), &k.resource);
        let config = watcher::Config::default().labels(APP_LABEL).any_semantic();
        let mut stream = watcher(api, config).boxed();
        let cache = self.clone();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let types = kube::core::TypeMeta {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
        };
        tokio::spawn(async move {
            let mut ready = Some(ready_tx);
            let mut fresh: Vec<Value> = Vec::new();
            while let Some(event) = stream.next().await {
                let as_value = |mut o: DynamicObject| {
                    o.types = Some(types.clone());
                    serde_json::to_value(o).unwrap_or_default()
                };
                match event {
                    Ok(watcher::Event::Apply(o)) => cache.put(as_value(o)),
                    Ok(watcher::Event::Delete(o)) => cache.remove(&as_value(o)),
                    Ok(watcher::Event::Init) => fresh.clear(),
                    Ok(watcher::Event::InitApply(o)) => fresh.push(as_value(o)),
                    Ok(watcher::Event::InitDone) => {
                        cache.replace_kind(
                            &types.api_version,
                            &types.kind,
                            std::mem::take(&mut fresh),
                        );
                        if let Some(tx) = ready.take() {
                            let _ = tx.send(());
                        }
                    }
                    // The watcher retries by itself; a pause keeps a broken API from spinning.
                    Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
                }
            }
        });
        let _ = tokio::time::timeout(Duration::from_secs(60), ready_rx).await;
        Ok(())
    }

    fn mark(&self, object: &Value) {
        if let Some(app) = manifest::annotation(object, manifest::TRACKING_ANNOTATION)
            .and_then(manifest::tracking_app)
            && let Ok(mut d) = self.dirty.lock()
        {
            d.insert(app.to_owned());
        }
    }

    fn put(&self, object: Value) {
        let Ok(r) = Resource::from_object(object) else {
            return;
        };
        self.mark(&r.object);
        if let Ok(mut m) = self.objects.lock() {
            m.insert(r.key, r.object);
        }
    }

    fn remove(&self, object: &Value) {
        let Ok(r) = Resource::from_object(object.clone()) else {
            return;
        };
        self.mark(object);
        if let Ok(mut m) = self.objects.lock() {
            m.remove(&r.key);
        }
    }

    fn replace_kind(&self, api_version: &str, kind: &str, objects: Vec<Value>) {
        let group = api_version
            .rsplit_once('/')
            .map_or("", |(g, _)| g)
            .to_owned();
        if let Ok(mut m) = self.objects.lock() {
            m.retain(|k, _| !(k.group == group && k.kind == kind));
        }
        for o in objects {
            self.put(o);
        }
    }

    /// The live object, if the cache has it.
    pub fn get(&self, key: &ResourceKey) -> Option<Value> {
        self.objects.lock().ok().and_then(|m| m.get(key).cloned())
    }

    /// Objects tracked by `app`.
    pub fn tracked_by(&self, app: &str) -> Vec<Value> {
        let keys: Vec<ResourceKey> = self
            .by_app
            .lock()
            .ok()
            .and_then(|by| by.get(app).map(|k| k.iter().cloned().collect()))
            .unwrap_or_default();
        let Ok(m) = self.objects.lock() else {
            return Vec::new();
        };
        keys.iter()
            .filter_map(|k| m.get(k))
            .filter(|o| manifest::is_tracked_by(o, app))
            .cloned()
            .collect()
    }

    /// The applications whose objects changed since the last call.
    pub fn take_dirty(&self) -> BTreeSet<String> {
        self.dirty
            .lock()
            .map(|mut d| std::mem::take(&mut *d))
            .unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.objects.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
