//! The project being worked on: the directory that holds `.github/workflows`, and its
//! workflow files read and parsed. Shared by the commands that run or inspect workflows.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use hoist_engine::WorkflowFile;
use hoist_git::Repository;

/// The directory holding `.github/workflows`: `dir` or the nearest parent (within the git
/// repository, if any) that has one.
pub(crate) fn find_project(dir: &Path) -> anyhow::Result<PathBuf> {
    let repo_root = Repository::discover(dir).map(|r| r.root);
    for d in dir.ancestors() {
        if d.join(".github/workflows").is_dir() {
            return Ok(d.to_path_buf());
        }
        if repo_root.as_deref() == Some(d) {
            break;
        }
    }
    bail!(
        "no `.github/workflows` directory in `{}` or above; run `hoist run` in a repository with workflows",
        dir.display()
    )
}

/// `.github/workflows/*.yml` of the project, restricted to `names` when given.
pub(crate) fn load_workflows(
    project: &Path,
    names: &[String],
) -> anyhow::Result<Vec<(WorkflowFile, hoist_workflow::ParsedWorkflow)>> {
    let dir = project.join(".github/workflows");
    let mut paths = workflow_files(&dir)?;
    // A name is the file's name or a path ending in it.
    let is_named = |p: &Path, n: &str| p.file_name().is_some_and(|f| f == n) || p.ends_with(n);
    if !names.is_empty() {
        for n in names {
            let found = paths.iter().any(|p| is_named(p, n));
            if !found {
                let available: Vec<String> = paths
                    .iter()
                    .filter_map(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
                    .collect();
                bail!(
                    "no workflow `{n}` in `{}` (there are: {})",
                    dir.display(),
                    available.join(", ")
                );
            }
        }
        paths.retain(|p| names.iter().any(|n| is_named(p, n)));
    }
    let mut out = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p)
            .with_context(|| format!("cannot read `{}`", p.display()))?;
        let rel = p
            .strip_prefix(project)
            .unwrap_or(&p)
            .to_string_lossy()
            .into_owned();
        let parsed = hoist_workflow::parse_workflow(&text);
        out.push((WorkflowFile { path: rel, text }, parsed));
    }
    Ok(out)
}

/// The workflow files (`.yml`, `.yaml`) directly in `dir`, sorted.
pub(crate) fn workflow_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list `{}`", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    paths.sort();
    Ok(paths)
}
