//! Actions Hoist provides natively, so the common ones need no download:
//! `actions/checkout` today; others are refused with a clear message until they are built.

use std::path::Path;
use std::sync::Arc;

use hoist_expr::Object;
use hoist_workflow::model::ActionRef;
use indexmap::IndexMap;

use crate::events::{Conclusion, JobKey};
use crate::executor::Executor;
use crate::run::Shared;

pub(crate) struct StepContext<'a, E> {
    pub(crate) shared: &'a Arc<Shared<E>>,
    pub(crate) key: &'a JobKey,
    pub(crate) index: usize,
    pub(crate) workspace: &'a Path,
    #[allow(dead_code)] // used by actions that need scratch space
    pub(crate) temp: &'a Path,
    pub(crate) with: &'a IndexMap<String, String>,
    #[allow(dead_code)] // used by actions that evaluate their own inputs
    pub(crate) contexts: &'a Object,
}

/// What an action did.
pub(crate) struct ActionResult {
    pub(crate) outcome: Conclusion,
    pub(crate) outputs: Vec<(String, String)>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) paths: Vec<String>,
}

impl ActionResult {
    fn success() -> Self {
        Self {
            outcome: Conclusion::Success,
            outputs: Vec::new(),
            env: Vec::new(),
            paths: Vec::new(),
        }
    }
}

/// Whether `action` is one Hoist provides itself.
pub(crate) fn handles(action: &ActionRef) -> bool {
    matches!(action, ActionRef::Repository { owner, repo, path: None, .. } if owner == "actions" && repo == "checkout")
}

pub(crate) async fn run<E: Executor>(
    ctx: StepContext<'_, E>,
    action: &ActionRef,
) -> Result<ActionResult, String> {
    match action {
        ActionRef::Repository {
            owner,
            repo,
            path: None,
            ..
        } if owner == "actions" && repo == "checkout" => checkout(&ctx).await,
        other => Err(format!(
            "action `{}` is not available: Hoist does not run it yet",
            crate::job::action_label(other)
        )),
    }
}

/// `actions/checkout`: the run's source into the workspace (or `path:` below it).
async fn checkout<E: Executor>(ctx: &StepContext<'_, E>) -> Result<ActionResult, String> {
    let req = &ctx.shared.req;
    let target = match ctx.with.get("path").filter(|p| !p.is_empty()) {
        Some(p) => ctx.workspace.join(p),
        None => ctx.workspace.to_path_buf(),
    };
    let fetch_depth: u64 = ctx
        .with
        .get("fetch-depth")
        .and_then(|d| d.trim().parse().ok())
        .unwrap_or(1);
    let git_ref = ctx.with.get("ref").filter(|r| !r.is_empty()).cloned();
    std::fs::create_dir_all(&target)
        .map_err(|e| format!("cannot create `{}`: {e}", target.display()))?;
    let mut copied = 0u64;
    if let Some(r) = &git_ref {
        let git_dir = req
            .source
            .git_dir
            .as_ref()
            .ok_or("`ref:` needs a git repository, and this run has none")?;
        export_ref(git_dir, r, &target).await?;
        ctx.shared.log(
            ctx.key,
            Some(ctx.index),
            &format!("Checked out `{r}` into {}", target.display()),
        );
    } else {
        if fetch_depth == 0
            && let Some(git_dir) = &req.source.git_dir
        {
            clone_history(git_dir, &target).await?;
        }
        for rel in &req.source.files {
            let from = req.source.root.join(rel);
            let to = target.join(rel);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
            }
            match std::fs::copy(&from, &to) {
                Ok(n) => copied += n,
                // A tracked file deleted in the working tree is simply absent, as in the tree.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("cannot copy `{}`: {e}", from.display())),
            }
        }
        ctx.shared.log(
            ctx.key,
            Some(ctx.index),
            &format!(
                "Copied {} file(s), {copied} bytes, from {} into {}",
                req.source.files.len(),
                req.source.root.display(),
                target.display()
            ),
        );
    }
    Ok(ActionResult::success())
}

async fn git(args: &[&str], cwd: &Path) -> Result<String, String> {
    let out = tokio::process::Command::new("git")
        .args(args)
        .current_dir(cwd)
        .output()
        .await
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Clones the repository's history into `target` without a working tree, so that the copied
/// files sit on top of the real commit graph (`git log` and `git diff` work in the job).
async fn clone_history(git_dir: &Path, target: &Path) -> Result<(), String> {
    let tmp = target.join(".hoist-clone");
    let src = git_dir.to_string_lossy().into_owned();
    git(
        &[
            "clone",
            "--quiet",
            "--no-checkout",
            &src,
            &tmp.to_string_lossy(),
        ],
        target,
    )
    .await?;
    std::fs::rename(tmp.join(".git"), target.join(".git"))
        .map_err(|e| format!("cannot move the clone into place: {e}"))?;
    let _ = std::fs::remove_dir_all(&tmp);
    git(&["reset", "--quiet"], target).await?;
    Ok(())
}

/// Writes the tree of `git_ref` into `target`.
async fn export_ref(git_dir: &Path, git_ref: &str, target: &Path) -> Result<(), String> {
    let archive = tokio::process::Command::new("git")
        .args(["archive", "--format=tar", git_ref])
        .current_dir(git_dir)
        .output()
        .await
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !archive.status.success() {
        return Err(format!(
            "cannot check out `{git_ref}`: {}",
            String::from_utf8_lossy(&archive.stderr).trim()
        ));
    }
    let mut tar = tokio::process::Command::new("tar")
        .args(["-x", "-C"])
        .arg(target)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    if let Some(mut stdin) = tar.stdin.take() {
        use tokio::io::AsyncWriteExt;
        stdin
            .write_all(&archive.stdout)
            .await
            .map_err(|e| format!("cannot extract `{git_ref}`: {e}"))?;
    }
    let status = tar
        .wait()
        .await
        .map_err(|e| format!("cannot extract `{git_ref}`: {e}"))?;
    if !status.success() {
        return Err(format!("cannot extract `{git_ref}`"));
    }
    Ok(())
}
