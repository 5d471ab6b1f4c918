//! `hoist check`: validate workflow files.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use hoist_diagnostics::FileReport;
use hoist_engine::action_cache::{ActionCache, RemoteAction};
use hoist_workflow::model::ActionRef;
use hoist_workflow::{WorkflowSource, check_workflow_with};

use crate::cli::{CheckArgs, Shellcheck};
use crate::commands::Outcome;

pub(crate) fn run(args: &CheckArgs) -> anyhow::Result<Outcome> {
    match &args.gate {
        Some(crate::cli::CheckGate::Migrations(m)) => return super::migrations::run(m),
        Some(crate::cli::CheckGate::Terraform(t)) => return super::terraform::check(t),
        None => {}
    }
    let files = collect_files(&args.paths)?;
    // The project's own runners (`[runner] labels` of its hoist.toml) are known labels.
    let cwd = std::env::current_dir().context("cannot determine the current directory")?;
    let project = crate::project::find_project(&cwd).ok();
    let (config, _) = crate::config::Config::load(None, project.as_deref())?;
    let options = hoist_workflow::CheckOptions {
        runner_labels: config.runner.labels.clone(),
    };
    let shellcheck = match args.shellcheck {
        Shellcheck::Never => None,
        Shellcheck::Auto => crate::shellcheck::find(),
        Shellcheck::Always => Some(crate::shellcheck::find().context(
            "`--shellcheck always` needs shellcheck on PATH; install it (Debian: `apt-get install shellcheck`)",
        )?),
    };
    let mut reports = Vec::with_capacity(files.len());
    for file in &files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read `{}`", file.display()))?;
        let source = RepositoryFiles::for_workflow(file, config.action_cache());
        let mut parsed = check_workflow_with(&text, &source, &options);
        if let Some(shellcheck) = &shellcheck
            && !parsed.has_errors()
        {
            let found = crate::shellcheck::check(shellcheck, &parsed.workflow, &text)
                .with_context(|| format!("linting the scripts of `{}`", file.display()))?;
            parsed.diagnostics.extend(found);
        }
        if args.no_warnings {
            parsed.diagnostics.retain(|d| d.is_error());
        }
        let mut report = FileReport {
            path: file.display().to_string(),
            text,
            diagnostics: parsed.diagnostics,
        };
        report.sort();
        reports.push(report);
    }
    let errors: usize = reports.iter().map(FileReport::error_count).sum();
    let total: usize = reports.iter().map(|r| r.diagnostics.len()).sum();
    let names: Vec<String> = reports.iter().map(|r| r.path.clone()).collect();
    let summary = format!(
        "checked {} workflow file(s): {errors} error(s), {} warning(s)\n",
        reports.len(),
        total - errors
    );
    let gate = crate::gate_report::Gate {
        suite: "hoist check",
        rules: hoist_workflow::RULES,
    };
    crate::gate_report::print(&gate, args.format, &names, &reports, &summary);
    let deny_warnings = args.deny_warnings || args.deny.is_some();
    Ok(if errors > 0 || (deny_warnings && total > errors) {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}

/// The workflow files named by `paths`: files as given, directories' `.yml`/`.yaml` files (a
/// repository directory means its `.github/workflows`). No paths: the current repository's.
fn collect_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut roots = paths.to_vec();
    if roots.is_empty() {
        let cwd = std::env::current_dir().context("cannot determine the current directory")?;
        let repo = cwd
            .ancestors()
            .find(|d| d.join(".github/workflows").is_dir() || d.join(".git").exists())
            .unwrap_or(&cwd);
        let dir = repo.join(".github/workflows");
        if !dir.is_dir() {
            bail!(
                "no `.github/workflows` directory in `{}`; pass the workflow files or directories to check",
                repo.display()
            );
        }
        roots.push(relative_to(&dir, &cwd));
    }
    let mut files = Vec::new();
    for root in roots {
        if root.is_file() {
            files.push(root);
            continue;
        }
        if !root.is_dir() {
            bail!("`{}` does not exist", root.display());
        }
        let dir = if root.join(".github/workflows").is_dir() {
            root.join(".github/workflows")
        } else {
            root
        };
        let found = crate::project::workflow_files(&dir)?;
        if found.is_empty() {
            bail!("no `.yml` or `.yaml` files in `{}`", dir.display());
        }
        files.extend(found);
    }
    Ok(files)
}

fn relative_to(path: &Path, base: &Path) -> PathBuf {
    path.strip_prefix(base)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Reads other workflows of the repository a workflow file belongs to.
struct RepositoryFiles {
    /// The repository root, when the file sits in `<root>/.github/workflows/`.
    root: Option<PathBuf>,
    /// The directory of the file being checked, as a fallback for loose files.
    dir: PathBuf,
    /// Where remote actions are cached, for their `action.yml`.
    action_cache: ActionCache,
}

impl RepositoryFiles {
    fn for_workflow(file: &Path, action_cache: ActionCache) -> Self {
        let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let root = dir
            .ends_with(".github/workflows")
            .then(|| dir.parent().and_then(Path::parent).map(Path::to_path_buf))
            .flatten();
        Self {
            root,
            dir,
            action_cache,
        }
    }
}

/// `action.yml` (or `action.yaml`) in `dir`.
fn read_metadata(dir: &Path) -> Option<String> {
    ["action.yml", "action.yaml"]
        .iter()
        .find_map(|f| std::fs::read_to_string(dir.join(f)).ok())
}

impl WorkflowSource for RepositoryFiles {
    fn read(&self, path: &str) -> Option<String> {
        if let Some(root) = &self.root {
            return std::fs::read_to_string(root.join(path)).ok();
        }
        let name = Path::new(path).file_name()?;
        std::fs::read_to_string(self.dir.join(name)).ok()
    }

    fn read_action(&self, action: &ActionRef) -> Option<String> {
        match action {
            ActionRef::Local(path) | ActionRef::SelfRepository(path) => {
                read_metadata(&self.root.as_ref()?.join(path.trim_start_matches("./")))
            }
            ActionRef::Repository { path, .. } => {
                let checkout = self.action_cache.path_of(&RemoteAction::of(action)?);
                read_metadata(&path.as_ref().map_or(checkout.clone(), |p| checkout.join(p)))
            }
            ActionRef::Docker(_) => None,
        }
    }
}
