//! `actions/cache`, `actions/cache/restore` and `actions/cache/save`: entries kept by key under the data directory, found by exact key or by restore-key prefix.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use super::{ActionResult, StepContext, command, lines, select_files};
use crate::actions::{PostKind, PostScript};
use crate::events::{AnnotationLevel, JobKey};
use crate::executor::Executor;
use crate::shared::Shared;

/// A cache entry to write: the key and the paths it holds.
pub(crate) struct CacheSave {
    key: String,
    patterns: Vec<String>,
    workspace: PathBuf,
    dir: PathBuf,
}

pub(super) fn entry_name(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(super) fn cache_save_request<E: Executor>(
    ctx: &StepContext<'_, E>,
) -> Result<CacheSave, String> {
    let key = ctx
        .with
        .get("key")
        .filter(|k| !k.trim().is_empty())
        .ok_or("input `key` is required")?
        .trim()
        .to_owned();
    if key.contains(',') {
        return Err(format!("the cache key `{key}` cannot contain commas"));
    }
    let patterns = lines(ctx.with.get("path"));
    if patterns.is_empty() {
        return Err("input `path` is required: the paths to cache".to_owned());
    }
    Ok(CacheSave {
        key,
        patterns,
        workspace: ctx.workspace.to_path_buf(),
        dir: ctx.shared.req.cache_dir.join("actions-cache"),
    })
}

/// Finds the entry for `key`, else the newest whose key starts with one of `prefixes`.
fn find_entry(dir: &Path, key: &str, prefixes: &[String]) -> Option<(String, PathBuf)> {
    let exact = dir.join(format!("{}.tar", entry_name(key)));
    if exact.is_file() {
        return Some((key.to_owned(), exact));
    }
    let mut entries: Vec<(SystemTime, String, PathBuf)> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "key"))
        .filter_map(|e| {
            let k = std::fs::read_to_string(e.path()).ok()?;
            let tar = e.path().with_extension("tar");
            let modified = e.metadata().ok()?.modified().ok()?;
            tar.is_file().then_some((modified, k, tar))
        })
        .collect();
    // Newest first.
    entries.sort_by_key(|e| std::cmp::Reverse(e.0));
    for prefix in prefixes {
        if let Some((_, k, tar)) = entries
            .iter()
            .find(|(_, k, _)| k.starts_with(prefix.as_str()))
        {
            return Some((k.clone(), tar.clone()));
        }
    }
    None
}

pub(super) async fn restore_cache<E: Executor>(
    ctx: &StepContext<'_, E>,
    save_after: bool,
) -> Result<ActionResult, String> {
    let save = cache_save_request(ctx)?;
    let prefixes = lines(ctx.with.get("restore-keys"));
    let lookup_only = ctx.with.get("lookup-only").is_some_and(|v| v == "true");
    let found = find_entry(&save.dir, &save.key, &prefixes);
    let log = |m: &str| ctx.shared.log(ctx.key, Some(ctx.index), m);
    let (hit, matched) = match &found {
        Some((k, tar)) => {
            if lookup_only {
                log(&format!("Cache found for key `{k}` (lookup only)"));
            } else {
                // Workspace files were stored relative to the workspace, the others from `/`.
                command(
                    "tar",
                    &[
                        "-xf",
                        &tar.to_string_lossy(),
                        "-C",
                        &ctx.workspace.to_string_lossy(),
                    ],
                    ctx.workspace,
                )
                .await?;
                let outside = tar.with_extension("outside.tar");
                if outside.is_file() {
                    command(
                        "tar",
                        &["-xf", &outside.to_string_lossy(), "-C", "/"],
                        ctx.workspace,
                    )
                    .await?;
                }
                log(&format!("Cache restored from key: {k}"));
            }
            (*k == save.key, k.clone())
        }
        None => {
            log(&format!(
                "Cache not found for input keys: {}",
                std::iter::once(save.key.clone())
                    .chain(prefixes.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            (false, String::new())
        }
    };
    if found.is_none()
        && ctx
            .with
            .get("fail-on-cache-miss")
            .is_some_and(|v| v == "true")
    {
        return Err(format!(
            "failed to restore cache entry: no entry for key `{}` and `fail-on-cache-miss` is set",
            save.key
        ));
    }
    let mut result = ActionResult::with_outputs(vec![
        ("cache-hit", hit.to_string()),
        ("cache-primary-key", save.key.clone()),
        ("cache-matched-key", matched),
    ]);
    if save_after && !hit {
        // `actions/cache` saves in its post step, when the job succeeded.
        result.post = Some(PostScript {
            label: "actions/cache".to_owned(),
            condition: Some("success()".to_owned()),
            kind: PostKind::CacheSave(save),
        });
    }
    Ok(result)
}

pub(crate) async fn save_cache<E: Executor>(
    shared: &Arc<Shared<E>>,
    key: &JobKey,
    index: usize,
    save: &CacheSave,
) -> Result<(), String> {
    let log = |m: &str| shared.log(key, Some(index), m);
    let name = entry_name(&save.key);
    let tar = save.dir.join(format!("{name}.tar"));
    if tar.is_file() {
        log(&format!(
            "Cache already exists for key `{}`; not saving",
            save.key
        ));
        return Ok(());
    }
    let files = select_files(&save.workspace, &save.patterns)?;
    if files.is_empty() {
        let message = "Path Validation Error: Path(s) specified in the action for caching do(es) not exist, hence no cache is being saved.";
        log(&format!("Warning: {message}"));
        shared.annotate(key, Some(index), AnnotationLevel::Warning, message);
        return Ok(());
    }
    std::fs::create_dir_all(&save.dir)
        .map_err(|e| format!("cannot create `{}`: {e}", save.dir.display()))?;
    // Files in the workspace are stored relative to it (each run has its own workspace);
    // files elsewhere (`~/.cargo`) relative to `/`, in a second archive.
    let (inside, outside): (Vec<&PathBuf>, Vec<&PathBuf>) =
        files.iter().partition(|f| f.starts_with(&save.workspace));
    let pid = std::process::id();
    let parts = [
        (
            inside
                .iter()
                .map(|f| f.strip_prefix(&save.workspace).unwrap_or(f))
                .collect::<Vec<_>>(),
            save.workspace.clone(),
            tar.clone(),
        ),
        (
            outside
                .iter()
                .map(|f| f.strip_prefix("/").unwrap_or(f))
                .collect::<Vec<_>>(),
            PathBuf::from("/"),
            tar.with_extension("outside.tar"),
        ),
    ];
    let mut written = Vec::new();
    for (i, (rel, base, dest)) in parts.iter().enumerate() {
        if rel.is_empty() && i == 1 {
            continue;
        }
        let list = save.dir.join(format!("{name}.{pid}.{i}.list"));
        let text: Vec<String> = rel
            .iter()
            .map(|r| r.to_string_lossy().into_owned())
            .collect();
        std::fs::write(&list, text.join("\n"))
            .map_err(|e| format!("cannot write `{}`: {e}", list.display()))?;
        let tmp = save.dir.join(format!("{name}.{pid}.{i}.partial"));
        let result = command(
            "tar",
            &[
                "-cf",
                &tmp.to_string_lossy(),
                "-C",
                &base.to_string_lossy(),
                "-T",
                &list.to_string_lossy(),
            ],
            &save.workspace,
        )
        .await;
        let _ = std::fs::remove_file(&list);
        result?;
        written.push((tmp, dest.clone()));
    }
    // Entries appear whole or not at all: the outside part first, the main archive last.
    for (tmp, dest) in written.into_iter().rev() {
        std::fs::rename(&tmp, &dest).map_err(|e| format!("cannot store the cache entry: {e}"))?;
    }
    std::fs::write(save.dir.join(format!("{name}.key")), &save.key)
        .map_err(|e| format!("cannot store the cache key: {e}"))?;
    let size = std::fs::metadata(&tar).map_or(0, |m| m.len());
    log(&format!(
        "Cache saved with key: {} ({} file(s), {size} bytes)",
        save.key,
        files.len()
    ));
    Ok(())
}
