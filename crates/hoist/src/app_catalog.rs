//! The applications of a project: Argo CD's manifests found under `[apps] dir` (default
//! `deploy/`) or given with `-f`, ApplicationSets expanded, and the renderer that turns
//! them into manifests. Shared by every `hoist app` command.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use hoist_deploy::Application;
use hoist_deploy::appset::parse_application_sets;
use hoist_diagnostics::{FileReport, render_human};
use hoist_render::{Project, Renderer, RepoSet, Tools};

use crate::cli::AppSourceArgs;
use crate::config::Config;
use crate::output;

pub(crate) struct Catalog {
    pub(crate) apps: Vec<Application>,
    pub(crate) renderer: Renderer,
    pub(crate) config: Config,
    pub(crate) project: PathBuf,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("apps", &self.apps.len())
            .field("project", &self.project)
            .finish()
    }
}

/// Reads the project's applications. Problems in the manifests are printed with their
/// file, line and column; any error stops here (nothing is rendered from a broken set).
pub(crate) fn load(args: &AppSourceArgs) -> anyhow::Result<Catalog> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let project =
        args.project.clone().map_or(
            cwd.clone(),
            |p| if p.is_absolute() { p } else { cwd.join(p) },
        );
    if !project.is_dir() {
        bail!("project directory `{}` does not exist", project.display());
    }
    let (config, _) = Config::load(args.config.as_deref(), Some(&project))?;
    let apps_dir = if config.apps.dir.is_absolute() {
        config.apps.dir.clone()
    } else {
        project.join(&config.apps.dir)
    };
    let files = if args.files.is_empty() {
        if !apps_dir.is_dir() {
            bail!(
                "no `{}` directory in `{}`\n  hint: put Argo CD Application or ApplicationSet manifests there, set `[apps] dir` in hoist.toml, or pass `-f FILE`",
                config.apps.dir.display(),
                project.display()
            );
        }
        manifest_files(&apps_dir)?
    } else {
        args.files
            .iter()
            .map(|f| {
                if f.is_absolute() {
                    f.clone()
                } else {
                    cwd.join(f)
                }
            })
            .collect()
    };
    let cache = config.data_dir().join("apps");
    let tools = Tools::find(
        config.apps.helm.clone(),
        config.apps.kustomize.clone(),
        config.apps.kubectl.clone(),
    );
    let repos = RepoSet::new(
        Project::open(&project, config.apps.repo_url.clone()),
        &cache,
    );
    let renderer = Renderer::new(repos, tools, &cache);

    let mut apps: Vec<Application> = Vec::new();
    let mut errors = 0;
    for file in &files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read `{}`", file.display()))?;
        let shown = file
            .strip_prefix(&project)
            .unwrap_or(file)
            .display()
            .to_string();
        let (mut found, mut diagnostics) = hoist_deploy::parse_applications(&shown, &text);
        let (sets, set_diagnostics) = parse_application_sets(&shown, &text);
        diagnostics.extend(set_diagnostics);
        for set in &sets {
            match set.generate(&renderer) {
                Ok(generated) => found.extend(generated),
                Err(d) => diagnostics.push(d),
            }
        }
        // Both parsers read the stream; a syntax error is reported once.
        diagnostics.dedup_by(|a, b| a.code == b.code && a.span == b.span && a.message == b.message);
        errors += diagnostics.iter().filter(|d| d.is_error()).count();
        if !diagnostics.is_empty() {
            let mut report = FileReport {
                path: shown.clone(),
                text: text.clone(),
                diagnostics,
            };
            report.sort();
            output::stderr(&render_human(&report));
        }
        apps.extend(found);
    }
    if errors > 0 {
        bail!("{errors} error(s) in the application manifests; nothing was rendered");
    }
    let mut seen = std::collections::HashMap::new();
    for app in &apps {
        if let Some(first) = seen.insert(app.metadata.name.clone(), app.origin.clone()) {
            bail!(
                "application `{}` is defined twice: {} and {}",
                app.metadata.name,
                first,
                app.origin
            );
        }
    }
    apps.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    Ok(Catalog {
        apps,
        renderer,
        config,
        project,
    })
}

impl Catalog {
    /// The application `name`, or an error that names the closest ones.
    pub(crate) fn find(&self, name: &str) -> anyhow::Result<&Application> {
        if let Some(app) = self.apps.iter().find(|a| a.metadata.name == name) {
            return Ok(app);
        }
        let mut close: Vec<(&str, f64)> = self
            .apps
            .iter()
            .map(|a| {
                (
                    a.metadata.name.as_str(),
                    strsim::jaro_winkler(name, &a.metadata.name),
                )
            })
            .filter(|(_, s)| *s > 0.8)
            .collect();
        close.sort_by(|a, b| b.1.total_cmp(&a.1));
        let hint = match close.first() {
            Some((n, _)) => format!("did you mean `{n}`?"),
            None => format!(
                "`hoist app list` shows the {} applications",
                self.apps.len()
            ),
        };
        bail!("no application `{name}`\n  hint: {hint}")
    }

    /// The applications `names` names (every one when `names` is empty), each checked as
    /// [`Catalog::find`] checks it.
    pub(crate) fn find_all(&self, names: &[String]) -> anyhow::Result<Vec<&Application>> {
        if names.is_empty() {
            return Ok(self.apps.iter().collect());
        }
        names.iter().map(|n| self.find(n)).collect()
    }

    /// `name`'s application, or every application when `name` is `None`.
    pub(crate) fn select(&self, name: Option<&str>) -> anyhow::Result<Vec<&Application>> {
        match name {
            Some(n) => Ok(vec![self.find(n)?]),
            None => Ok(self.apps.iter().collect()),
        }
    }
}

/// Every YAML or JSON file below `dir`, sorted, hidden files and directories left out.
fn manifest_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in
            std::fs::read_dir(&d).with_context(|| format!("cannot read `{}`", d.display()))?
        {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else if [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e)) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}
