//! What a server that hosts repositories does to them: bare repositories created, refs
//! moved only from the value the caller saw, and the test merge of a pull request.

use std::path::Path;
use std::process::Command;

use crate::{GitError, Repository, run};

/// The identity of the commits the server makes itself (test merges, merges of pull
/// requests).
const COMMITTER: (&str, &str) = ("Hoist", "hoist@localhost");

/// Creates the bare repository `path` whose default branch is `default_branch`, taking
/// pushes over HTTP and push options (`git push -o pr`).
pub fn init_bare(path: &Path, default_branch: &str) -> Result<Repository, GitError> {
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|source| GitError::Spawn { source })?;
    run(
        parent,
        &[
            "init",
            "--quiet",
            "--bare",
            &format!("--initial-branch={default_branch}"),
            &path.to_string_lossy(),
        ],
    )?;
    let repo = Repository {
        root: path.to_path_buf(),
    };
    for (key, value) in [
        ("http.receivepack", "true"),
        ("receive.advertisePushOptions", "true"),
        // The refs the server keeps for pull requests are fetchable but not pushable.
        ("receive.denyDeleteCurrent", "true"),
        ("uploadpack.allowReachableSHA1InWant", "true"),
    ] {
        run(path, &["config", key, value])?;
    }
    Ok(repo)
}

impl Repository {
    /// Points `name` at `new`, but only if it still points at `old` (`None`: only if it
    /// does not exist): two servers, or a push and a merge, never overwrite each other.
    pub fn update_ref(&self, name: &str, new: &str, old: Option<&str>) -> Result<(), GitError> {
        let zero = "0".repeat(40);
        let old = old.unwrap_or(&zero);
        run(&self.root, &["update-ref", name, new, old]).map(|_| ())
    }

    /// Points `name` at `new` whatever it pointed at.
    pub fn set_ref(&self, name: &str, new: &str) -> Result<(), GitError> {
        run(&self.root, &["update-ref", name, new]).map(|_| ())
    }

    /// Deletes ref `name` if it exists.
    pub fn delete_ref(&self, name: &str) -> Result<(), GitError> {
        run(&self.root, &["update-ref", "-d", name]).map(|_| ())
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors.
    pub fn is_ancestor(&self, ancestor: &str, descendant: &str) -> bool {
        Command::new("git")
            .args(["merge-base", "--is-ancestor", ancestor, descendant])
            .current_dir(&self.root)
            .status()
            .is_ok_and(|s| s.success())
    }

    /// The merge of `head` into `base` as a new commit (parents `base`, `head`) with
    /// `message`, as GitHub makes `refs/pull/N/merge`; `None` when they conflict.
    pub fn test_merge(
        &self,
        base: &str,
        head: &str,
        message: &str,
    ) -> Result<Option<String>, GitError> {
        let out = Command::new("git")
            .args(["merge-tree", "--write-tree", "--no-messages", base, head])
            .current_dir(&self.root)
            .output()
            .map_err(|source| GitError::Spawn { source })?;
        match out.status.code() {
            Some(0) => {}
            // Exit 1: the merge has conflicts.
            Some(1) => return Ok(None),
            _ => {
                return Err(GitError::Failed {
                    command: format!("git merge-tree --write-tree {base} {head}"),
                    stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
                });
            }
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let tree = stdout.lines().next().unwrap_or_default().trim().to_owned();
        self.commit_tree(&tree, &[base, head], message).map(Some)
    }

    /// A commit of `tree` with `parents` and `message`, made by Hoist.
    pub fn commit_tree(
        &self,
        tree: &str,
        parents: &[&str],
        message: &str,
    ) -> Result<String, GitError> {
        let mut command = Command::new("git");
        command.arg("commit-tree").arg(tree);
        for p in parents {
            command.args(["-p", p]);
        }
        let out = command
            .args(["-m", message])
            .env("GIT_AUTHOR_NAME", COMMITTER.0)
            .env("GIT_AUTHOR_EMAIL", COMMITTER.1)
            .env("GIT_COMMITTER_NAME", COMMITTER.0)
            .env("GIT_COMMITTER_EMAIL", COMMITTER.1)
            .current_dir(&self.root)
            .output()
            .map_err(|source| GitError::Spawn { source })?;
        if !out.status.success() {
            return Err(GitError::Failed {
                command: format!("git commit-tree {tree}"),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// Every ref under `prefix` (`refs/tags`) with the commit it points at.
    pub fn refs_under(&self, prefix: &str) -> Result<Vec<(String, String)>, GitError> {
        let out = run(
            &self.root,
            &["for-each-ref", "--format=%(refname) %(objectname)", prefix],
        )?;
        Ok(out
            .lines()
            .filter_map(|l| l.rsplit_once(' '))
            .map(|(r, s)| (r.to_owned(), s.to_owned()))
            .collect())
    }
}
