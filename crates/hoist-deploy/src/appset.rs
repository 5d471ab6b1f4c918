//! Argo CD's `ApplicationSet`: generators that produce parameter sets, and the template that
//! turns each set into an [`Application`].
//!
//! Generators: `list`, `git` (directories, with `exclude` entries), and `matrix` of two
//! (the second may use the first's parameters, as in Argo CD). Templates are Go templates
//! when `goTemplate: true` (see [`crate::gotemplate`]), else Argo CD's default
//! `{{param}}` substitution, which leaves unknown parameters as written. `templatePatch`
//! (Go templates only) is rendered as YAML and merged into each application.

use std::collections::BTreeSet;

use hoist_diagnostics::{Diagnostic, Span};
use hoist_yaml::Node;
use serde_json::{Map, Value};

use crate::application::{Application, deserialize_reporting};
use crate::gotemplate::{self, MissingKey};
use crate::yaml_value::locate_path;

/// What the git generator needs from a repository: its directories at a revision, as
/// slash-separated paths relative to the repository's root (the root itself excluded).
pub trait RepoDirectories {
    fn directories(&self, repo_url: &str, revision: &str) -> Result<Vec<String>, String>;
}

/// One ApplicationSet as read from its file.
#[derive(Clone, Debug)]
pub struct ApplicationSet {
    pub name: String,
    pub go_template: bool,
    pub missing_key: MissingKeyOption,
    /// The document, for spans of errors found while generating.
    document: Node,
    file: String,
}

/// `goTemplateOptions: ["missingkey=error"]` or Go's default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingKeyOption {
    Error,
    Default,
}

/// Every ApplicationSet in a YAML stream, with problems as diagnostics.
pub fn parse_application_sets(file: &str, text: &str) -> (Vec<ApplicationSet>, Vec<Diagnostic>) {
    let parsed = hoist_yaml::parse_stream(text);
    let mut diagnostics = parsed.diagnostics;
    let mut sets = Vec::new();
    for doc in parsed.documents {
        if doc.get("kind").and_then(Node::as_str) != Some("ApplicationSet") {
            continue;
        }
        let name = doc
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Node::as_str)
            .unwrap_or_default()
            .to_owned();
        let spec = doc.get("spec");
        let go_template = spec
            .and_then(|s| s.get("goTemplate"))
            .and_then(Node::as_bool)
            .unwrap_or(false);
        let strict = spec
            .and_then(|s| s.get("goTemplateOptions"))
            .and_then(Node::as_sequence)
            .is_some_and(|opts| opts.iter().any(|o| o.as_str() == Some("missingkey=error")));
        let missing_key = if strict {
            MissingKeyOption::Error
        } else {
            MissingKeyOption::Default
        };
        let mut broken = false;
        if name.is_empty() {
            diagnostics.push(
                Diagnostic::error("appset-invalid", doc.span, "the ApplicationSet has no name")
                    .with_hint("set `metadata.name`"),
            );
            broken = true;
        }
        for required in ["generators", "template"] {
            if spec.and_then(|s| s.get(required)).is_none() {
                diagnostics.push(
                    Diagnostic::error(
                        "appset-invalid",
                        spec.map_or(doc.span, |s| s.span),
                        format!("ApplicationSet `{name}` has no `spec.{required}`"),
                    )
                    .with_hint("see Argo CD's ApplicationSet reference"),
                );
                broken = true;
            }
        }
        if spec.and_then(|s| s.get("templatePatch")).is_some() && !go_template {
            diagnostics.push(
                Diagnostic::error(
                    "appset-invalid",
                    locate_path(&doc, "spec.templatePatch"),
                    "`templatePatch` needs `goTemplate: true`",
                )
                .with_hint("set `spec.goTemplate: true` (Argo CD ignores the patch otherwise)"),
            );
            broken = true;
        }
        if !broken {
            sets.push(ApplicationSet {
                name,
                go_template,
                missing_key,
                document: doc,
                file: file.to_owned(),
            });
        }
    }
    (sets, diagnostics)
}

impl ApplicationSet {
    fn spec(&self) -> Option<&Node> {
        self.document.get("spec")
    }

    fn span(&self, path: &str) -> Span {
        locate_path(&self.document, path)
    }

    /// The applications this set generates, in generator order. A problem stops the set (no
    /// partial set is returned, as Argo CD would not apply one) and is reported.
    pub fn generate(&self, repo: &dyn RepoDirectories) -> Result<Vec<Application>, Diagnostic> {
        let Some(generators) = self.spec().and_then(|s| s.get("generators")) else {
            return Ok(Vec::new());
        };
        let generators: Vec<&Node> = generators
            .as_sequence()
            .map(|g| g.iter().collect())
            .unwrap_or_default();
        let mut params = Vec::new();
        for (i, generator) in generators.iter().enumerate() {
            params.extend(self.run_generator(
                &generator.to_json(),
                &format!("spec.generators[{i}]"),
                repo,
            )?);
        }
        let template = self
            .spec()
            .and_then(|s| s.get("template"))
            .map(Node::to_json)
            .unwrap_or(Value::Null);
        let patch = self
            .spec()
            .and_then(|s| s.get("templatePatch"))
            .and_then(Node::as_str)
            .map(str::to_owned);
        let mut apps = Vec::new();
        let mut names = BTreeSet::new();
        for set in &params {
            let mut value = self.render_value(&template, set, "spec.template")?;
            if let Some(patch) = &patch {
                let rendered = self.render_string(patch, set, "spec.templatePatch")?;
                let parsed = hoist_yaml::parse(&rendered);
                if let Some(d) = parsed.diagnostics.iter().find(|d| d.is_error()) {
                    return Err(Diagnostic::error(
                        "appset-template",
                        self.span("spec.templatePatch"),
                        format!(
                            "ApplicationSet `{}`: the rendered `templatePatch` is not YAML (line {}: {})",
                            self.name, d.span.start.line, d.message
                        ),
                    ));
                }
                if let Some(root) = parsed.root {
                    merge(&mut value, root.to_json());
                }
            }
            let mut diagnostics = Vec::new();
            let template_node = node_from(&self.document, "spec.template");
            let app: Option<Application> =
                deserialize_reporting(template_node, &value, &mut diagnostics);
            if let Some(error) = diagnostics.into_iter().find(Diagnostic::is_error) {
                return Err(error);
            }
            let Some(mut app) = app else { continue };
            app.api_version = crate::application::API_VERSION.to_owned();
            app.kind = "Application".to_owned();
            app.origin = format!(
                "{}:{} (ApplicationSet `{}`)",
                self.file, self.document.span.start.line, self.name
            );
            if app.metadata.name.is_empty() {
                return Err(Diagnostic::error(
                    "appset-template",
                    self.span("spec.template.metadata.name"),
                    format!(
                        "ApplicationSet `{}` generated an application without a name",
                        self.name
                    ),
                )
                .with_hint("set `spec.template.metadata.name`, for example `'{{.name}}'`"));
            }
            if !names.insert(app.metadata.name.clone()) {
                return Err(Diagnostic::error(
                    "appset-template",
                    self.span("spec.template.metadata.name"),
                    format!(
                        "ApplicationSet `{}` generates application `{}` twice",
                        self.name, app.metadata.name
                    ),
                )
                .with_hint("make the name depend on every parameter that varies"));
            }
            apps.push(app);
        }
        Ok(apps)
    }

    fn run_generator(
        &self,
        generator: &Value,
        at: &str,
        repo: &dyn RepoDirectories,
    ) -> Result<Vec<Value>, Diagnostic> {
        let fail = |path: &str, message: String, hint: &str| {
            Diagnostic::error(
                "appset-generator",
                self.span(path),
                format!("ApplicationSet `{}`: {message}", self.name),
            )
            .with_hint(hint.to_owned())
        };
        let Some((kind, body)) = generator
            .as_object()
            .and_then(|m| m.iter().find(|(k, _)| *k != "selector"))
        else {
            return Err(fail(
                at,
                "an empty generator".to_owned(),
                "use `list`, `git` or `matrix`",
            ));
        };
        let here = format!("{at}.{kind}");
        match kind.as_str() {
            "list" => {
                let elements = body
                    .get("elements")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                if body.get("elementsYaml").is_some() {
                    return Err(fail(
                        &here,
                        "`elementsYaml` is not supported".to_owned(),
                        "write the elements under `elements`",
                    ));
                }
                Ok(elements
                    .into_iter()
                    .map(|e| self.params_of_element(e))
                    .collect())
            }
            "git" => self.git_directories(body, &here, repo),
            "matrix" => {
                let children = body
                    .get("generators")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                if children.len() != 2 {
                    return Err(fail(
                        &here,
                        format!(
                            "a matrix generator combines exactly two generators, this one has {}",
                            children.len()
                        ),
                        "nest a second matrix to combine more",
                    ));
                }
                let firsts =
                    self.run_generator(&children[0], &format!("{here}.generators[0]"), repo)?;
                let mut out = Vec::new();
                for first in firsts {
                    // The second generator may use the first's parameters (Argo CD renders it
                    // with them before running it).
                    let second =
                        self.render_value(&children[1], &first, &format!("{here}.generators[1]"))?;
                    for s in self.run_generator(&second, &format!("{here}.generators[1]"), repo)? {
                        let mut combined = first.clone();
                        merge(&mut combined, s);
                        out.push(combined);
                    }
                }
                Ok(out)
            }
            other => Err(fail(
                &here,
                format!("the `{other}` generator is not supported"),
                "Hoist supports the list, git (directories) and matrix generators",
            )),
        }
    }

    /// A list element's parameters: the element itself; with Go templates, nested values
    /// stay objects, without they are flattened to dotted keys as Argo CD does.
    fn params_of_element(&self, element: Value) -> Value {
        if self.go_template {
            element
        } else {
            let mut flat = Map::new();
            flatten("", &element, &mut flat);
            Value::Object(flat)
        }
    }

    fn git_directories(
        &self,
        body: &Value,
        here: &str,
        repo: &dyn RepoDirectories,
    ) -> Result<Vec<Value>, Diagnostic> {
        let repo_url = body
            .get("repoURL")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let revision = body
            .get("revision")
            .and_then(Value::as_str)
            .unwrap_or("HEAD");
        if body.get("files").is_some() {
            return Err(Diagnostic::error(
                "appset-generator",
                self.span(&format!("{here}.files")),
                format!(
                    "ApplicationSet `{}`: the git files generator is not supported",
                    self.name
                ),
            )
            .with_hint("use `directories`, or a list generator"));
        }
        let entries = body
            .get("directories")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut include = Vec::new();
        let mut exclude = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let Some(pattern) = entry.get("path").and_then(Value::as_str) else {
                return Err(Diagnostic::error(
                    "appset-generator",
                    self.span(&format!("{here}.directories[{i}]")),
                    format!(
                        "ApplicationSet `{}`: a directory entry without `path`",
                        self.name
                    ),
                ));
            };
            let glob = globset::GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .map_err(|e| {
                    Diagnostic::error(
                        "appset-generator",
                        self.span(&format!("{here}.directories[{i}].path")),
                        format!(
                            "ApplicationSet `{}`: bad pattern `{pattern}`: {e}",
                            self.name
                        ),
                    )
                })?
                .compile_matcher();
            if entry.get("exclude").and_then(Value::as_bool) == Some(true) {
                exclude.push(glob);
            } else {
                include.push(glob);
            }
        }
        let dirs = repo.directories(repo_url, revision).map_err(|e| {
            Diagnostic::error(
                "appset-generator",
                self.span(here),
                format!(
                    "ApplicationSet `{}`: cannot list `{repo_url}` at `{revision}`: {e}",
                    self.name
                ),
            )
            .with_hint("check `repoURL` and `revision` of the git generator")
        })?;
        let values = body.get("values").cloned();
        let mut out = Vec::new();
        for dir in dirs {
            if !include.iter().any(|g| g.is_match(&dir)) || exclude.iter().any(|g| g.is_match(&dir))
            {
                continue;
            }
            let segments: Vec<&str> = dir.split('/').collect();
            let basename = segments.last().copied().unwrap_or_default();
            let normalized: String = basename
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                        c.to_ascii_lowercase()
                    } else {
                        '-'
                    }
                })
                .collect();
            let mut params = if self.go_template {
                serde_json::json!({"path": {"path": dir, "basename": basename, "basenameNormalized": normalized, "segments": segments}})
            } else {
                let mut m = Map::new();
                m.insert("path".into(), Value::String(dir.clone()));
                m.insert("path.path".into(), Value::String(dir.clone()));
                m.insert("path.basename".into(), Value::String(basename.to_owned()));
                m.insert(
                    "path.basenameNormalized".into(),
                    Value::String(normalized.clone()),
                );
                for (i, s) in segments.iter().enumerate() {
                    m.insert(format!("path[{i}]"), Value::String((*s).to_owned()));
                }
                Value::Object(m)
            };
            if let Some(values) = &values {
                // `values` may themselves use the path's parameters.
                let rendered = self.render_value(values, &params, here)?;
                if self.go_template {
                    merge(&mut params, serde_json::json!({"values": rendered}));
                } else if let (Some(m), Some(v)) = (params.as_object_mut(), rendered.as_object()) {
                    for (k, v) in v {
                        m.insert(format!("values.{k}"), v.clone());
                    }
                }
            }
            out.push(params);
        }
        Ok(out)
    }

    /// Renders every string (keys included) of `value` with `params`.
    fn render_value(&self, value: &Value, params: &Value, at: &str) -> Result<Value, Diagnostic> {
        Ok(match value {
            Value::String(s) => Value::String(self.render_string(s, params, at)?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.render_value(i, params, at))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(m) => {
                let mut out = Map::new();
                for (k, v) in m {
                    out.insert(
                        self.render_string(k, params, at)?,
                        self.render_value(v, params, at)?,
                    );
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }

    fn render_string(&self, s: &str, params: &Value, at: &str) -> Result<String, Diagnostic> {
        if !s.contains("{{") {
            return Ok(s.to_owned());
        }
        if self.go_template {
            let missing = match self.missing_key {
                MissingKeyOption::Error => MissingKey::Error,
                MissingKeyOption::Default => MissingKey::NoValue,
            };
            gotemplate::render(s, params, missing).map_err(|e| {
                Diagnostic::error(
                    "appset-template",
                    self.span(at),
                    format!("ApplicationSet `{}`: {e}", self.name),
                )
                .with_hint("Go templates name parameters with a leading dot: `{{.path.basename}}`")
            })
        } else {
            Ok(fasttemplate(s, params))
        }
    }
}

/// Argo CD's default substitution: `{{ key }}` becomes the parameter, unknown keys stay.
fn fasttemplate(s: &str, params: &Value) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            out.push_str(&rest[open..]);
            return out;
        };
        let key = after[..close].trim();
        match params.get(key) {
            Some(Value::String(v)) => out.push_str(v),
            Some(Value::Null) | None => out.push_str(&rest[open..open + 2 + close + 2]),
            Some(other) => out.push_str(&other.to_string()),
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    out
}

fn flatten(prefix: &str, value: &Value, out: &mut Map<String, Value>) {
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        other => {
            out.insert(
                prefix.to_owned(),
                match other {
                    Value::String(_) => other.clone(),
                    v => Value::String(v.to_string()),
                },
            );
        }
    }
}

/// Merges `patch` into `base`: objects key by key, everything else replaced.
pub(crate) fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                match b.get_mut(&k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, p) => *b = p,
    }
}

fn node_from<'a>(root: &'a Node, path: &str) -> &'a Node {
    crate::yaml_value::node_at(root, path)
}
