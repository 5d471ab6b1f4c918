//! One cluster: its discovery (which kinds exist, which are namespaced), and the verbs Hoist
//! uses on objects: server-side apply (for real or as a dry run), get, list by label, delete.

use std::collections::HashMap;
use std::sync::RwLock;

use hoist_deploy::manifest::ResourceKey;
use hoist_deploy::source::ClusterFacts;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams,
};
use kube::discovery::{Discovery, Scope};
use serde_json::Value;

use crate::{FIELD_MANAGER, KubeError};

/// A kind the cluster serves.
#[derive(Clone, Debug)]
pub struct Kind {
    pub resource: ApiResource,
    pub namespaced: bool,
}

/// A connected cluster.
pub struct Cluster {
    client: kube::Client,
    pub label: String,
    pub url: String,
    facts: ClusterFacts,
    /// `(apiVersion, kind)` → kind; read again when a kind is missing (a CRD created by
    /// the sync in progress).
    kinds: RwLock<HashMap<(String, String), Kind>>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("label", &self.label)
            .field("url", &self.url)
            .finish()
    }
}

fn api_message(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    }
}

fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}

impl Cluster {
    pub(crate) async fn new(
        client: kube::Client,
        label: String,
        url: String,
    ) -> Result<Cluster, KubeError> {
        let unreachable = |e: kube::Error| KubeError::Unreachable {
            cluster: format!("{label} ({url})"),
            message: api_message(&e),
        };
        let version = client.apiserver_version().await.map_err(unreachable)?;
        let cluster = Cluster {
            client,
            label: label.clone(),
            url: url.clone(),
            facts: ClusterFacts {
                kube_version: Some(
                    version
                        .git_version
                        .trim_start_matches('v')
                        .split(['-', '+'])
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                ),
                api_versions: Vec::new(),
            },
            kinds: RwLock::new(HashMap::new()),
        };
        let mut cluster = cluster;
        let versions = cluster.discover().await?;
        cluster.facts.api_versions = versions;
        Ok(cluster)
    }

    pub fn client(&self) -> &kube::Client {
        &self.client
    }

    /// The Kubernetes version and API versions, as Helm is told them.
    pub fn facts(&self) -> &ClusterFacts {
        &self.facts
    }

    /// Reads the cluster's kinds; returns its API versions (`group/version`).
    async fn discover(&self) -> Result<Vec<String>, KubeError> {
        let discovery = Discovery::new(self.client.clone())
            .run()
            .await
            .map_err(|e| KubeError::Unreachable {
                cluster: format!("{} ({})", self.label, self.url),
                message: api_message(&e),
            })?;
        let mut kinds = HashMap::new();
        let mut versions = Vec::new();
        for group in discovery.groups() {
            for version in group.versions() {
                let api_version = if group.name().is_empty() {
                    version.to_owned()
                } else {
                    format!("{}/{version}", group.name())
                };
                versions.push(api_version.clone());
                for (resource, caps) in group.versioned_resources(version) {
                    kinds.insert(
                        (api_version.clone(), resource.kind.clone()),
                        Kind {
                            namespaced: caps.scope == Scope::Namespaced,
                            resource,
                        },
                    );
                }
            }
        }
        if let Ok(mut k) = self.kinds.write() {
            *k = kinds;
        }
        versions.sort();
        Ok(versions)
    }

    /// The kind of objects of `api_version` and `kind`; discovery is read again once when
    /// the cluster did not list it.
    pub async fn kind(&self, api_version: &str, kind: &str) -> Result<Kind, KubeError> {
        let key = (api_version.to_owned(), kind.to_owned());
        if let Some(k) = self.kinds.read().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(k);
        }
        self.discover().await?;
        self.kinds
            .read()
            .ok()
            .and_then(|m| m.get(&key).cloned())
            .ok_or_else(|| KubeError::UnknownKind {
                api_version: api_version.to_owned(),
                kind: kind.to_owned(),
            })
    }

    /// Every kind the cluster lists (preferring no version over another: each kind once
    /// per group), for finding tracked objects.
    pub fn listable_kinds(&self) -> Vec<Kind> {
        let mut by_group_kind: HashMap<(String, String), Kind> = HashMap::new();
        if let Ok(m) = self.kinds.read() {
            for k in m.values() {
                by_group_kind
                    .entry((k.resource.group.clone(), k.resource.kind.clone()))
                    .or_insert_with(|| k.clone());
            }
        }
        let mut out: Vec<Kind> = by_group_kind.into_values().collect();
        out.sort_by(|a, b| {
            (&a.resource.group, &a.resource.kind).cmp(&(&b.resource.group, &b.resource.kind))
        });
        out
    }

    fn api(&self, kind: &Kind, namespace: &str) -> Api<DynamicObject> {
        if kind.namespaced && !namespace.is_empty() {
            Api::namespaced_with(self.client.clone(), namespace, &kind.resource)
        } else {
            Api::all_with(self.client.clone(), &kind.resource)
        }
    }

    /// Server-side apply of `object` with field manager `hoist`, taking over fields other
    /// managers own (as Argo CD's server-side apply does); with `dry_run`, what the object
    /// would become, nothing stored.
    pub async fn apply(&self, object: &Value, dry_run: bool) -> Result<Value, KubeError> {
        let (api_version, kind_name, namespace, name) = identity(object);
        let shown = format!("{kind_name}/{name}");
        let kind = self.kind(&api_version, &kind_name).await?;
        let mut params = PatchParams::apply(FIELD_MANAGER).force();
        params.dry_run = dry_run;
        let applied = self
            .api(&kind, &namespace)
            .patch(&name, &params, &Patch::Apply(object))
            .await
            .map_err(|e| KubeError::Rejected {
                object: shown,
                message: api_message(&e),
            })?;
        Ok(serde_json::to_value(applied).unwrap_or_default())
    }

    /// `Replace=true`: the object replaces the live one whole (a PUT with its resource
    /// version, as `kubectl replace` does), or is created when there is none.
    pub async fn replace(&self, object: &Value) -> Result<Value, KubeError> {
        let (api_version, kind_name, namespace, name) = identity(object);
        let kind = self.kind(&api_version, &kind_name).await?;
        let api = self.api(&kind, &namespace);
        let shown = format!("{kind_name}/{name}");
        let live = api.get_opt(&name).await.map_err(|e| KubeError::Rejected {
            object: shown.clone(),
            message: api_message(&e),
        })?;
        let Some(live) = live else {
            return self.create(object).await;
        };
        let mut dynamic: DynamicObject =
            serde_json::from_value(object.clone()).map_err(|e| KubeError::Rejected {
                object: shown.clone(),
                message: e.to_string(),
            })?;
        dynamic.metadata.resource_version = live.metadata.resource_version.clone();
        let replaced = api
            .replace(
                &name,
                &PostParams {
                    field_manager: Some(FIELD_MANAGER.into()),
                    ..Default::default()
                },
                &dynamic,
            )
            .await
            .map_err(|e| KubeError::Rejected {
                object: shown,
                message: api_message(&e),
            })?;
        Ok(serde_json::to_value(replaced).unwrap_or_default())
    }

    /// Creates `object` (hooks with `generateName`), returning it as stored.
    pub async fn create(&self, object: &Value) -> Result<Value, KubeError> {
        let (api_version, kind_name, namespace, name) = identity(object);
        let kind = self.kind(&api_version, &kind_name).await?;
        let dynamic: DynamicObject =
            serde_json::from_value(object.clone()).map_err(|e| KubeError::Rejected {
                object: format!("{kind_name}/{name}"),
                message: e.to_string(),
            })?;
        let created = self
            .api(&kind, &namespace)
            .create(
                &PostParams {
                    field_manager: Some(FIELD_MANAGER.into()),
                    ..Default::default()
                },
                &dynamic,
            )
            .await
            .map_err(|e| KubeError::Rejected {
                object: format!("{kind_name}/{name}"),
                message: api_message(&e),
            })?;
        Ok(serde_json::to_value(created).unwrap_or_default())
    }

    /// The live object, or `None` when it does not exist.
    pub async fn get(
        &self,
        api_version: &str,
        key: &ResourceKey,
    ) -> Result<Option<Value>, KubeError> {
        let kind = self.kind(api_version, &key.kind).await?;
        match self.api(&kind, &key.namespace).get_opt(&key.name).await {
            Ok(o) => Ok(o.map(|o| serde_json::to_value(o).unwrap_or_default())),
            Err(e) => Err(KubeError::Rejected {
                object: format!("{}/{}", key.kind, key.name),
                message: api_message(&e),
            }),
        }
    }

    /// Objects of `kind` with the label `selector`, in every namespace.
    pub async fn list_labeled(&self, kind: &Kind, selector: &str) -> Result<Vec<Value>, KubeError> {
        let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &kind.resource);
        match api.list(&ListParams::default().labels(selector)).await {
            Ok(list) => Ok(list
                .items
                .into_iter()
                .map(|mut o| {
                    // Lists leave out each item's kind; put it back so objects stand alone.
                    o.types = Some(kube::core::TypeMeta {
                        api_version: kind.resource.api_version.clone(),
                        kind: kind.resource.kind.clone(),
                    });
                    serde_json::to_value(o).unwrap_or_default()
                })
                .collect()),
            // Kinds that cannot be listed (subresources, aggregated APIs that are down).
            Err(kube::Error::Api(s))
                if s.code == 404 || s.code == 405 || s.code == 403 || s.code == 503 =>
            {
                Ok(Vec::new())
            }
            Err(e) => Err(KubeError::Unreachable {
                cluster: self.label.clone(),
                message: api_message(&e),
            }),
        }
    }

    /// Every object of `kind` in `namespace`.
    pub async fn list_in(&self, kind: &Kind, namespace: &str) -> Result<Vec<Value>, KubeError> {
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), namespace, &kind.resource);
        match api.list(&ListParams::default()).await {
            Ok(list) => Ok(list
                .items
                .into_iter()
                .map(|o| serde_json::to_value(o).unwrap_or_default())
                .collect()),
            Err(e) => Err(KubeError::Unreachable {
                cluster: self.label.clone(),
                message: api_message(&e),
            }),
        }
    }

    /// Deletes an object (dependents in the background, as Argo CD's default); an object
    /// already gone is not an error.
    pub async fn delete(&self, api_version: &str, key: &ResourceKey) -> Result<(), KubeError> {
        let kind = self.kind(api_version, &key.kind).await?;
        match self
            .api(&kind, &key.namespace)
            .delete(&key.name, &DeleteParams::background())
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(KubeError::Rejected {
                object: format!("{}/{}", key.kind, key.name),
                message: api_message(&e),
            }),
        }
    }

    /// Creates the namespace when it is missing; says whether it did.
    pub async fn ensure_namespace(&self, name: &str) -> Result<bool, KubeError> {
        let api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(self.client.clone());
        match api.get_opt(name).await {
            Ok(Some(_)) => Ok(false),
            Ok(None) => {
                let ns = k8s_openapi::api::core::v1::Namespace {
                    metadata: kube::core::ObjectMeta {
                        name: Some(name.to_owned()),
                        ..Default::default()
                    },
                    ..Default::default()
                };
                match api
                    .create(
                        &PostParams {
                            field_manager: Some(FIELD_MANAGER.into()),
                            ..Default::default()
                        },
                        &ns,
                    )
                    .await
                {
                    Ok(_) => Ok(true),
                    Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
                    Err(e) => Err(KubeError::Rejected {
                        object: format!("Namespace/{name}"),
                        message: api_message(&e),
                    }),
                }
            }
            Err(e) => Err(KubeError::Unreachable {
                cluster: self.label.clone(),
                message: api_message(&e),
            }),
        }
    }
}

fn identity(object: &Value) -> (String, String, String, String) {
    let s = |p: &str| {
        object
            .pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    (
        s("/apiVersion"),
        s("/kind"),
        s("/metadata/namespace"),
        s("/metadata/name"),
    )
}
