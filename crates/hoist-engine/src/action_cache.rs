//! The action cache: remote actions (`owner/repo@ref`) as checkouts under one directory,
//! `<cache>/<owner>/<repo>@<ref>/`, filled from mirrors, GitHub or a local clone.
//!
//! Guarantees:
//! - A checkout appears whole or not at all: it is fetched into a directory of its own and
//!   renamed into place, so a failed or interrupted fetch leaves nothing that looks cached.
//! - Safe under concurrency: jobs of one run share one fetch per action (see
//!   `Shared::fetch_action`); two Hoist processes fetching the same action each use their own
//!   temporary directory, and the one that loses the rename takes the winner's checkout.
//! - Any ref a workflow may name works: branches, tags and commit SHAs (fetched by name with
//!   `git fetch --depth 1`, which accepts all three).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hoist_workflow::model::{ActionRef, Workflow};

/// Where actions are cached and where missing ones come from.
#[derive(Clone, Debug)]
pub struct ActionCache {
    pub dir: PathBuf,
    /// URL templates tried in order, with `{owner}` and `{repo}`: configured mirrors first,
    /// then GitHub (`https://github.com/{owner}/{repo}.git`).
    pub sources: Vec<String>,
}

/// A remote action as a workflow names it, without the path inside the repository (one
/// checkout serves every action of a repository at one ref).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RemoteAction {
    pub owner: String,
    pub repo: String,
    pub git_ref: String,
}

impl std::fmt::Display for RemoteAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}@{}", self.owner, self.repo, self.git_ref)
    }
}

impl RemoteAction {
    /// Reads `owner/repo@ref` (a path after the repository is allowed and dropped).
    pub fn parse(text: &str) -> Option<Self> {
        let (name, git_ref) = text.rsplit_once('@')?;
        let mut parts = name.split('/');
        let (owner, repo) = (parts.next()?, parts.next()?);
        if owner.is_empty() || repo.is_empty() || git_ref.is_empty() {
            return None;
        }
        Some(Self {
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            git_ref: git_ref.to_owned(),
        })
    }

    /// The remote action a `uses:` names, if it names one (`owner/repo[/path]@ref`).
    pub fn of(r: &ActionRef) -> Option<Self> {
        match r {
            ActionRef::Repository {
                owner,
                repo,
                git_ref,
                ..
            } => Some(Self {
                owner: owner.clone(),
                repo: repo.clone(),
                git_ref: git_ref.clone(),
            }),
            _ => None,
        }
    }
}

/// Every remote action the workflow's steps use, built-in ones (which need no download) left
/// out, each once, in a stable order.
pub fn remote_actions(workflow: &Workflow) -> Vec<RemoteAction> {
    let mut found: Vec<RemoteAction> = workflow
        .jobs
        .values()
        .flat_map(|job| &job.steps)
        .filter_map(|step| step.uses.as_ref())
        .filter(|uses| !crate::builtin::handles(&uses.value))
        .filter_map(|uses| RemoteAction::of(&uses.value))
        .collect();
    found.sort();
    found.dedup();
    found
}

/// What to do about an action that cannot be fetched, for messages.
pub const HOW_TO_ADD: &str = "fill the cache with `hoist actions pull` where the network allows, or import a copy with `hoist actions add OWNER/REPO@REF PATH|GIT-URL`";

static FETCH_SEQUENCE: AtomicU64 = AtomicU64::new(0);

impl ActionCache {
    /// The default list of sources: `mirrors`, then `base_url/{owner}/{repo}.git`.
    pub fn new(dir: PathBuf, mirrors: &[String], base_url: &str) -> Self {
        let mut sources = mirrors.to_vec();
        sources.push(format!(
            "{}/{{owner}}/{{repo}}.git",
            base_url.trim_end_matches('/')
        ));
        Self { dir, sources }
    }

    /// Where the action's checkout is (or would be).
    pub fn path_of(&self, action: &RemoteAction) -> PathBuf {
        self.dir
            .join(&action.owner)
            .join(format!("{}@{}", action.repo, action.git_ref))
    }

    pub fn contains(&self, action: &RemoteAction) -> bool {
        self.path_of(action).is_dir()
    }

    /// Fetches the action from the first source that has it. Returns the source used; the
    /// error names every source tried and why each failed.
    pub async fn fetch(&self, action: &RemoteAction) -> Result<String, String> {
        let mut failures = Vec::new();
        for template in &self.sources {
            let url = template
                .replace("{owner}", &action.owner)
                .replace("{repo}", &action.repo);
            match self.fetch_from(action, &url).await {
                Ok(()) => return Ok(url),
                Err(e) => failures.push(e),
            }
        }
        Err(failures.join("; "))
    }

    /// Fetches `action.git_ref` from `source` (a URL, or the path of a local clone or bare
    /// repository) into the cache.
    pub async fn fetch_from(&self, action: &RemoteAction, source: &str) -> Result<(), String> {
        let dest = self.path_of(action);
        let parent = dest.parent().ok_or("bad cache path")?;
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
        let tmp = parent.join(format!(
            ".fetch-{}@{}-{}-{}",
            action.repo,
            action.git_ref,
            std::process::id(),
            FETCH_SEQUENCE.fetch_add(1, Ordering::Relaxed)
        ));
        let result = fetch_into(&tmp, source, &action.git_ref).await;
        if let Err(e) = result {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
        // No `.git` in the cache: the checkout is a snapshot, not a repository to update.
        let _ = std::fs::remove_dir_all(tmp.join(".git"));
        match std::fs::rename(&tmp, &dest) {
            Ok(()) => Ok(()),
            // Another job or process put it there first: theirs is as good as ours.
            Err(_) if dest.is_dir() => {
                let _ = std::fs::remove_dir_all(&tmp);
                Ok(())
            }
            Err(e) => {
                let _ = std::fs::remove_dir_all(&tmp);
                Err(format!("cannot move the action into the cache: {e}"))
            }
        }
    }

    /// The cached actions, in order.
    pub fn list(&self) -> Vec<(RemoteAction, PathBuf)> {
        let mut out = Vec::new();
        let Ok(owners) = std::fs::read_dir(&self.dir) else {
            return out;
        };
        for owner in owners.filter_map(Result::ok) {
            let Ok(repos) = std::fs::read_dir(owner.path()) else {
                continue;
            };
            for entry in repos.filter_map(Result::ok) {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') || !entry.path().is_dir() {
                    continue;
                }
                let text = format!("{}/{name}", owner.file_name().to_string_lossy());
                if let Some(action) = RemoteAction::parse(&text) {
                    out.push((action, entry.path()));
                }
            }
        }
        out.sort();
        out
    }
}

/// `git init`, `git fetch --depth 1 SOURCE REF`, `git checkout FETCH_HEAD` in `dir`.
async fn fetch_into(dir: &Path, source: &str, git_ref: &str) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    let steps: [&[&str]; 3] = [
        &["init", "--quiet"],
        &["fetch", "--quiet", "--depth", "1", source, git_ref],
        &[
            "-c",
            "advice.detachedHead=false",
            "checkout",
            "--quiet",
            "FETCH_HEAD",
        ],
    ];
    for args in steps {
        let run = tokio::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(std::process::Stdio::null())
            .output();
        let out = tokio::time::timeout(Duration::from_secs(120), run)
            .await
            .map_err(|_| format!("`git fetch {source} {git_ref}` timed out"))?
            .map_err(|e| format!("cannot run git: {e}"))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let reason = stderr
                .lines()
                .find(|l| l.starts_with("fatal:") || l.starts_with("error:"))
                .unwrap_or_else(|| stderr.trim());
            return Err(format!("`{source}` at `{git_ref}`: {}", reason.trim()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::RemoteAction;

    #[test]
    fn names_of_remote_actions() {
        let a = RemoteAction::parse("actions/setup-go@v5").unwrap();
        assert_eq!(
            (a.owner.as_str(), a.repo.as_str(), a.git_ref.as_str()),
            ("actions", "setup-go", "v5")
        );
        let b = RemoteAction::parse("github/codeql-action/init@v3").unwrap();
        assert_eq!(b.to_string(), "github/codeql-action@v3");
        for bad in ["actions/setup-go", "setup-go@v5", "/x@v1", "a/b@"] {
            assert!(RemoteAction::parse(bad).is_none(), "{bad}");
        }
    }
}
