//! Actions Hoist provides natively, so the common ones need no download:
//! `actions/checkout`, `actions/cache` (with `/restore` and `/save`),
//! `actions/upload-artifact`, `actions/download-artifact` and `actions/setup-{go,node,python,java}`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use hoist_workflow::filter::Filter;
use hoist_workflow::model::ActionRef;
use indexmap::IndexMap;
use sha2::{Digest, Sha256};

use crate::actions::{PostKind, PostScript};
use crate::events::{AnnotationLevel, Conclusion, JobKey, RunEvent};
use crate::executor::Executor;
use crate::shared::Shared;

mod setup;

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

// ---- actions/cache ----

/// A cache entry to write: the key and the paths it holds.
pub(crate) struct CacheSave {
    key: String,
    patterns: Vec<String>,
    workspace: PathBuf,
    dir: PathBuf,
}

fn entry_name(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn cache_save_request<E: Executor>(ctx: &StepContext<'_, E>) -> Result<CacheSave, String> {
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

async fn restore_cache<E: Executor>(
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

// ---- artifacts ----

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

fn upload_artifact<E: Executor>(ctx: &StepContext<'_, E>) -> Result<ActionResult, String> {
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

fn download_artifact<E: Executor>(ctx: &StepContext<'_, E>) -> Result<ActionResult, String> {
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
