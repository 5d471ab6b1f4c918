//! Turns an application's sources into manifests, as Argo CD's repo server does: the
//! source's repository at the resolved revision, rendered with `helm template`,
//! `kustomize build` (or `kubectl kustomize`) or read as a directory of YAML and JSON files.
//!
//! Guarantees:
//! - A revision is read from git, never from a working tree (except with `--local`), so
//!   what is rendered is exactly what a commit holds.
//! - Rendered output is cached by everything that decides it (the repositories' commits, the
//!   path, the source's parameters, the destination and the cluster facts Helm is told); an
//!   unchanged application is not rendered again, in this process or the next.
//! - A failure names the tool, the command and its message, and nothing half-rendered is
//!   returned.

mod checkout;
mod directory;
mod errors;
mod tools;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use hoist_deploy::application::{Application, Source};
use hoist_deploy::manifest::{self, Resource};
use hoist_deploy::source::{self, ClusterFacts, SourceKind};
use sha2::{Digest, Sha256};

pub use checkout::{Project, RepoSet, Revision};
pub use errors::RenderError;
pub use tools::Tools;

/// What an application rendered to, and from which revisions.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// One resolved commit per source, in the sources' order.
    pub revisions: Vec<Revision>,
    pub resources: Vec<Resource>,
    /// Whether this came from the cache.
    pub cached: bool,
}

impl Rendered {
    /// The revision shown for the application: its first source's commit.
    pub fn revision(&self) -> &str {
        self.revisions.first().map_or("", |r| r.commit.as_str())
    }
}

/// Renders applications; one per process, shared by every command.
#[derive(Debug)]
pub struct Renderer {
    repos: RepoSet,
    tools: Tools,
    cache_dir: PathBuf,
    memory: Mutex<HashMap<String, Vec<Resource>>>,
    /// `--hard-refresh`: render again, ignoring (and then replacing) cached output.
    bypass_cache: std::sync::atomic::AtomicBool,
}

impl Renderer {
    /// A renderer over `repos`, keeping its cache (checkouts and rendered output) in
    /// `cache_dir`.
    pub fn new(repos: RepoSet, tools: Tools, cache_dir: &Path) -> Renderer {
        Renderer {
            repos,
            tools,
            cache_dir: cache_dir.to_path_buf(),
            memory: Mutex::new(HashMap::new()),
            bypass_cache: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// With `true`, every render runs the tools again (`app get --hard-refresh`).
    pub fn bypass_cache(&self, bypass: bool) {
        self.bypass_cache
            .store(bypass, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn repos(&self) -> &RepoSet {
        &self.repos
    }

    /// Renders `app` at each source's target revision (or `revision` for the first source,
    /// as `app sync --revision` asks), or from `local` (a directory standing in for the
    /// first source's path, uncommitted changes included).
    pub fn render(
        &self,
        app: &Application,
        revision: Option<&str>,
        local: Option<&Path>,
        cluster: &ClusterFacts,
    ) -> Result<Rendered, RenderError> {
        let sources = app.sources();
        if sources.is_empty() {
            return Err(RenderError::NoSource {
                app: app.metadata.name.clone(),
            });
        }
        let mut revisions = Vec::new();
        for (i, s) in sources.iter().enumerate() {
            let wanted = if i == 0 {
                revision.or(s.target_revision.as_deref())
            } else {
                s.target_revision.as_deref()
            };
            revisions.push(self.repos.resolve(&s.repo_url, wanted.unwrap_or("HEAD"))?);
        }
        let key = self.cache_key(app, &sources, &revisions, local, cluster);
        if local.is_none() && !self.bypass_cache.load(std::sync::atomic::Ordering::Relaxed) {
            if let Some(hit) = self.memory.lock().ok().and_then(|m| m.get(&key).cloned()) {
                return Ok(Rendered {
                    revisions,
                    resources: hit,
                    cached: true,
                });
            }
            let file = self.cache_dir.join("rendered").join(format!("{key}.json"));
            if let Ok(text) = std::fs::read_to_string(&file)
                && let Ok(objects) = serde_json::from_str::<Vec<serde_json::Value>>(&text)
                && let Ok(resources) = objects
                    .into_iter()
                    .map(Resource::from_object)
                    .collect::<Result<Vec<_>, _>>()
            {
                if let Ok(mut m) = self.memory.lock() {
                    m.insert(key.clone(), resources.clone());
                }
                return Ok(Rendered {
                    revisions,
                    resources,
                    cached: true,
                });
            }
        }
        // `ref` sources lend their trees to the others' `$ref/...` value files.
        let mut refs: HashMap<String, PathBuf> = HashMap::new();
        let mut trees = Vec::new();
        for (s, r) in sources.iter().zip(&revisions) {
            let tree = self.repos.checkout(r, &self.cache_dir)?;
            if let Some(name) = &s.reference {
                refs.insert(name.clone(), tree.clone());
            }
            trees.push(tree);
        }
        let mut resources = Vec::new();
        for (i, (s, tree)) in sources.iter().zip(&trees).enumerate() {
            // A source that only lends its files renders nothing.
            if s.reference.is_some() && s.path.is_none() && s.chart.is_none() {
                continue;
            }
            let (tree_root, root) = match (i, local) {
                (0, Some(dir)) => {
                    // A local directory's tree is its repository (for `../base`), else itself.
                    let top = hoist_git::Repository::discover(dir)
                        .map_or_else(|| dir.to_path_buf(), |r| r.root);
                    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
                    (std::fs::canonicalize(&top).unwrap_or(top), dir)
                }
                _ => (
                    tree.clone(),
                    join_inside(tree, s.path.as_deref().unwrap_or("."), &app.metadata.name)?,
                ),
            };
            resources.extend(self.render_source(app, s, &tree_root, &root, &refs, cluster)?);
        }
        for r in &mut resources {
            if let Some(meta) = r.object.get_mut("metadata").and_then(|m| m.as_object_mut()) {
                // Helm and kustomize write nulls for empty maps; Kubernetes would drop them.
                meta.retain(|_, v| !v.is_null());
            }
        }
        if local.is_none() {
            let dir = self.cache_dir.join("rendered");
            let objects: Vec<&serde_json::Value> = resources.iter().map(|r| &r.object).collect();
            if std::fs::create_dir_all(&dir).is_ok()
                && let Ok(text) = serde_json::to_string(&objects)
            {
                // Written aside and renamed, so a reader never sees half a file.
                let staged = dir.join(format!(".{key}.{}", std::process::id()));
                if std::fs::write(&staged, text).is_ok() {
                    let _ = std::fs::rename(&staged, dir.join(format!("{key}.json")));
                }
            }
            if let Ok(mut m) = self.memory.lock() {
                m.insert(key, resources.clone());
            }
        }
        Ok(Rendered {
            revisions,
            resources,
            cached: false,
        })
    }

    fn render_source(
        &self,
        app: &Application,
        s: &Source,
        tree_root: &Path,
        root: &Path,
        refs: &HashMap<String, PathBuf>,
        cluster: &ClusterFacts,
    ) -> Result<Vec<Resource>, RenderError> {
        if s.chart.is_some() {
            return Err(RenderError::Unsupported {
                app: app.metadata.name.clone(),
                what: "charts from Helm repositories (`chart:`)".into(),
                hint: "vendor the chart into Git and point `path:` at it".into(),
            });
        }
        if s.plugin.is_some() {
            return Err(RenderError::Unsupported {
                app: app.metadata.name.clone(),
                what: "config management plugins (`plugin:`)".into(),
                hint: "render the manifests in CI and commit them, or use Helm or Kustomize".into(),
            });
        }
        if !root.is_dir() {
            return Err(RenderError::PathMissing {
                app: app.metadata.name.clone(),
                path: s.path.clone().unwrap_or_else(|| ".".into()),
                repo: s.repo_url.clone(),
            });
        }
        let kind = source::detect(s, |f| root.join(f).is_file());
        match kind {
            SourceKind::Directory => directory::read(app, s, root),
            SourceKind::Helm => self.helm(app, s, root, refs, cluster),
            SourceKind::Kustomize => self.kustomize(app, s, tree_root, root),
        }
    }

    fn helm(
        &self,
        app: &Application,
        s: &Source,
        root: &Path,
        refs: &HashMap<String, PathBuf>,
        cluster: &ClusterFacts,
    ) -> Result<Vec<Resource>, RenderError> {
        let helm_bin = self.tools.helm()?;
        let scratch = tempfile::tempdir().map_err(|e| RenderError::Io {
            what: "a temporary directory".into(),
            source: e,
        })?;
        let mut helm = s.helm.clone().unwrap_or_default();
        // Value files: relative to the chart, or `$ref/...` into a `ref` source's tree.
        let mut files = Vec::new();
        for f in &helm.value_files {
            let path = match f.strip_prefix('$').and_then(|r| r.split_once('/')) {
                Some((name, rest)) => match refs.get(name) {
                    Some(tree) => tree.join(rest),
                    None => {
                        return Err(RenderError::Invalid {
                            app: app.metadata.name.clone(),
                            message: format!("value file `{f}` names no source with `ref: {name}`"),
                        });
                    }
                },
                None => root.join(f),
            };
            if !path.is_file() {
                if helm.ignore_missing_value_files {
                    continue;
                }
                return Err(RenderError::Invalid {
                    app: app.metadata.name.clone(),
                    message: format!(
                        "value file `{f}` does not exist in `{}`",
                        s.path.as_deref().unwrap_or(".")
                    ),
                });
            }
            files.push(path.to_string_lossy().into_owned());
        }
        helm.value_files = files;
        let inline = source::helm_inline_values(&helm).map(|text| {
            let path = scratch.path().join("values.yaml");
            std::fs::write(&path, text).map(|()| path)
        });
        let inline = match inline {
            Some(Ok(p)) => Some(p.to_string_lossy().into_owned()),
            Some(Err(e)) => {
                return Err(RenderError::Io {
                    what: "the inline values".into(),
                    source: e,
                });
            }
            None => None,
        };
        let args = source::helm_template_args(app, Some(&helm), ".", inline.as_deref(), cluster);
        let mut command = Command::new(helm_bin);
        command.args(&args).current_dir(root);
        // Helm's own caches stay in Hoist's, away from the user's configuration.
        for (var, sub) in [
            ("HELM_CACHE_HOME", "cache"),
            ("HELM_CONFIG_HOME", "config"),
            ("HELM_DATA_HOME", "data"),
        ] {
            command.env(var, self.cache_dir.join("helm").join(sub));
        }
        let out = tools::run(&mut command, "helm", &app.metadata.name)?;
        parse_rendered(app, "helm template", &out)
    }

    fn kustomize(
        &self,
        app: &Application,
        s: &Source,
        tree_root: &Path,
        root: &Path,
    ) -> Result<Vec<Resource>, RenderError> {
        let (program, prefix) = self.tools.kustomize()?;
        let scratch;
        let dir = match &s.kustomize {
            Some(k) => {
                // Argo's overrides go into a copy of the kustomization; the tree around it is
                // linked, not copied, so `../base` still resolves.
                // Beside the checkouts, so the links stay on one file system.
                let parent = self.cache_dir.join("scratch");
                scratch = std::fs::create_dir_all(&parent)
                    .and_then(|()| {
                        tempfile::Builder::new()
                            .prefix(".kustomize-")
                            .tempdir_in(&parent)
                    })
                    .map_err(|e| RenderError::Io {
                        what: parent.display().to_string(),
                        source: e,
                    })?;
                let copy = checkout::link_tree_around(tree_root, root, scratch.path())?;
                let file = source::KUSTOMIZATION_FILES
                    .iter()
                    .map(|f| copy.join(f))
                    .find(|p| p.is_file())
                    .ok_or_else(|| RenderError::Invalid {
                        app: app.metadata.name.clone(),
                        message: format!(
                            "`{}` has no kustomization.yaml",
                            s.path.as_deref().unwrap_or(".")
                        ),
                    })?;
                let text = std::fs::read_to_string(&file).map_err(|e| RenderError::Io {
                    what: file.display().to_string(),
                    source: e,
                })?;
                let parsed = hoist_yaml::parse(&text);
                if let Some(d) = parsed.diagnostics.iter().find(|d| d.is_error()) {
                    return Err(RenderError::Invalid {
                        app: app.metadata.name.clone(),
                        message: format!(
                            "kustomization.yaml:{}:{}: {}",
                            d.span.start.line, d.span.start.column, d.message
                        ),
                    });
                }
                let value = parsed.root.map(|r| r.to_json()).unwrap_or_default();
                let edited =
                    source::apply_kustomize_overrides(&value, k, app.destination_namespace());
                // Replace the link with a file of its own, so the original stays untouched.
                let _ = std::fs::remove_file(&file);
                std::fs::write(&file, hoist_deploy::to_yaml(&edited)).map_err(|e| {
                    RenderError::Io {
                        what: file.display().to_string(),
                        source: e,
                    }
                })?;
                copy
            }
            None => root.to_path_buf(),
        };
        let mut command = Command::new(program);
        command.args(prefix).arg(&dir);
        let out = tools::run(&mut command, "kustomize", &app.metadata.name)?;
        parse_rendered(app, "kustomize build", &out)
    }
}

impl Renderer {
    /// The cache key of a render: everything that decides its output. A Helm chart or a
    /// directory is named by its path's tree id rather than the commit, so a commit that
    /// touches one application leaves the others' renders valid; a Kustomize app may read
    /// outside its path (`../base`), so it is named by the commit.
    fn cache_key(
        &self,
        app: &Application,
        sources: &[&Source],
        revisions: &[Revision],
        local: Option<&Path>,
        cluster: &ClusterFacts,
    ) -> String {
        let mut h = Sha256::new();
        // Bumped when rendering itself changes, so old cache entries are not reused.
        h.update(b"hoist-render v2\n");
        h.update(app.metadata.name.as_bytes());
        h.update(app.destination_namespace().unwrap_or_default().as_bytes());
        let multi = sources.len() > 1;
        for (s, r) in sources.iter().zip(revisions) {
            h.update(serde_json::to_string(s).unwrap_or_default().as_bytes());
            h.update(r.repo.as_bytes());
            let path = s.path.as_deref().unwrap_or(".");
            let tree = self.repos.index(r).ok().and_then(|index| {
                let kind = source::detect(s, |f| {
                    let joined = format!("{}/{f}", path.trim_end_matches('/'));
                    index.has_file(joined.trim_start_matches("./").trim_start_matches('/'))
                });
                let self_contained =
                    matches!(kind, SourceKind::Helm | SourceKind::Directory) && !multi;
                if self_contained {
                    index.tree(path).map(str::to_owned)
                } else {
                    None
                }
            });
            match tree {
                Some(t) => h.update(format!("tree {t}").as_bytes()),
                None => h.update(format!("commit {}", r.commit).as_bytes()),
            }
        }
        if let Some(l) = local {
            h.update(l.to_string_lossy().as_bytes());
        }
        h.update(
            cluster
                .kube_version
                .as_deref()
                .unwrap_or_default()
                .as_bytes(),
        );
        for v in &cluster.api_versions {
            h.update(v.as_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl hoist_deploy::appset::RepoDirectories for Renderer {
    fn directories(&self, repo_url: &str, revision: &str) -> Result<Vec<String>, String> {
        self.repos
            .directories(repo_url, revision)
            .map_err(|e| e.to_string())
    }
}

fn parse_rendered(app: &Application, tool: &str, text: &str) -> Result<Vec<Resource>, RenderError> {
    manifest::parse_manifests(tool, text).map_err(|d| RenderError::Invalid {
        app: app.metadata.name.clone(),
        message: format!("{} (line {} of the output)", d.message, d.span.start.line),
    })
}

/// `base/path`, refusing paths that leave the repository (`../..`, absolute paths).
fn join_inside(base: &Path, path: &str, app: &str) -> Result<PathBuf, RenderError> {
    let mut out = base.to_path_buf();
    for part in Path::new(path).components() {
        match part {
            std::path::Component::Normal(p) => out.push(p),
            std::path::Component::CurDir => {}
            _ => {
                return Err(RenderError::Invalid {
                    app: app.to_owned(),
                    message: format!("source path `{path}` leaves the repository"),
                });
            }
        }
    }
    Ok(out)
}
