//! Argo CD's `Application` (`argoproj.io/v1alpha1`), read unchanged from its manifests.
//!
//! Fields follow Argo CD's CRD names. Unknown fields are warnings (the API server would prune
//! them; a typo such as `targetRevison` is almost surely a mistake), fields of the wrong type
//! are errors at their line and column. Parsing never panics and never stops at the first
//! problem of a file: every document is read.

use std::collections::BTreeMap;

use hoist_diagnostics::{Diagnostic, Span};
use hoist_yaml::Node;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::yaml_value::{locate_path, node_at};

pub const API_VERSION: &str = "argoproj.io/v1alpha1";

/// One application: what to render from where, and where to apply it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Application {
    #[serde(rename = "apiVersion", default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    pub metadata: Metadata,
    pub spec: ApplicationSpec,
    /// Written by Argo CD's controller; kept so that saved manifests read without warnings.
    #[serde(default, skip_serializing)]
    pub status: Option<Value>,
    /// Where it was read from (a file and line, or the ApplicationSet that generated it).
    #[serde(skip)]
    pub origin: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub finalizers: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
    #[serde(default)]
    pub destination: Destination,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_policy: Option<SyncPolicy>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore_differences: Vec<IgnoreDifference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_history_limit: Option<u32>,
    /// Shown by `app get`; Hoist does not act on them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub info: Vec<Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    #[serde(rename = "repoURL", default)]
    pub repo_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_revision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A chart of a Helm repository (not a path in Git).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<String>,
    /// The name other sources use to refer to this one's files (`$values/...`).
    #[serde(rename = "ref", default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helm: Option<HelmSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kustomize: Option<KustomizeSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<DirectorySource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmSource {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub value_files: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values_object: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<HelmParameter>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub file_parameters: Vec<HelmFileParameter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_name: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub skip_crds: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub skip_schema_validation: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub ignore_missing_value_files: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub pass_credentials: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_versions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmParameter {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub value: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub force_string: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HelmFileParameter {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub path: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KustomizeSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_suffix: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replicas: Vec<KustomizeReplica>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub common_labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub common_annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub force_common_labels: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub force_common_annotations: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KustomizeReplica {
    #[serde(default)]
    pub name: String,
    /// An integer or a string holding one, as in Argo CD's CRD.
    #[serde(default)]
    pub count: Value,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DirectorySource {
    #[serde(default, skip_serializing_if = "is_false")]
    pub recurse: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub include: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub exclude: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jsonnet: Option<Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Destination {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automated: Option<Automated>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sync_options: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<Retry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_namespace_metadata: Option<Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Automated {
    #[serde(default, skip_serializing_if = "is_false")]
    pub prune: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub self_heal: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_empty: bool,
    /// Argo CD 3's switch to pause automation without removing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Retry {
    /// Attempts after the first; negative means without limit (Argo CD's convention).
    #[serde(default)]
    pub limit: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Backoff>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Backoff {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_duration: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IgnoreDifference {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub json_pointers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jq_path_expressions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed_fields_managers: Vec<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The sync options Argo CD defines; others are warned about.
pub const SYNC_OPTIONS: &[&str] = &[
    "CreateNamespace",
    "PruneLast",
    "ApplyOutOfSyncOnly",
    "ServerSideApply",
    "Prune",
    "Replace",
    "Validate",
    "Force",
    "RespectIgnoreDifferences",
    "FailOnSharedResource",
    "PrunePropagationPolicy",
    "SkipDryRunOnMissingResource",
    "Delete",
    "ClientSideApplyMigration",
];

impl Application {
    /// The sources in order: `spec.sources`, else the one `spec.source`.
    pub fn sources(&self) -> Vec<&Source> {
        if self.spec.sources.is_empty() {
            self.spec.source.iter().collect()
        } else {
            self.spec.sources.iter().collect()
        }
    }

    /// Whether automated sync is on (present and not paused with `enabled: false`).
    pub fn automated(&self) -> Option<&Automated> {
        self.spec
            .sync_policy
            .as_ref()
            .and_then(|p| p.automated.as_ref())
            .filter(|a| a.enabled != Some(false))
    }

    /// The value of a sync option (`CreateNamespace=true` gives `Some("true")`, a bare
    /// `PruneLast` gives `Some("true")`), matched case-sensitively as Argo CD does.
    pub fn sync_option(&self, name: &str) -> Option<&str> {
        self.spec.sync_policy.as_ref().and_then(|p| {
            p.sync_options
                .iter()
                .rev()
                .find_map(|o| match o.split_once('=') {
                    Some((k, v)) if k == name => Some(v),
                    None if o == name => Some("true"),
                    _ => None,
                })
        })
    }

    pub fn sync_option_on(&self, name: &str) -> bool {
        self.sync_option(name) == Some("true")
    }

    /// The namespace resources without one are applied to.
    pub fn destination_namespace(&self) -> Option<&str> {
        self.spec
            .destination
            .namespace
            .as_deref()
            .filter(|n| !n.is_empty())
    }
}

/// Every Application in a YAML stream (other kinds are ignored, so a directory may hold
/// ApplicationSets and plain files side by side), with problems as diagnostics.
pub fn parse_applications(file: &str, text: &str) -> (Vec<Application>, Vec<Diagnostic>) {
    let parsed = hoist_yaml::parse_stream(text);
    let mut diagnostics = parsed.diagnostics;
    let mut apps = Vec::new();
    for doc in &parsed.documents {
        if doc.get("kind").and_then(Node::as_str) != Some("Application") {
            continue;
        }
        if let Some(app) = application_from_node(file, doc, &mut diagnostics) {
            apps.push(app);
        }
    }
    (apps, diagnostics)
}

/// Reads one Application document; `None` when it is too broken to use (the reasons are in
/// `diagnostics`).
pub(crate) fn application_from_node(
    file: &str,
    doc: &Node,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Application> {
    check_api_version(doc, diagnostics);
    let value = doc.to_json();
    let mut app: Application = deserialize_reporting(doc, &value, diagnostics)?;
    app.origin = format!("{file}:{}", doc.span.start.line);
    let before = diagnostics.len();
    validate(&app, doc, diagnostics);
    let failed = diagnostics[before..].iter().any(Diagnostic::is_error);
    (!failed).then_some(app)
}

fn check_api_version(doc: &Node, diagnostics: &mut Vec<Diagnostic>) {
    match doc.entry("apiVersion") {
        Some((_, v)) if v.as_str() == Some(API_VERSION) => {}
        Some((_, v)) => diagnostics.push(
            Diagnostic::warning(
                "app-api-version",
                v.span,
                format!(
                    "`apiVersion` is `{}`, Argo CD's Applications are `{API_VERSION}`",
                    v.as_str().unwrap_or_default()
                ),
            )
            .with_hint(format!("write `apiVersion: {API_VERSION}`")),
        ),
        None => diagnostics.push(
            Diagnostic::warning(
                "app-api-version",
                doc.span,
                "the Application has no `apiVersion`",
            )
            .with_hint(format!("add `apiVersion: {API_VERSION}`")),
        ),
    }
}

/// Deserializes `value` (read from `doc`), turning a type error into an error diagnostic at
/// the field and each unknown field into a warning.
pub(crate) fn deserialize_reporting<T: serde::de::DeserializeOwned>(
    doc: &Node,
    value: &Value,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<T> {
    let mut unknown = Vec::new();
    let mut record = |path: serde_ignored::Path<'_>| {
        unknown.push(path.to_string());
    };
    let de = serde_ignored::Deserializer::new(value, &mut record);
    let result: Result<T, _> = serde_path_to_error::deserialize(de);
    for path in unknown {
        // serde_ignored marks an `Option` on the way with `?`.
        let path = path.replace(".?", "").replace("?.", "");
        let field = path.rsplit('.').next().unwrap_or(&path).to_owned();
        diagnostics.push(
            Diagnostic::warning(
                "app-unknown-field",
                locate_key(doc, &path),
                format!("unknown field `{path}`; Argo CD ignores it"),
            )
            .with_hint(format!(
                "check the spelling of `{field}` against Argo CD's Application reference"
            )),
        );
    }
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            let path = e.path().to_string();
            diagnostics.push(
                Diagnostic::error(
                    "app-invalid",
                    locate_path(doc, &path),
                    format!("`{path}`: {}", e.inner()),
                )
                .with_hint("see Argo CD's Application reference for this field's type"),
            );
            None
        }
    }
}

/// The span of the key at the end of `path` (an unknown field is best shown by its name).
fn locate_key(doc: &Node, path: &str) -> Span {
    let (parent, key) = path.rsplit_once('.').unwrap_or(("", path));
    let node = if parent.is_empty() {
        doc
    } else {
        node_at(doc, parent)
    };
    node.entry(key).map_or(node.span, |(k, _)| k.span)
}

/// What deserializing cannot check: required fields and the combinations Argo CD refuses.
fn validate(app: &Application, doc: &Node, diagnostics: &mut Vec<Diagnostic>) {
    let at = |path: &str| locate_path(doc, path);
    if app.metadata.name.is_empty() {
        diagnostics.push(
            Diagnostic::error("app-invalid", at("metadata"), "the Application has no name")
                .with_hint("set `metadata.name`"),
        );
    }
    if app.spec.source.is_none() && app.spec.sources.is_empty() {
        diagnostics.push(
            Diagnostic::error(
                "app-invalid",
                at("spec"),
                format!("application `{}` has no `spec.source`", app.metadata.name),
            )
            .with_hint("add `spec.source` with `repoURL` and `path`, or `spec.sources`"),
        );
    }
    if app.spec.source.is_some() && !app.spec.sources.is_empty() {
        diagnostics.push(
            Diagnostic::warning(
                "app-invalid",
                at("spec.source"),
                "both `spec.source` and `spec.sources` are set; Argo CD uses `spec.sources`",
            )
            .with_hint("remove one of them"),
        );
    }
    let single = app.spec.sources.is_empty();
    for (i, source) in app.sources().into_iter().enumerate() {
        let base = if single {
            "spec.source".to_owned()
        } else {
            format!("spec.sources[{i}]")
        };
        if source.repo_url.is_empty() {
            diagnostics.push(
                Diagnostic::error(
                    "app-invalid",
                    at(&base),
                    format!("`{base}.repoURL` is missing"),
                )
                .with_hint("name the Git repository (a URL, a path, or `.` for this one)"),
            );
        }
        let kinds = [
            source.helm.is_some(),
            source.kustomize.is_some(),
            source.directory.is_some(),
            source.plugin.is_some(),
        ];
        if kinds.iter().filter(|k| **k).count() > 1 {
            diagnostics.push(
                Diagnostic::error(
                    "app-invalid",
                    at(&base),
                    format!(
                        "`{base}` sets more than one of `helm`, `kustomize`, `directory` and `plugin`"
                    ),
                )
                .with_hint("keep the one that matches how the path is rendered"),
            );
        }
    }
    let dest = &app.spec.destination;
    match (&dest.server, &dest.name) {
        (Some(_), Some(_)) => diagnostics.push(
            Diagnostic::error(
                "app-invalid",
                at("spec.destination"),
                "`spec.destination` sets both `server` and `name`",
            )
            .with_hint("keep one: `name` is a kubeconfig context, `server` an API server URL"),
        ),
        (None, None) => diagnostics.push(
            Diagnostic::error(
                "app-invalid",
                at("spec.destination"),
                format!(
                    "application `{}` has no destination cluster",
                    app.metadata.name
                ),
            )
            .with_hint(
                "set `spec.destination.server` (for example https://kubernetes.default.svc) \
                 or `spec.destination.name` (a kubeconfig context)",
            ),
        ),
        _ => {}
    }
    if let Some(policy) = &app.spec.sync_policy {
        for (i, option) in policy.sync_options.iter().enumerate() {
            let name = option.split_once('=').map_or(option.as_str(), |(k, _)| k);
            if !SYNC_OPTIONS.contains(&name) {
                diagnostics.push(
                    Diagnostic::warning(
                        "app-sync-option",
                        at(&format!("spec.syncPolicy.syncOptions[{i}]")),
                        format!("unknown sync option `{option}`"),
                    )
                    .with_hint(format!("Argo CD knows: {}", SYNC_OPTIONS.join(", "))),
                );
            }
        }
    }
}
