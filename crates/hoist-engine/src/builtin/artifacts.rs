//! `actions/upload-artifact` and `actions/download-artifact`: files passed between a run's jobs through its artifact directory.

use std::path::{Path, PathBuf};

use super::cache::entry_name;
use super::{ActionResult, StepContext, absolute, files_under, lines, select_files};
use crate::events::{AnnotationLevel, RunEvent};
use crate::executor::Executor;

fn common_root(files: &[PathBuf]) -> PathBuf {
    let mut root = files
        .first()
        .and_then(|f| f.parent())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    for f in files.iter().skip(1) {
        while !f.starts_with(&root) {
            if !root.pop() {
                break;
            }
        }
    }
    root
}

pub(super) fn upload_artifact<E: Executor>(
    ctx: &StepContext<'_, E>,
) -> Result<ActionResult, String> {
    let name = ctx
        .with
        .get("name")
        .filter(|n| !n.is_empty())
        .cloned()
        .unwrap_or_else(|| "artifact".to_owned());
    if name.contains(['/', '\\', ':', '"', '<', '>', '|', '*', '?']) || name == "." || name == ".."
    {
        return Err(format!(
            "invalid artifact name `{name}`: it cannot contain / \\ : \" < > | * ?"
        ));
    }
    let patterns = lines(ctx.with.get("path"));
    if patterns.is_empty() {
        return Err("input `path` is required: the files to upload".to_owned());
    }
    let files = select_files(ctx.workspace, &patterns)?;
    if files.is_empty() {
        let message = format!(
            "No files were found with the provided path: {}. No artifacts will be uploaded.",
            patterns.join(", ")
        );
        return match ctx
            .with
            .get("if-no-files-found")
            .map_or("warn", String::as_str)
        {
            "error" => Err(message),
            "ignore" => Ok(ActionResult::success()),
            _ => {
                ctx.shared
                    .annotate(ctx.key, Some(ctx.index), AnnotationLevel::Warning, &message);
                ctx.shared
                    .log(ctx.key, Some(ctx.index), &format!("Warning: {message}"));
                Ok(ActionResult::success())
            }
        };
    }
    let dest = ctx.shared.req.artifact_dir.join(&name);
    let overwrite = ctx.with.get("overwrite").is_some_and(|v| v == "true");
    if dest.exists() {
        if !overwrite {
            return Err(format!(
                "an artifact named `{name}` already exists in this run; give it another name or set `overwrite: true`"
            ));
        }
        let _ = std::fs::remove_dir_all(&dest);
    }
    let root = if files.len() == 1 {
        files[0].parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        common_root(&files)
    };
    let mut size = 0;
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap_or(f);
        let to = dest.join(rel);
        if let Some(p) = to.parent() {
            std::fs::create_dir_all(p)
                .map_err(|e| format!("cannot create `{}`: {e}", p.display()))?;
        }
        size += std::fs::copy(f, &to).map_err(|e| format!("cannot copy `{}`: {e}", f.display()))?;
    }
    ctx.shared.log(
        ctx.key,
        Some(ctx.index),
        &format!(
            "Uploaded artifact `{name}`: {} file(s), {size} bytes",
            files.len()
        ),
    );
    ctx.shared.emit(RunEvent::Artifact {
        job: ctx.key.clone(),
        name: name.clone(),
        path: dest.clone(),
        size,
    });
    Ok(ActionResult::with_outputs(vec![
        ("artifact-id", entry_name(&name)),
        ("artifact-url", format!("file://{}", dest.display())),
    ]))
}

fn copy_tree(from: &Path, to: &Path) -> Result<u64, String> {
    let mut files = Vec::new();
    files_under(from, from, &mut files);
    let mut size = 0;
    for f in files {
        let rel = f.strip_prefix(from).unwrap_or(&f);
        let dest = to.join(rel);
        if let Some(p) = dest.parent() {
            std::fs::create_dir_all(p)
                .map_err(|e| format!("cannot create `{}`: {e}", p.display()))?;
        }
        size +=
            std::fs::copy(&f, &dest).map_err(|e| format!("cannot copy `{}`: {e}", f.display()))?;
    }
    Ok(size)
}

pub(super) fn download_artifact<E: Executor>(
    ctx: &StepContext<'_, E>,
) -> Result<ActionResult, String> {
    let store = &ctx.shared.req.artifact_dir;
    let dest = match ctx.with.get("path").filter(|p| !p.is_empty()) {
        Some(p) => absolute(ctx.workspace, p),
        None => ctx.workspace.to_path_buf(),
    };
    let names: Vec<String> = match ctx.with.get("name").filter(|n| !n.is_empty()) {
        Some(n) => {
            if !store.join(n).is_dir() {
                let available: Vec<String> = std::fs::read_dir(store)
                    .map(|d| {
                        d.flatten()
                            .map(|e| e.file_name().to_string_lossy().into_owned())
                            .collect()
                    })
                    .unwrap_or_default();
                return Err(format!(
                    "Artifact not found for name: {n} (this run has: {})",
                    if available.is_empty() {
                        "none".to_owned()
                    } else {
                        available.join(", ")
                    }
                ));
            }
            vec![n.clone()]
        }
        None => std::fs::read_dir(store)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default(),
    };
    let single = ctx.with.get("name").is_some_and(|n| !n.is_empty());
    for n in &names {
        let target = if single { dest.clone() } else { dest.join(n) };
        let size = copy_tree(&store.join(n), &target)?;
        ctx.shared.log(
            ctx.key,
            Some(ctx.index),
            &format!(
                "Downloaded artifact `{n}` ({size} bytes) to {}",
                target.display()
            ),
        );
    }
    Ok(ActionResult::with_outputs(vec![(
        "download-path",
        dest.to_string_lossy().into_owned(),
    )]))
}
