//! What Hoist needs from git: where the repository is, which commit and branch are checked
//! out, which files changed, which files make up the working tree, and a commit's tree.
//!
//! Uses the `git` command line, which every developer machine has and which reads every
//! repository format and configuration exactly as the user's own git does.

mod errors;
mod hosting;

use std::path::{Path, PathBuf};
use std::process::Command;

pub use errors::GitError;
pub use hosting::init_bare;

/// A git repository: a working tree, or a bare repository (a server's mirror).
#[derive(Clone, Debug)]
pub struct Repository {
    /// The top of the working tree; for a bare repository, its git directory.
    pub root: PathBuf,
}

/// A full SHA-1 or SHA-256 object id (40 or 64 hex digits), which always names the same
/// commit.
pub fn is_commit_id(rev: &str) -> bool {
    matches!(rev.len(), 40 | 64) && rev.chars().all(|c| c.is_ascii_hexdigit())
}

/// Whether `source` is a URL git fetches from (`https://…`, `file://…`, `ssh://…`, or
/// scp-like `user@host:path`) rather than a path on this machine.
pub fn is_url(source: &str) -> bool {
    if source.contains("://") {
        return true;
    }
    // `user@host:path`: a colon before any slash, after an `@`.
    match (source.find('@'), source.find(':'), source.find('/')) {
        (Some(at), Some(colon), slash) => at < colon && slash.is_none_or(|s| colon < s),
        _ => false,
    }
}

/// A bare mirror of the repository at `url` in `dest`: cloned when missing, else fetched
/// (every ref, pruned), so that it holds what `url` holds now. The clone goes to a
/// temporary directory first and is renamed into place, so a clone that fails or is killed
/// leaves no half mirror behind.
pub fn mirror(url: &str, dest: &Path) -> Result<Repository, GitError> {
    if dest.join("HEAD").is_file() {
        run(dest, &["fetch", "--quiet", "--prune", "--force", "origin"])?;
        return Ok(Repository {
            root: dest.to_path_buf(),
        });
    }
    let parent = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|source| GitError::Spawn { source })?;
    let partial = parent.join(format!(
        ".{}.partial-{}",
        dest.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&partial);
    let cloned = run(
        parent,
        &[
            "clone",
            "--quiet",
            "--mirror",
            url,
            &partial.to_string_lossy(),
        ],
    );
    if let Err(e) = cloned {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(e);
    }
    if let Err(source) = std::fs::rename(&partial, dest) {
        let _ = std::fs::remove_dir_all(&partial);
        // Another process made the mirror meanwhile: use it.
        if !dest.join("HEAD").is_file() {
            return Err(GitError::Spawn { source });
        }
    }
    Ok(Repository {
        root: dest.to_path_buf(),
    })
}

pub(crate) fn run(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|source| GitError::Spawn { source })?;
    if !out.status.success() {
        return Err(GitError::Failed {
            command: format!("git {}", args.join(" ")),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Repository {
    /// The repository containing `dir` (or the bare repository `dir` is), if any.
    pub fn discover(dir: &Path) -> Option<Self> {
        if let Ok(top) = run(dir, &["rev-parse", "--show-toplevel"]) {
            return Some(Self {
                root: PathBuf::from(top.trim()),
            });
        }
        let bare = run(dir, &["rev-parse", "--is-bare-repository"]).ok()?;
        if bare.trim() != "true" {
            return None;
        }
        let git_dir = run(dir, &["rev-parse", "--absolute-git-dir"]).ok()?;
        Some(Self {
            root: PathBuf::from(git_dir.trim()),
        })
    }

    /// The commit branch `name` (or `refs/heads/name`) points at, read from the ref files the
    /// way git stores them (a loose ref, else `packed-refs`) without starting git: a server
    /// resolves a branch per dispatch. `None` whenever the files alone cannot tell for sure,
    /// and git is asked instead: a name that git would resolve to something else first (a tag
    /// or another ref of that name, `HEAD`), a symbolic ref, a worktree, the reftable format.
    fn branch_from_ref_files(&self, name: &str) -> Option<String> {
        let short = name.strip_prefix("refs/heads/").unwrap_or(name);
        let plain = !short.is_empty()
            && short
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
            && !short.starts_with(['-', '.', '/'])
            && !short.ends_with(['/', '.'])
            && !short.contains("..")
            && !short.contains("//")
            && !short.ends_with(".lock");
        if !plain || short.eq_ignore_ascii_case("head") {
            return None;
        }
        let git_dir = self.files_git_dir()?;
        let packed = std::fs::read_to_string(git_dir.join("packed-refs")).unwrap_or_default();
        let packed_sha = |full: &str| {
            packed.lines().find_map(|line| {
                let (sha, rest) = line.split_once(' ')?;
                (rest == full).then(|| sha.to_owned())
            })
        };
        // git's order for a short name: `<name>`, `refs/<name>`, `refs/tags/<name>`,
        // `refs/heads/<name>`; only the branch may exist.
        let candidates: Vec<String> = if name.starts_with("refs/heads/") {
            vec![name.to_owned()]
        } else {
            vec![
                short.to_owned(),
                format!("refs/{short}"),
                format!("refs/tags/{short}"),
                format!("refs/heads/{short}"),
            ]
        };
        let (branch, others) = candidates.split_last()?;
        if others
            .iter()
            .any(|r| git_dir.join(r).exists() || packed_sha(r).is_some())
        {
            return None;
        }
        let sha = match std::fs::read_to_string(git_dir.join(branch)) {
            Ok(text) => text.trim().to_owned(),
            Err(_) => packed_sha(branch)?,
        };
        is_commit_id(&sha).then_some(sha)
    }

    /// The git directory, when its files alone describe its refs the way the fast paths
    /// read them: a directory, not a worktree's (`commondir`), not in the reftable format.
    fn files_git_dir(&self) -> Option<PathBuf> {
        let git_dir = self.git_dir();
        let plain = git_dir.is_dir()
            && !git_dir.join("commondir").exists()
            && !git_dir.join("reftable").exists();
        plain.then_some(git_dir)
    }

    /// The git directory: `.git` of a working tree, or the bare repository itself.
    pub fn git_dir(&self) -> PathBuf {
        let dot_git = self.root.join(".git");
        if dot_git.exists() {
            dot_git
        } else {
            self.root.clone()
        }
    }

    /// Whether the repository has commit `sha`.
    pub fn has_commit(&self, sha: &str) -> bool {
        let spec = format!("{sha}^{{commit}}");
        run(&self.root, &["cat-file", "-e", &spec]).is_ok()
    }

    /// The commit SHA of `rev` (`HEAD`, a branch, a tag, a SHA).
    pub fn resolve(&self, rev: &str) -> Result<String, GitError> {
        if let Some(sha) = self.branch_from_ref_files(rev) {
            return Ok(sha);
        }
        let spec = format!("{rev}^{{commit}}");
        run(&self.root, &["rev-parse", "--verify", "--quiet", &spec])
            .map(|s| s.trim().to_owned())
            .map_err(|_| GitError::UnknownRevision(rev.to_owned()))
    }

    /// The checked-out commit, or `None` in a repository without commits.
    pub fn head(&self) -> Option<String> {
        self.resolve("HEAD").ok()
    }

    /// The checked-out branch, or `None` when HEAD is detached.
    pub fn current_branch(&self) -> Option<String> {
        if let Some(known) = self.branch_from_head_file() {
            return known;
        }
        let b = run(&self.root, &["symbolic-ref", "--quiet", "--short", "HEAD"]).ok()?;
        Some(b.trim().to_owned())
    }

    /// [`Repository::current_branch`] read from the `HEAD` file without starting git (a
    /// server asks for every run that has no configured default branch); `None` whenever
    /// the file alone cannot tell what git would say: HEAD names a ref that is not a
    /// branch, or one git would shorten otherwise (a tag of the same name), an unborn
    /// branch, a worktree, the reftable format.
    fn branch_from_head_file(&self) -> Option<Option<String>> {
        let git_dir = self.files_git_dir()?;
        let head = std::fs::read_to_string(git_dir.join("HEAD")).ok()?;
        let head = head.strip_suffix('\n').unwrap_or(&head);
        if let Some(target) = head.strip_prefix("ref: ") {
            let name = target.strip_prefix("refs/heads/")?;
            // Asked by its short name, so that a tag or ref of that name sends us to git.
            self.branch_from_ref_files(name)?;
            return Some(Some(name.to_owned()));
        }
        is_commit_id(head).then_some(None)
    }

    /// The commit before `rev`, if any.
    pub fn parent(&self, rev: &str) -> Option<String> {
        self.resolve(&format!("{rev}^")).ok()
    }

    /// Files that differ between `base` and the working tree (or `head` when given), relative
    /// to the repository root, including untracked files when comparing with the working tree.
    pub fn changed_files(&self, base: &str, head: Option<&str>) -> Result<Vec<String>, GitError> {
        let mut args = vec!["diff", "--name-only", "-z", base];
        if let Some(h) = head {
            args.push(h);
        }
        let mut files: Vec<String> = split_nul(&run(&self.root, &args)?);
        if head.is_none() {
            files.extend(split_nul(&run(
                &self.root,
                &["ls-files", "-z", "--others", "--exclude-standard"],
            )?));
        }
        files.sort();
        files.dedup();
        Ok(files)
    }

    /// The merge base of two revisions.
    pub fn merge_base(&self, a: &str, b: &str) -> Result<String, GitError> {
        run(&self.root, &["merge-base", a, b]).map(|s| s.trim().to_owned())
    }

    /// Files of the working tree under `dir`: tracked and untracked, minus ignored ones,
    /// relative to `dir`. Tracked files deleted from the working tree are left out.
    pub fn working_tree_files(&self, dir: &Path) -> Result<Vec<PathBuf>, GitError> {
        let out = run(
            dir,
            &[
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
                "--full-name",
                ".",
            ],
        )?;
        let prefix = dir
            .strip_prefix(&self.root)
            .unwrap_or(Path::new(""))
            .to_path_buf();
        let mut files: Vec<PathBuf> = split_nul(&out)
            .into_iter()
            .filter_map(|f| {
                Path::new(&f)
                    .strip_prefix(&prefix)
                    .ok()
                    .map(Path::to_path_buf)
            })
            .filter(|f| dir.join(f).is_file())
            .collect();
        files.sort();
        files.dedup();
        Ok(files)
    }

    /// Writes the tree of `rev` below `subdir` into `dest` (which must exist).
    pub fn export(&self, rev: &str, subdir: &Path, dest: &Path) -> Result<(), GitError> {
        let commit = self.resolve(rev)?;
        let tree = if subdir.as_os_str().is_empty() {
            commit
        } else {
            format!("{commit}:{}", subdir.to_string_lossy())
        };
        let archive = Command::new("git")
            .args(["archive", "--format=tar", &tree])
            .current_dir(&self.root)
            .output()
            .map_err(|source| GitError::Spawn { source })?;
        if !archive.status.success() {
            return Err(GitError::Failed {
                command: format!("git archive {tree}"),
                stderr: String::from_utf8_lossy(&archive.stderr).trim().to_owned(),
            });
        }
        let mut tar = Command::new("tar")
            .arg("-x")
            .arg("-C")
            .arg(dest)
            .stdin(std::process::Stdio::piped())
            .spawn()
            .map_err(|source| GitError::Spawn { source })?;
        if let Some(mut stdin) = tar.stdin.take() {
            use std::io::Write;
            stdin
                .write_all(&archive.stdout)
                .map_err(|source| GitError::Spawn { source })?;
        }
        let status = tar.wait().map_err(|source| GitError::Spawn { source })?;
        if !status.success() {
            return Err(GitError::Failed {
                command: "tar -x".into(),
                stderr: String::new(),
            });
        }
        Ok(())
    }

    /// `owner/name` from the `origin` remote's URL, if it has one.
    pub fn origin_slug(&self) -> Option<String> {
        let url = run(&self.root, &["remote", "get-url", "origin"]).ok()?;
        slug_from_url(url.trim())
    }

    /// The message, author name, author e-mail and ISO-8601 date of commit `rev`.
    pub fn commit_info(&self, rev: &str) -> Result<CommitInfo, GitError> {
        let out = run(
            &self.root,
            &["show", "-s", "--format=%an%x00%ae%x00%aI%x00%B", rev],
        )?;
        let mut parts = out.splitn(4, '\0');
        let author = parts.next().unwrap_or_default().to_owned();
        let email = parts.next().unwrap_or_default().to_owned();
        let date = parts.next().unwrap_or_default().to_owned();
        let message = parts.next().unwrap_or_default().trim_end().to_owned();
        Ok(CommitInfo {
            author,
            email,
            date,
            message,
        })
    }

    /// The paths of every file below `subdir` (`""`: the whole tree) at `rev`, relative to
    /// `subdir`.
    pub fn tree_files(&self, rev: &str, subdir: &str) -> Result<Vec<PathBuf>, GitError> {
        let tree = if subdir.is_empty() {
            rev.to_owned()
        } else {
            format!("{rev}:{subdir}")
        };
        let listed = run(&self.root, &["ls-tree", "-r", "-z", "--name-only", &tree])?;
        Ok(split_nul(&listed).into_iter().map(PathBuf::from).collect())
    }

    /// The paths of every directory below `subdir` (`""`: the whole tree) at `rev`,
    /// relative to `subdir`, slash-separated.
    pub fn tree_directories(&self, rev: &str, subdir: &str) -> Result<Vec<String>, GitError> {
        let tree = if subdir.is_empty() {
            rev.to_owned()
        } else {
            format!("{rev}:{subdir}")
        };
        let listed = run(
            &self.root,
            &["ls-tree", "-r", "-d", "-z", "--name-only", &tree],
        )?;
        Ok(split_nul(&listed))
    }

    /// Every entry below `subdir` at `rev`, trees included: `(is_tree, object id, path)`,
    /// paths relative to `subdir`. One call for a whole tree, so a caller can tell which
    /// directories changed between two commits by their tree ids.
    pub fn tree_entries(
        &self,
        rev: &str,
        subdir: &str,
    ) -> Result<Vec<(bool, String, String)>, GitError> {
        let tree = if subdir.is_empty() {
            rev.to_owned()
        } else {
            format!("{rev}:{subdir}")
        };
        let listed = run(&self.root, &["ls-tree", "-r", "-t", "-z", &tree])?;
        Ok(split_nul(&listed)
            .into_iter()
            .filter_map(|entry| {
                let (meta, path) = entry.split_once('\t')?;
                let mut parts = meta.split(' ');
                let _mode = parts.next()?;
                let kind = parts.next()?;
                let id = parts.next()?;
                Some((kind == "tree", id.to_owned(), path.to_owned()))
            })
            .collect())
    }

    /// The URLs of every remote (fetch and push), so a repository can be recognised by any
    /// of the names people give it.
    pub fn remote_urls(&self) -> Vec<String> {
        let Ok(out) = run(&self.root, &["remote", "-v"]) else {
            return Vec::new();
        };
        let mut urls: Vec<String> = out
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1))
            .map(str::to_owned)
            .collect();
        urls.sort();
        urls.dedup();
        urls
    }

    /// Every local branch with the commit it points at.
    pub fn branch_heads(&self) -> Result<Vec<(String, String)>, GitError> {
        let out = run(
            &self.root,
            &[
                "for-each-ref",
                "--format=%(refname:short) %(objectname)",
                "refs/heads",
            ],
        )?;
        Ok(out
            .lines()
            .filter_map(|l| l.rsplit_once(' '))
            .map(|(b, s)| (b.to_owned(), s.to_owned()))
            .collect())
    }

    /// The configured `user.name`, if any.
    /// The files below `dir` (relative to the repository root) at `rev`, with their contents:
    /// one `ls-tree` and one `cat-file --batch`, whatever their number.
    pub fn files_at(&self, rev: &str, dir: &Path) -> Result<Vec<(String, Vec<u8>)>, GitError> {
        use std::io::{Read, Write};
        let dir = dir.to_string_lossy();
        let listed = run(
            &self.root,
            &["ls-tree", "-r", "-z", "--name-only", rev, "--", &dir],
        )?;
        let names = split_nul(&listed);
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut child = Command::new("git")
            .args(["cat-file", "--batch"])
            .current_dir(&self.root)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .map_err(|source| GitError::Spawn { source })?;
        let mut stdin = child.stdin.take().ok_or_else(|| GitError::Failed {
            command: "git cat-file --batch".to_owned(),
            stderr: "no standard input".to_owned(),
        })?;
        let requests: String = names.iter().map(|n| format!("{rev}:{n}\n")).collect();
        // Written from a thread: git answers while it reads, and a full pipe would stall both.
        let writer = std::thread::spawn(move || stdin.write_all(requests.as_bytes()));
        let mut output = Vec::new();
        if let Some(mut stdout) = child.stdout.take() {
            stdout
                .read_to_end(&mut output)
                .map_err(|source| GitError::Spawn { source })?;
        }
        let _ = writer.join();
        let _ = child.wait();
        let mut files = Vec::with_capacity(names.len());
        let mut at = 0;
        for name in names {
            let header_end = output[at..]
                .iter()
                .position(|b| *b == b'\n')
                .map(|p| at + p)
                .ok_or_else(|| GitError::Failed {
                    command: "git cat-file --batch".to_owned(),
                    stderr: "truncated answer".to_owned(),
                })?;
            let header = String::from_utf8_lossy(&output[at..header_end]).into_owned();
            let size: usize = header
                .rsplit(' ')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let body_start = header_end + 1;
            let body_end = (body_start + size).min(output.len());
            if header.ends_with(" missing") {
                at = body_start;
                continue;
            }
            files.push((name, output[body_start..body_end].to_vec()));
            at = body_end + 1;
        }
        Ok(files)
    }

    pub fn user_name(&self) -> Option<String> {
        run(&self.root, &["config", "user.name"])
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    }
}

/// What `git show` says about a commit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommitInfo {
    pub author: String,
    pub email: String,
    pub date: String,
    pub message: String,
}

fn split_nul(s: &str) -> Vec<String> {
    s.split('\0')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `https://host/owner/name.git`, `git@host:owner/name.git` → `owner/name`.
pub fn slug_from_url(url: &str) -> Option<String> {
    let path = url.trim_end_matches('/').trim_end_matches(".git");
    let path = path.rsplit_once(':').map_or(path, |(_, p)| p);
    let mut parts = path.rsplit('/');
    let name = parts.next()?;
    let owner = parts.next()?;
    (!owner.is_empty() && !name.is_empty()).then(|| format!("{owner}/{name}"))
}

#[cfg(test)]
mod tests {
    use super::{Repository, is_url, mirror, run, slug_from_url};

    /// Writes `text` to `file` in the working tree `root` and commits everything.
    fn commit_file(root: &std::path::Path, file: &str, text: &str, message: &str) {
        std::fs::write(root.join(file), text).unwrap();
        run(root, &["add", "-A"]).unwrap();
        let author = ["-c", "user.name=d", "-c", "user.email=d@e"];
        run(
            root,
            &[&author[..], &["commit", "-q", "-m", message]].concat(),
        )
        .unwrap();
    }

    #[test]
    fn branches_read_from_ref_files_agree_with_git() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let git = |args: &[&str]| run(&root, args).unwrap().trim().to_owned();
        let commit = |m: &str| commit_file(&root, "f", m, m);
        git(&["init", "-q", "-b", "main"]);
        commit("one");
        git(&["branch", "feature/x"]);
        git(&["branch", "clash"]);
        git(&["tag", "-a", "-m", "t", "clash"]);
        git(&["pack-refs", "--all"]);
        commit("two");
        git(&["branch", "later"]);
        let repo = Repository::discover(&root).unwrap();
        for (name, from_files) in [
            ("main", true),
            ("refs/heads/main", true),
            ("feature/x", true),
            ("later", true),
            ("clash", false),
            ("HEAD", false),
            ("main~1", false),
            ("nosuch", false),
        ] {
            let fast = repo.branch_from_ref_files(name);
            assert_eq!(fast.is_some(), from_files, "{name}: {fast:?}");
            let by_git = run(
                &root,
                &[
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    &format!("{name}^{{commit}}"),
                ],
            )
            .ok()
            .map(|s| s.trim().to_owned());
            if let Some(fast) = fast {
                assert_eq!(Some(fast), by_git, "{name}");
            }
            assert_eq!(repo.resolve(name).ok(), by_git, "{name}");
        }
    }

    #[test]
    fn the_current_branch_read_from_the_head_file_agrees_with_git() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let git = |args: &[&str]| run(&root, args).unwrap().trim().to_owned();
        git(&["init", "-q", "-b", "main"]);
        let repo = Repository::discover(&root).unwrap();
        let by_git = || {
            run(&root, &["symbolic-ref", "--quiet", "--short", "HEAD"])
                .ok()
                .map(|s| s.trim().to_owned())
        };
        // Unborn: the file cannot tell (git answers).
        assert_eq!(repo.branch_from_head_file(), None);
        assert_eq!(repo.current_branch(), by_git());
        commit_file(&root, "f", "1", "one");
        let sha = git(&["rev-parse", "HEAD"]);
        for (setup, from_file) in [
            (vec!["checkout", "-q", "main"], true),
            (vec!["checkout", "-q", "-b", "feature/x"], true),
            (vec!["checkout", "-q", "--detach"], true),
            (vec!["checkout", "-q", "-b", "clash"], true),
            (vec!["tag", "clash"], false),
            (vec!["pack-refs", "--all"], false),
            (vec!["checkout", "-q", "main"], true),
        ] {
            git(&setup);
            let fast = repo.branch_from_head_file();
            assert_eq!(fast.is_some(), from_file, "after {setup:?}: {fast:?}");
            if let Some(fast) = fast {
                assert_eq!(fast, by_git(), "after {setup:?}");
            }
            assert_eq!(repo.current_branch(), by_git(), "after {setup:?}");
        }
        assert_eq!(git(&["rev-parse", "HEAD"]), sha);
    }

    #[test]
    fn urls_are_told_from_paths() {
        for url in [
            "https://github.com/acme/platform.git",
            "file:///srv/git/platform.git",
            "ssh://git@host:2222/acme/platform",
            "git@github.com:acme/platform.git",
        ] {
            assert!(is_url(url), "{url}");
        }
        for path in [
            "/srv/git/platform",
            "examples/platform",
            "./a:b",
            "dir/user@host:x",
        ] {
            assert!(!is_url(path), "{path}");
        }
    }

    #[test]
    fn a_mirror_is_cloned_once_then_follows_its_origin() {
        let dir = tempfile::tempdir().unwrap();
        let origin = dir.path().join("origin");
        std::fs::create_dir_all(&origin).unwrap();
        let git = |args: &[&str]| run(&origin, args).unwrap();
        git(&["init", "-q", "-b", "main"]);
        commit_file(&origin, "a", "1", "one");
        let first = git(&["rev-parse", "HEAD"]).trim().to_owned();
        let url = format!("file://{}", origin.display());
        let dest = dir.path().join("mirrors/origin.git");

        let m = mirror(&url, &dest).unwrap();
        assert!(m.has_commit(&first));
        assert_eq!(m.git_dir(), dest);
        let found = Repository::discover(&dest).unwrap();
        assert_eq!(
            found.root.canonicalize().unwrap(),
            dest.canonicalize().unwrap()
        );
        assert_eq!(found.current_branch().as_deref(), Some("main"));

        commit_file(&origin, "a", "2", "two");
        let second = git(&["rev-parse", "HEAD"]).trim().to_owned();
        assert!(!m.has_commit(&second));
        let m = mirror(&url, &dest).unwrap();
        assert!(m.has_commit(&second), "fetched");
        assert_eq!(m.resolve("main").unwrap(), second);
        // Nothing half-made is left beside it.
        let beside: Vec<_> = std::fs::read_dir(dir.path().join("mirrors"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(beside, ["origin.git"]);
        assert!(
            mirror(
                "file:///nonexistent/x.git",
                &dir.path().join("mirrors/x.git")
            )
            .is_err()
        );
        assert!(!dir.path().join("mirrors/x.git").exists());
    }

    #[test]
    fn slugs_from_remote_urls() {
        assert_eq!(
            slug_from_url("https://github.com/acme/platform.git").as_deref(),
            Some("acme/platform")
        );
        assert_eq!(
            slug_from_url("git@github.com:acme/platform.git").as_deref(),
            Some("acme/platform")
        );
        assert_eq!(
            slug_from_url("ssh://git@host:2222/acme/platform").as_deref(),
            Some("acme/platform")
        );
        assert_eq!(slug_from_url("platform"), None);
    }
}
