//! `actions/checkout`: the run's commit exported into the workspace, with history when a step asks for it.

use std::path::{Path, PathBuf};

use super::{ActionResult, StepContext};
use crate::executor::Executor;

/// `actions/checkout`: the run's source into the workspace (or `path:` below it).
pub(super) async fn checkout<E: Executor>(
    ctx: &StepContext<'_, E>,
) -> Result<ActionResult, String> {
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
    let source = req.source.ready().await?;
    if let Some(r) = &git_ref {
        let git_dir = source
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
            && let Some(git_dir) = &source.git_dir
        {
            clone_history(git_dir, &target).await?;
        }
        // The workspace is kept from run to run, so bring it up to date instead of copying
        // everything: unchanged files are left alone, stale ones removed (`clean: true`).
        let clean = ctx.with.get("clean").is_none_or(|c| c != "false");
        if clean {
            let wanted: std::collections::HashSet<&Path> =
                source.files.iter().map(PathBuf::as_path).collect();
            remove_stale(&target, &target, &wanted);
        }
        for rel in &source.files {
            let from = source.root.join(rel);
            let to = target.join(rel);
            let data = match std::fs::read(&from) {
                Ok(d) => d,
                // A tracked file deleted in the working tree is simply absent, as in the tree.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(format!("cannot read `{}`: {e}", from.display())),
            };
            let unchanged = std::fs::metadata(&to).is_ok_and(|m| m.len() == data.len() as u64)
                && std::fs::read(&to).is_ok_and(|old| old == data);
            if unchanged {
                continue;
            }
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
            }
            let _ = std::fs::remove_file(&to);
            std::fs::write(&to, &data)
                .map_err(|e| format!("cannot write `{}`: {e}", to.display()))?;
            if let Ok(meta) = std::fs::metadata(&from) {
                let _ = std::fs::set_permissions(&to, meta.permissions());
            }
            copied += data.len() as u64;
        }
        ctx.shared.log(
            ctx.key,
            Some(ctx.index),
            &format!(
                "Checked out {} file(s) ({copied} bytes changed) from {} into {}",
                source.files.len(),
                source.root.display(),
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
/// Removes files under `dir` that are not in `wanted` (paths relative to `root`), keeping
/// `.git`, and directories left empty.
fn remove_stale(root: &Path, dir: &Path, wanted: &std::collections::HashSet<&Path>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let Ok(rel) = p.strip_prefix(root) else {
            continue;
        };
        match e.file_type() {
            Ok(t) if t.is_dir() => {
                if rel == Path::new(".git") {
                    continue;
                }
                remove_stale(root, &p, wanted);
                let _ = std::fs::remove_dir(&p); // only succeeds when empty
            }
            Ok(_) => {
                if !wanted.contains(rel) {
                    let _ = std::fs::remove_file(&p);
                }
            }
            Err(_) => {}
        }
    }
}

async fn clone_history(git_dir: &Path, target: &Path) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(target.join(".git"));
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
