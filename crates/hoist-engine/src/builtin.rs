//! Actions Hoist provides natively, so the common ones need no download:
//! `actions/checkout`, `actions/cache` (with `/restore` and `/save`),
//! `actions/upload-artifact`, `actions/download-artifact` and `actions/setup-{go,node,python,java}`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hoist_workflow::filter::Filter;
use hoist_workflow::model::ActionRef;
use indexmap::IndexMap;

use crate::actions::PostScript;
use crate::events::{Conclusion, JobKey};
use crate::executor::Executor;
use crate::shared::Shared;

mod artifacts;
mod cache;
mod checkout;
mod setup;

use artifacts::{download_artifact, upload_artifact};
pub(crate) use cache::{CacheSave, save_cache};
use cache::{cache_save_request, restore_cache};
use checkout::checkout;

pub(crate) struct StepContext<'a, E> {
    pub(crate) shared: &'a Arc<Shared<E>>,
    pub(crate) key: &'a JobKey,
    pub(crate) index: usize,
    pub(crate) workspace: &'a Path,
    pub(crate) with: &'a IndexMap<String, String>,
}

/// What an action did.
pub(crate) struct ActionResult {
    pub(crate) outcome: Conclusion,
    pub(crate) outputs: Vec<(String, String)>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) paths: Vec<String>,
    /// Work for the end of the job (saving a cache).
    pub(crate) post: Option<PostScript>,
}

impl ActionResult {
    fn success() -> Self {
        Self {
            outcome: Conclusion::Success,
            outputs: Vec::new(),
            env: Vec::new(),
            paths: Vec::new(),
            post: None,
        }
    }

    fn with_outputs(outputs: Vec<(&str, String)>) -> Self {
        let mut r = Self::success();
        r.outputs = outputs
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        r
    }
}

const BUILTIN: &[(&str, Option<&str>)] = &[
    ("checkout", None),
    ("cache", None),
    ("cache", Some("restore")),
    ("cache", Some("save")),
    ("upload-artifact", None),
    ("download-artifact", None),
    ("setup-go", None),
    ("setup-node", None),
    ("setup-python", None),
    ("setup-java", None),
];

/// Whether `action` is one Hoist provides itself.
pub(crate) fn handles(action: &ActionRef) -> bool {
    match action {
        ActionRef::Repository {
            owner, repo, path, ..
        } if owner == "actions" => BUILTIN
            .iter()
            .any(|(r, p)| r == repo && p.as_deref() == path.as_deref()),
        _ => false,
    }
}

pub(crate) async fn run<E: Executor>(
    ctx: StepContext<'_, E>,
    action: &ActionRef,
) -> Result<ActionResult, String> {
    let ActionRef::Repository { repo, path, .. } = action else {
        return Err(format!(
            "action `{}` is not built in",
            crate::step::action_label(action)
        ));
    };
    match (repo.as_str(), path.as_deref()) {
        ("checkout", None) => checkout(&ctx).await,
        ("cache", None) => restore_cache(&ctx, true).await,
        ("cache", Some("restore")) => restore_cache(&ctx, false).await,
        ("cache", Some("save")) => {
            let save = cache_save_request(&ctx)?;
            save_cache(ctx.shared, ctx.key, ctx.index, &save).await?;
            Ok(ActionResult::success())
        }
        ("upload-artifact", None) => upload_artifact(&ctx),
        ("download-artifact", None) => download_artifact(&ctx),
        ("setup-go", None) => setup::run(&ctx, &setup::GO).await,
        ("setup-node", None) => setup::run(&ctx, &setup::NODE).await,
        ("setup-python", None) => setup::run(&ctx, &setup::PYTHON).await,
        ("setup-java", None) => setup::run(&ctx, &setup::JAVA).await,
        _ => Err(format!(
            "action `{}` is not built in",
            crate::step::action_label(action)
        )),
    }
}

fn home() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("/"), PathBuf::from)
}

/// The lines of a multi-line input, trimmed, without blanks.
fn lines(value: Option<&String>) -> Vec<String> {
    value.map_or_else(Vec::new, |v| {
        v.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

/// A path input, absolute: `~` is the home directory, relative paths start in the workspace.
fn absolute(workspace: &Path, p: &str) -> PathBuf {
    if let Some(rest) = p.strip_prefix("~/") {
        return home().join(rest);
    }
    if p == "~" {
        return home();
    }
    let path = Path::new(p);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        workspace.join(path)
    }
}

fn files_under(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => files_under(root, &p, out),
            Ok(t) if t.is_file() || t.is_symlink() => out.push(p),
            _ => {}
        }
    }
    let _ = root;
}

/// Files selected by path patterns: plain files and directories, `*`/`**` globs relative to the
/// workspace, and `!` exclusions.
fn select_files(workspace: &Path, patterns: &[String]) -> Result<Vec<PathBuf>, String> {
    let mut include: Vec<PathBuf> = Vec::new();
    let mut globs: Vec<String> = Vec::new();
    let mut excludes: Vec<String> = Vec::new();
    for p in patterns {
        if let Some(x) = p.strip_prefix('!') {
            excludes.push(x.trim_start_matches("./").to_owned());
        } else if p.contains(['*', '?', '[']) {
            globs.push(p.trim_start_matches("./").to_owned());
        } else {
            let abs = absolute(workspace, p);
            if abs.is_dir() {
                files_under(&abs, &abs, &mut include);
            } else if abs.exists() {
                include.push(abs);
            }
        }
    }
    if !globs.is_empty() {
        let filter = Filter::new(globs.iter().map(String::as_str)).map_err(|(_, e)| e)?;
        let mut all = Vec::new();
        files_under(workspace, workspace, &mut all);
        for f in all {
            if let Ok(rel) = f.strip_prefix(workspace)
                && filter.selects(&rel.to_string_lossy())
            {
                include.push(f);
            }
        }
    }
    if !excludes.is_empty() {
        let filter = Filter::new(excludes.iter().map(String::as_str)).map_err(|(_, e)| e)?;
        include.retain(|f| {
            f.strip_prefix(workspace)
                .map_or(true, |rel| !filter.selects(&rel.to_string_lossy()))
        });
    }
    include.sort();
    include.dedup();
    Ok(include)
}

async fn command(program: &str, args: &[&str], cwd: &Path) -> Result<String, String> {
    let out = tokio::process::Command::new(program)
        .args(args)
        .current_dir(cwd)
        .output()
        .await
        .map_err(|e| format!("cannot run `{program}`: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
