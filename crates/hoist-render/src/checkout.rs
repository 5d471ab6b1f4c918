//! The repositories applications come from, their revisions, and checkouts of a commit's
//! tree in the cache.
//!
//! A source's `repoURL` names the project itself when it is empty, `.`, one of the
//! project's remote URLs or one of its configured aliases; a URL git fetches from (kept as
//! a bare mirror in the cache, fetched once per refresh); or a path to another repository
//! on this machine.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use hoist_git::Repository;

use crate::RenderError;

/// The project `hoist app` runs in: a directory, normally inside a git repository.
#[derive(Clone, Debug)]
pub struct Project {
    pub dir: PathBuf,
    pub repo: Option<Repository>,
    /// The project's directory inside the repository (`""` at its top).
    pub prefix: String,
    /// Repository URLs that mean this project (`[apps] repo-url`), besides its remotes.
    pub aliases: Vec<String>,
}

impl Project {
    pub fn open(dir: &Path, aliases: Vec<String>) -> Project {
        let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let repo = Repository::discover(&dir);
        let prefix = repo
            .as_ref()
            .and_then(|r| {
                let root = std::fs::canonicalize(&r.root).unwrap_or_else(|_| r.root.clone());
                dir.strip_prefix(&root)
                    .ok()
                    .map(|p| p.to_string_lossy().into_owned())
            })
            .unwrap_or_default();
        let mut aliases = aliases;
        if let Some(r) = &repo {
            aliases.extend(r.remote_urls());
        }
        Project {
            dir,
            repo,
            prefix,
            aliases,
        }
    }

    fn is_named_by(&self, url: &str) -> bool {
        let trimmed = |u: &str| u.trim_end_matches('/').trim_end_matches(".git").to_owned();
        url.is_empty()
            || url == "."
            || url == "./"
            || self.aliases.iter().any(|a| trimmed(a) == trimmed(url))
    }
}

/// A source's repository at one commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    /// The repository as the application names it (`.` for the project).
    pub repo: String,
    /// What was asked for (`HEAD`, a branch, a tag, a SHA).
    pub wanted: String,
    pub commit: String,
}

#[derive(Clone, Debug)]
struct Opened {
    repo: Repository,
    /// Where the source paths start inside the repository.
    prefix: String,
}

/// Every repository applications use, opened once.
#[derive(Debug)]
pub struct RepoSet {
    project: Project,
    cache_dir: PathBuf,
    opened: Mutex<HashMap<String, Opened>>,
    fetched: Mutex<HashSet<String>>,
    /// `(repository, wanted)` → commit, until the next refresh: a pass over a thousand
    /// applications of one repository asks git once.
    resolved: Mutex<HashMap<(String, String), String>>,
    /// `(repository, commit)` → its tree, read once per commit.
    indexes: Mutex<HashMap<(String, String), std::sync::Arc<TreeIndex>>>,
}

/// The paths of a commit's tree: directories with their tree ids, and files.
#[derive(Debug, Default)]
pub struct TreeIndex {
    trees: HashMap<String, String>,
    files: HashSet<String>,
}

impl TreeIndex {
    /// The tree id of directory `path` (`""` or `.` for the top).
    pub fn tree(&self, path: &str) -> Option<&str> {
        let path = path.trim_start_matches("./").trim_end_matches('/');
        self.trees
            .get(if path == "." { "" } else { path })
            .map(String::as_str)
    }

    pub fn has_file(&self, path: &str) -> bool {
        self.files.contains(path.trim_start_matches("./"))
    }
}

impl RepoSet {
    pub fn new(project: Project, cache_dir: &Path) -> RepoSet {
        RepoSet {
            project,
            cache_dir: cache_dir.to_path_buf(),
            opened: Mutex::new(HashMap::new()),
            fetched: Mutex::new(HashSet::new()),
            resolved: Mutex::new(HashMap::new()),
            indexes: Mutex::new(HashMap::new()),
        }
    }

    pub fn project(&self) -> &Project {
        &self.project
    }

    /// Forgets which mirrors were fetched, so the next use fetches again (the reconciler's
    /// poll, `app get --refresh`).
    pub fn refresh(&self) {
        if let Ok(mut f) = self.fetched.lock() {
            f.clear();
        }
        if let Ok(mut r) = self.resolved.lock() {
            r.clear();
        }
    }

    fn key(&self, url: &str) -> String {
        if self.project.is_named_by(url) {
            ".".to_owned()
        } else {
            url.to_owned()
        }
    }

    fn open(&self, url: &str) -> Result<Opened, RenderError> {
        let key = self.key(url);
        let is_mirror = key != "." && hoist_git::is_url(url);
        let must_fetch = is_mirror
            && !self
                .fetched
                .lock()
                .map(|f| f.contains(&key))
                .unwrap_or(false);
        if !must_fetch && let Some(o) = self.opened.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(o);
        }
        let opened = if key == "." {
            let repo = self
                .project
                .repo
                .clone()
                .ok_or_else(|| RenderError::NotARepository {
                    path: self.project.dir.display().to_string(),
                })?;
            Opened {
                repo,
                prefix: self.project.prefix.clone(),
            }
        } else if is_mirror {
            let dest = self.cache_dir.join("mirrors").join(mirror_name(url));
            let repo = hoist_git::mirror(url, &dest).map_err(|e| RenderError::Git {
                repo: url.to_owned(),
                message: e.to_string(),
            })?;
            if let Ok(mut f) = self.fetched.lock() {
                f.insert(key.clone());
            }
            Opened {
                repo,
                prefix: String::new(),
            }
        } else {
            let path = if Path::new(url).is_absolute() {
                PathBuf::from(url)
            } else {
                self.project.dir.join(url)
            };
            let repo = Repository::discover(&path).ok_or_else(|| RenderError::NotARepository {
                path: path.display().to_string(),
            })?;
            let canonical = std::fs::canonicalize(&path).unwrap_or(path);
            let root = std::fs::canonicalize(&repo.root).unwrap_or_else(|_| repo.root.clone());
            let prefix = canonical
                .strip_prefix(&root)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            Opened { repo, prefix }
        };
        if let Ok(mut m) = self.opened.lock() {
            m.insert(key, opened.clone());
        }
        Ok(opened)
    }

    /// A fingerprint of the project repository's refs (sizes and times of `HEAD`,
    /// `packed-refs` and the branch files), cheap enough to take four times a second: when
    /// it changes, a commit or a fetch happened and the reconciler looks at Git at once.
    pub fn project_refs_fingerprint(&self) -> String {
        let Some(repo) = &self.project.repo else {
            return String::new();
        };
        let git_dir = repo.git_dir();
        let mut parts = Vec::new();
        let mut note = |p: &Path| {
            if let Ok(m) = std::fs::metadata(p) {
                let modified = m
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                parts.push(format!("{}:{}:{modified}", p.display(), m.len()));
            }
        };
        note(&git_dir.join("HEAD"));
        note(&git_dir.join("packed-refs"));
        let mut stack = vec![git_dir.join("refs/heads")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    note(&path);
                }
            }
        }
        parts.sort();
        parts.join("|")
    }

    /// Resolves `wanted` in the repository `url` to a commit.
    pub fn resolve(&self, url: &str, wanted: &str) -> Result<Revision, RenderError> {
        let rev = if wanted.is_empty() { "HEAD" } else { wanted };
        let memo = (self.key(url), rev.to_owned());
        if let Some(commit) = self
            .resolved
            .lock()
            .ok()
            .and_then(|m| m.get(&memo).cloned())
        {
            return Ok(Revision {
                repo: memo.0,
                wanted: memo.1,
                commit,
            });
        }
        let opened = self.open(url)?;
        let commit = opened
            .repo
            .resolve(&format!("{rev}^{{commit}}"))
            .or_else(|_| opened.repo.resolve(&format!("origin/{rev}^{{commit}}")))
            .map_err(|_| RenderError::UnknownRevision {
                repo: url.to_owned(),
                revision: rev.to_owned(),
            })?;
        let commit = commit.trim().to_owned();
        if let Ok(mut m) = self.resolved.lock() {
            m.insert(memo, commit.clone());
        }
        Ok(Revision {
            repo: self.key(url),
            wanted: rev.to_owned(),
            commit,
        })
    }

    /// The tree of `revision`, read once per commit.
    pub fn index(&self, revision: &Revision) -> Result<std::sync::Arc<TreeIndex>, RenderError> {
        let memo = (revision.repo.clone(), revision.commit.clone());
        if let Some(i) = self.indexes.lock().ok().and_then(|m| m.get(&memo).cloned()) {
            return Ok(i);
        }
        let opened = self.open(&revision.repo)?;
        let entries = opened
            .repo
            .tree_entries(&revision.commit, &opened.prefix)
            .map_err(|e| RenderError::Git {
                repo: revision.repo.clone(),
                message: e.to_string(),
            })?;
        let mut index = TreeIndex::default();
        if let Ok(top) = opened
            .repo
            .resolve(&format!("{}:{}", revision.commit, opened.prefix))
        {
            index.trees.insert(String::new(), top.trim().to_owned());
        }
        for (is_tree, id, path) in entries {
            if is_tree {
                index.trees.insert(path, id);
            } else {
                index.files.insert(path);
            }
        }
        let index = std::sync::Arc::new(index);
        if let Ok(mut m) = self.indexes.lock() {
            m.insert(memo, index.clone());
        }
        Ok(index)
    }

    /// The directory holding the tree of `revision` (the project's part of it for the
    /// project), extracted once into the cache.
    pub fn checkout(&self, revision: &Revision, cache_dir: &Path) -> Result<PathBuf, RenderError> {
        let opened = self.open(&revision.repo)?;
        let name = format!(
            "{}-{}",
            mirror_name(&format!("{}#{}", opened.repo.root.display(), opened.prefix)),
            revision.commit
        );
        let dest = cache_dir.join("trees").join(name);
        if dest.join(".complete").is_file() {
            return Ok(dest);
        }
        let parent = dest.parent().unwrap_or(cache_dir);
        std::fs::create_dir_all(parent).map_err(|e| RenderError::Io {
            what: parent.display().to_string(),
            source: e,
        })?;
        // Extracted aside and renamed into place: a killed extraction leaves no half tree.
        let staged = tempfile::Builder::new()
            .prefix(".tree-")
            .tempdir_in(parent)
            .map_err(|e| RenderError::Io {
                what: parent.display().to_string(),
                source: e,
            })?;
        opened
            .repo
            .export(&revision.commit, Path::new(&opened.prefix), staged.path())
            .map_err(|e| RenderError::Git {
                repo: revision.repo.clone(),
                message: e.to_string(),
            })?;
        std::fs::write(staged.path().join(".complete"), &revision.commit).map_err(|e| {
            RenderError::Io {
                what: "the checkout".into(),
                source: e,
            }
        })?;
        let staged = staged.keep();
        if std::fs::rename(&staged, &dest).is_err() {
            // Another process got there first; its tree is the same commit's.
            let _ = std::fs::remove_dir_all(&staged);
        }
        Ok(dest)
    }

    /// The directories of the repository `url` at `wanted`, relative to where its source
    /// paths start (the git generator's input).
    pub fn directories(&self, url: &str, wanted: &str) -> Result<Vec<String>, RenderError> {
        let revision = self.resolve(url, wanted)?;
        let opened = self.open(url)?;
        opened
            .repo
            .tree_directories(&revision.commit, &opened.prefix)
            .map_err(|e| RenderError::Git {
                repo: url.to_owned(),
                message: e.to_string(),
            })
    }
}

/// A file name for a repository URL: readable, and unique through a short hash.
fn mirror_name(url: &str) -> String {
    use sha2::{Digest, Sha256};
    let readable: String = url
        .trim_end_matches(".git")
        .rsplit(['/', ':'])
        .next()
        .unwrap_or("repo")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(40)
        .collect();
    let hash = Sha256::digest(url.as_bytes());
    format!(
        "{readable}-{:02x}{:02x}{:02x}{:02x}",
        hash[0], hash[1], hash[2], hash[3]
    )
}

/// Links (or, across file systems, copies) the tree `tree_root` into `scratch` and returns
/// where `root` (inside `tree_root`) is in the copy. Files are hard links, so this is cheap
/// and the original is never written through them: callers replace a file rather than
/// editing it.
pub(crate) fn link_tree_around(
    tree_root: &Path,
    root: &Path,
    scratch: &Path,
) -> Result<PathBuf, RenderError> {
    let relative = root.strip_prefix(tree_root).unwrap_or(Path::new(""));
    copy_dir(tree_root, scratch)?;
    Ok(scratch.join(relative))
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), RenderError> {
    let io = |what: &Path, e: std::io::Error| RenderError::Io {
        what: what.display().to_string(),
        source: e,
    };
    std::fs::create_dir_all(to).map_err(|e| io(to, e))?;
    for entry in std::fs::read_dir(from).map_err(|e| io(from, e))? {
        let entry = entry.map_err(|e| io(from, e))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().map_err(|e| io(&src, e))?;
        if kind.is_dir() {
            if entry.file_name() == ".git" {
                continue;
            }
            copy_dir(&src, &dst)?;
        } else if kind.is_symlink() {
            let target = std::fs::read_link(&src).map_err(|e| io(&src, e))?;
            std::os::unix::fs::symlink(target, &dst).map_err(|e| io(&dst, e))?;
        } else if std::fs::hard_link(&src, &dst).is_err() {
            std::fs::copy(&src, &dst).map_err(|e| io(&src, e))?;
        }
    }
    Ok(())
}
