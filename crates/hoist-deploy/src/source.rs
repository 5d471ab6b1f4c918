//! How a source is rendered, decided without running anything: which tool, with which
//! arguments, and the kustomization with Argo CD's overrides applied.

use serde_json::{Map, Value};

use crate::application::{Application, HelmSource, KustomizeSource, Source};

/// How a source path turns into manifests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    Helm,
    Kustomize,
    Directory,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Helm => "Helm",
            SourceKind::Kustomize => "Kustomize",
            SourceKind::Directory => "Directory",
        }
    }
}

/// The file names that make a directory a kustomization, as kustomize looks for them.
pub const KUSTOMIZATION_FILES: &[&str] =
    &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Argo CD's detection: an explicit `helm`/`kustomize`/`directory` block decides, else a
/// `Chart.yaml` makes a Helm chart and a kustomization file a Kustomize app, else the
/// directory's files are the manifests. `has_file` answers for names in the source's path.
pub fn detect(source: &Source, has_file: impl Fn(&str) -> bool) -> SourceKind {
    if source.helm.is_some() || source.chart.is_some() {
        SourceKind::Helm
    } else if source.kustomize.is_some() {
        SourceKind::Kustomize
    } else if source.directory.is_some() {
        SourceKind::Directory
    } else if has_file("Chart.yaml") {
        SourceKind::Helm
    } else if KUSTOMIZATION_FILES.iter().any(|f| has_file(f)) {
        SourceKind::Kustomize
    } else {
        SourceKind::Directory
    }
}

/// What the cluster tells Helm, when a cluster is known.
#[derive(Clone, Debug, Default)]
pub struct ClusterFacts {
    /// `major.minor.patch` without the leading `v`.
    pub kube_version: Option<String>,
    pub api_versions: Vec<String>,
}

/// The arguments Argo CD passes to `helm template`, in its order. `values_file` is the
/// file holding `values`/`valuesObject` (written by the caller), placed after the value
/// files so that it wins, as in Argo CD.
pub fn helm_template_args(
    app: &Application,
    helm: Option<&HelmSource>,
    chart_dir: &str,
    values_file: Option<&str>,
    cluster: &ClusterFacts,
) -> Vec<String> {
    let default_helm = HelmSource::default();
    let helm = helm.unwrap_or(&default_helm);
    let release = helm
        .release_name
        .clone()
        .unwrap_or_else(|| app.metadata.name.clone());
    let mut args: Vec<String> = vec![
        "template".into(),
        chart_dir.into(),
        "--name-template".into(),
        release,
    ];
    let namespace = helm.namespace.as_deref().or(app.destination_namespace());
    if let Some(ns) = namespace {
        args.extend(["--namespace".into(), ns.to_owned()]);
    }
    if let Some(v) = helm
        .kube_version
        .as_deref()
        .or(cluster.kube_version.as_deref())
    {
        args.extend(["--kube-version".into(), v.to_owned()]);
    }
    for p in &helm.parameters {
        let flag = if p.force_string {
            "--set-string"
        } else {
            "--set"
        };
        // Argo CD escapes commas so that a value is one value, not a list.
        args.extend([
            flag.into(),
            format!("{}={}", p.name, escape_set_value(&p.value)),
        ]);
    }
    for f in &helm.file_parameters {
        args.extend(["--set-file".into(), format!("{}={}", f.name, f.path)]);
    }
    for f in &helm.value_files {
        args.extend(["--values".into(), f.clone()]);
    }
    if let Some(v) = values_file {
        args.extend(["--values".into(), v.to_owned()]);
    }
    let api_versions = if helm.api_versions.is_empty() {
        &cluster.api_versions
    } else {
        &helm.api_versions
    };
    for v in api_versions {
        args.extend(["--api-versions".into(), v.clone()]);
    }
    if !helm.skip_crds {
        args.push("--include-crds".into());
    }
    if helm.skip_schema_validation {
        args.push("--skip-schema-validation".into());
    }
    args
}

fn escape_set_value(v: &str) -> String {
    let mut out = String::new();
    for c in v.chars() {
        if c == ',' && !out.ends_with('\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The inline values of a Helm source (`valuesObject` wins over `values`), as YAML text.
pub fn helm_inline_values(helm: &HelmSource) -> Option<String> {
    if let Some(obj) = &helm.values_object {
        return Some(crate::to_yaml(obj));
    }
    helm.values.clone().filter(|v| !v.trim().is_empty())
}

/// The kustomization with Argo CD's overrides applied, as `kustomize edit` would leave it.
/// `kustomization` is the file's content read as JSON.
pub fn apply_kustomize_overrides(
    kustomization: &Value,
    k: &KustomizeSource,
    app_namespace: Option<&str>,
) -> Value {
    let mut out = kustomization.clone();
    if !out.is_object() {
        out = Value::Object(Map::new());
    }
    let m = out.as_object_mut().expect("made an object above");
    if let Some(p) = &k.name_prefix {
        m.insert("namePrefix".into(), Value::String(p.clone()));
    }
    if let Some(s) = &k.name_suffix {
        m.insert("nameSuffix".into(), Value::String(s.clone()));
    }
    if !k.images.is_empty() {
        let images = m
            .entry("images")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(list) = images.as_array_mut() {
            for spec in &k.images {
                let image = parse_image_override(spec);
                let name = image.get("name").cloned();
                list.retain(|e| e.get("name") != name.as_ref());
                list.push(image);
            }
        }
    }
    if !k.replicas.is_empty() {
        let replicas = m
            .entry("replicas")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(list) = replicas.as_array_mut() {
            for r in &k.replicas {
                let count = match &r.count {
                    Value::String(s) => s
                        .parse::<i64>()
                        .map(Value::from)
                        .unwrap_or(Value::String(s.clone())),
                    other => other.clone(),
                };
                list.retain(|e| e.get("name").and_then(Value::as_str) != Some(&r.name));
                list.push(serde_json::json!({"name": r.name, "count": count}));
            }
        }
    }
    for (field, values) in [
        ("commonLabels", &k.common_labels),
        ("commonAnnotations", &k.common_annotations),
    ] {
        if values.is_empty() {
            continue;
        }
        let target = m.entry(field).or_insert_with(|| Value::Object(Map::new()));
        if let Some(t) = target.as_object_mut() {
            for (key, value) in values {
                t.insert(key.clone(), Value::String(value.clone()));
            }
        }
    }
    // Argo CD sets the kustomization's namespace from the override, else leaves it.
    if let Some(ns) = k.namespace.as_deref() {
        m.insert("namespace".into(), Value::String(ns.to_owned()));
    }
    let _ = app_namespace;
    for (field, values) in [("patches", &k.patches)] {
        if values.is_empty() {
            continue;
        }
        let target = m.entry(field).or_insert_with(|| Value::Array(Vec::new()));
        if let Some(list) = target.as_array_mut() {
            list.extend(values.iter().cloned());
        }
    }
    if !k.components.is_empty() {
        let target = m
            .entry("components")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(list) = target.as_array_mut() {
            list.extend(k.components.iter().map(|c| Value::String(c.clone())));
        }
    }
    out
}

/// `kustomize edit set image`'s forms: `name=new:tag`, `name=new@digest`, `name:tag`,
/// `name@digest`, `name=new`.
fn parse_image_override(spec: &str) -> Value {
    let (name, target) = match spec.split_once('=') {
        Some((n, t)) => (n.to_owned(), t.to_owned()),
        None => (String::new(), spec.to_owned()),
    };
    let (image, digest) = match target.split_once('@') {
        Some((i, d)) => (i.to_owned(), Some(d.to_owned())),
        None => (target.clone(), None),
    };
    // A tag is after the last `:` that follows the last `/` (a registry port is not a tag).
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    let (repo, tag) = match image[slash..].rfind(':') {
        Some(i) => (
            image[..slash + i].to_owned(),
            Some(image[slash + i + 1..].to_owned()),
        ),
        None => (image.clone(), None),
    };
    let mut m = Map::new();
    if name.is_empty() {
        m.insert("name".into(), Value::String(repo));
    } else {
        m.insert("name".into(), Value::String(name));
        if !repo.is_empty() {
            m.insert("newName".into(), Value::String(repo));
        }
    }
    if let Some(t) = tag {
        m.insert("newTag".into(), Value::String(t));
    }
    if let Some(d) = digest {
        m.insert("digest".into(), Value::String(d));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn image_overrides_read_like_kustomize_edit() {
        assert_eq!(
            parse_image_override("nginx:1.25"),
            json!({"name": "nginx", "newTag": "1.25"})
        );
        assert_eq!(
            parse_image_override("app=registry:5000/team/app:v2"),
            json!({"name": "app", "newName": "registry:5000/team/app", "newTag": "v2"})
        );
        assert_eq!(
            parse_image_override("app@sha256:abc"),
            json!({"name": "app", "digest": "sha256:abc"})
        );
    }
}
