//! Files of commits the server has read, remembered: a commit's files never change, and the
//! server reads the same few commits' workflows for every run (the dispatched workflow, and
//! the default branch's workflows each time a run is requested and completes, for
//! `workflow_run`), which would otherwise start two git processes each time.
//!
//! Only what is named by a full commit id is remembered (a branch name moves); the memory is
//! bounded by forgetting everything past [`LIMIT`] entries, since an old commit is cheap to
//! read again.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use hoist_git::Repository;

/// Entries of each kind kept before the memory is emptied.
const LIMIT: usize = 1024;

/// Files below a directory at a commit: (path in the repository, contents).
pub(crate) type Files = Arc<[(String, Vec<u8>)]>;

/// The files of a repository's commits, by (repository root, commit, directory or path).
#[derive(Default)]
pub(crate) struct CommitFiles {
    directories: Mutex<HashMap<(String, String, String), Files>>,
}

impl CommitFiles {
    /// The files below `dir` (a directory or one file's path, relative to the repository's
    /// root) at commit `sha`, read with git once per commit.
    pub(crate) fn files_at(
        &self,
        git: &Repository,
        sha: &str,
        dir: &str,
    ) -> Result<Files, hoist_git::GitError> {
        if !hoist_git::is_commit_id(sha) {
            return Ok(git.files_at(sha, Path::new(dir))?.into());
        }
        let key = (
            git.root.display().to_string(),
            sha.to_owned(),
            dir.to_owned(),
        );
        if let Some(files) = self.lock().get(&key) {
            return Ok(files.clone());
        }
        let files: Files = git.files_at(sha, Path::new(dir))?.into();
        let mut remembered = self.lock();
        if remembered.len() >= LIMIT {
            remembered.clear();
        }
        remembered.insert(key, files.clone());
        Ok(files)
    }

    /// The text of the file at `path` (relative to the repository's root) at `sha`, if the
    /// commit has one.
    pub(crate) fn text_at(
        &self,
        git: &Repository,
        sha: &str,
        path: &str,
    ) -> Result<Option<String>, hoist_git::GitError> {
        Ok(self
            .files_at(git, sha, path)?
            .iter()
            .find(|(name, _)| name == path)
            .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String, String), Files>> {
        self.directories.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = std::process::Command::new("git")
            .args(["-c", "user.email=t@t", "-c", "user.name=t"])
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    #[test]
    fn a_commit_is_read_once_and_a_branch_every_time() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
        std::fs::write(dir.path().join(".github/workflows/a.yml"), "one").unwrap();
        git(dir.path(), &["init", "-q", "-b", "main"]);
        git(dir.path(), &["add", "-A"]);
        git(dir.path(), &["commit", "-qm", "one"]);
        let first = git(dir.path(), &["rev-parse", "HEAD"]);
        let repo = Repository::discover(dir.path()).unwrap();
        let files = CommitFiles::default();
        let read = |rev: &str| {
            files
                .text_at(&repo, rev, ".github/workflows/a.yml")
                .unwrap()
        };
        assert_eq!(read(&first).as_deref(), Some("one"));
        assert_eq!(read("main").as_deref(), Some("one"));

        std::fs::write(dir.path().join(".github/workflows/a.yml"), "two").unwrap();
        git(dir.path(), &["commit", "-qam", "two"]);
        // The branch moved: read again. The first commit: remembered, even with its
        // objects gone from the repository.
        assert_eq!(read("main").as_deref(), Some("two"));
        std::fs::remove_dir_all(dir.path().join(".git/objects")).unwrap();
        assert_eq!(read(&first).as_deref(), Some("one"));
        assert!(
            files
                .text_at(&repo, "main", ".github/workflows/a.yml")
                .is_err()
        );
        assert_eq!(
            files
                .files_at(&repo, &first, ".github/workflows")
                .map(|f| f.len())
                .ok(),
            None,
            "a directory not read before is read now, and the objects are gone"
        );
    }
}
