//! Rendered Kubernetes objects: reading a manifest stream, naming objects, and the tracking
//! annotation that ties an object to the application that owns it.

use std::fmt;

use hoist_diagnostics::Diagnostic;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The annotation that marks an object as belonging to an application; its value is the
/// object's own identity, so a copy under another name is not taken for the original.
pub const TRACKING_ANNOTATION: &str = "hoist.dev/tracking-id";

/// An object's identity across versions: group, kind, namespace (empty for cluster-scoped
/// objects) and name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ResourceKey {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl fmt::Display for ResourceKey {
    /// Argo CD's notation in diff headers: `group/kind namespace/name`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} {}/{}",
            self.group, self.kind, self.namespace, self.name
        )
    }
}

impl ResourceKey {
    /// The tracking id of this object when `app` owns it.
    pub fn tracking_id(&self, app: &str) -> String {
        format!(
            "{app}:{}/{}:{}/{}",
            self.group, self.kind, self.namespace, self.name
        )
    }

    /// `GROUP:KIND:NAME` as `--resource` takes it (the group may be empty).
    pub fn matches_selector(&self, selector: &str) -> bool {
        let parts: Vec<&str> = selector.split(':').collect();
        match parts.as_slice() {
            [group, kind, name] => {
                let (namespace, name) = name
                    .split_once('/')
                    .map_or((None, *name), |(n, m)| (Some(n), m));
                (*group == "*" || *group == self.group)
                    && (*kind == "*" || *kind == self.kind)
                    && (name == "*" || name == self.name)
                    && namespace.is_none_or(|n| n == self.namespace)
            }
            _ => false,
        }
    }
}

/// One object to apply, as rendered.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Resource {
    pub key: ResourceKey,
    pub api_version: String,
    pub object: Value,
}

impl Resource {
    /// Wraps an object, naming it from its own fields.
    pub fn from_object(object: Value) -> Result<Resource, String> {
        let api_version = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let kind = object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let meta = object.get("metadata");
        let name = meta
            .and_then(|m| m.get("name").or_else(|| m.get("generateName")))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let namespace = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if api_version.is_empty() || kind.is_empty() {
            return Err("an object without `apiVersion` or `kind`".to_owned());
        }
        if name.is_empty() {
            return Err(format!("a `{kind}` without `metadata.name`"));
        }
        let group = api_version
            .rsplit_once('/')
            .map_or("", |(g, _)| g)
            .to_owned();
        Ok(Resource {
            key: ResourceKey {
                group,
                kind,
                namespace,
                name,
            },
            api_version,
            object,
        })
    }

    pub fn annotation(&self, name: &str) -> Option<&str> {
        annotation(&self.object, name)
    }

    /// Puts the object into `namespace` (namespaced kinds without one of their own).
    pub fn set_namespace(&mut self, namespace: &str) {
        self.key.namespace = namespace.to_owned();
        if let Some(meta) = self
            .object
            .get_mut("metadata")
            .and_then(Value::as_object_mut)
        {
            meta.insert("namespace".to_owned(), Value::String(namespace.to_owned()));
        }
    }

    /// Sets the tracking annotation for `app`.
    pub fn track(&mut self, app: &str) {
        let id = self.key.tracking_id(app);
        let Some(meta) = self
            .object
            .get_mut("metadata")
            .and_then(Value::as_object_mut)
        else {
            return;
        };
        let annotations = meta
            .entry("annotations")
            .or_insert_with(|| Value::Object(Default::default()));
        if !annotations.is_object() {
            *annotations = Value::Object(Default::default());
        }
        if let Some(a) = annotations.as_object_mut() {
            a.insert(TRACKING_ANNOTATION.to_owned(), Value::String(id));
        }
    }
}

pub fn annotation<'a>(object: &'a Value, name: &str) -> Option<&'a str> {
    object
        .get("metadata")?
        .get("annotations")?
        .get(name)?
        .as_str()
}

/// Whether the live `object` is tracked by `app`: its tracking annotation names `app` and is
/// exactly the id of this very object (a copied object keeps the original's id and is not
/// taken).
pub fn is_tracked_by(object: &Value, app: &str) -> bool {
    let Some(id) = annotation(object, TRACKING_ANNOTATION) else {
        return false;
    };
    match Resource::from_object(object.clone()) {
        Ok(r) => r.key.tracking_id(app) == id,
        Err(_) => false,
    }
}

/// The application named in a tracking id (`app:group/kind:namespace/name`).
pub fn tracking_app(id: &str) -> Option<&str> {
    id.split_once(':').map(|(app, _)| app)
}

/// Reads a rendered manifest stream (`helm template`, `kustomize build`, files of a
/// directory). `List` objects are unpacked; empty documents are skipped. `origin` names the
/// source in errors.
pub fn parse_manifests(origin: &str, text: &str) -> Result<Vec<Resource>, Diagnostic> {
    let parsed = hoist_yaml::parse_stream(text);
    if let Some(d) = parsed.diagnostics.into_iter().find(Diagnostic::is_error) {
        return Err(Diagnostic {
            message: format!("{origin}: {}", d.message),
            ..d
        });
    }
    let mut out = Vec::new();
    for doc in parsed.documents {
        let span = doc.span;
        let value = doc.to_json();
        let objects = if value
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k.ends_with("List"))
            && value.get("items").is_some()
        {
            value
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        } else {
            vec![value]
        };
        for object in objects {
            if !object.is_object() {
                return Err(Diagnostic::error(
                    "manifest-invalid",
                    span,
                    format!("{origin}: a document that is not an object"),
                ));
            }
            let resource = Resource::from_object(object).map_err(|e| {
                Diagnostic::error("manifest-invalid", span, format!("{origin}: {e}"))
                    .with_hint("every rendered document must be a Kubernetes object with apiVersion, kind and metadata.name")
            })?;
            out.push(resource);
        }
    }
    Ok(out)
}

/// Kinds that are cluster-scoped in every Kubernetes release, for when no cluster is there
/// to ask (`hoist app manifests`); the cluster's discovery answer wins when there is one.
pub const CLUSTER_SCOPED_KINDS: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("scheduling.k8s.io", "PriorityClass"),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    ("apiregistration.k8s.io", "APIService"),
    ("networking.k8s.io", "IngressClass"),
    ("node.k8s.io", "RuntimeClass"),
    ("policy", "PodSecurityPolicy"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
];

pub fn known_cluster_scoped(group: &str, kind: &str) -> bool {
    CLUSTER_SCOPED_KINDS
        .iter()
        .any(|(g, k)| *g == group && *k == kind)
}

/// A digest of what an application renders to, recorded with each sync: the same manifests
/// in any order give the same digest.
pub fn digest(resources: &[Resource]) -> String {
    let mut sorted: Vec<&Resource> = resources.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    let mut hasher = Sha256::new();
    for r in sorted {
        hasher.update(canonical_json(&r.object).as_bytes());
        hasher.update(b"\n");
    }
    let bytes = hasher.finalize();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// JSON with object keys sorted at every level.
pub fn canonical_json(value: &Value) -> String {
    sort_keys(value).to_string()
}

pub fn sort_keys(value: &Value) -> Value {
    match value {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sort_keys(&m[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}
