//! The repositories a server knows: the configured ones, with the settings the API changed
//! (`hoist repo set`, `hoist repo protect`), and the hosted ones (`hoist repo create`),
//! bare repositories under `<data dir>/repos/` whose hooks hand every push to the server.
//!
//! The database is where they are kept, so every server sharing it knows the same ones;
//! each server holds a copy, brought up to date after its own changes and at every upkeep
//! (other servers' changes reach it within one upkeep interval).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use hoist_git::Repository;
use hoist_store::{RepoSettings, Store, StoreError};

use crate::config::RepoConfig;

/// The repositories, and each one's git repository, as of the last look at the database.
pub(crate) struct Registry {
    configured: Vec<RepoConfig>,
    hosted_dir: PathBuf,
    known: RwLock<Arc<Known>>,
}

#[derive(Default)]
struct Known {
    repos: Vec<RepoConfig>,
    git: HashMap<String, Repository>,
}

/// Where hosted repository `name` lives under the data directory.
pub(crate) fn hosted_path(data_dir: &Path, name: &str) -> PathBuf {
    data_dir.join("repos").join(format!("{name}.git"))
}

/// Whether `name` may name a hosted repository: what a URL path segment and a directory name
/// both take without quoting.
pub(crate) fn valid_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 100 {
        return Err("a repository name has 1 to 100 characters".to_owned());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "`{c}` cannot be in a repository name (letters, digits, `-`, `_` and `.` can)"
        ));
    }
    if name.starts_with('.') || name.ends_with(".git") {
        return Err("a repository name cannot start with `.` or end with `.git`".to_owned());
    }
    Ok(())
}

impl Registry {
    /// The configured repositories (found as git repositories by the caller).
    pub(crate) fn new(configured: Vec<RepoConfig>, data_dir: &Path) -> Self {
        Self {
            configured,
            hosted_dir: data_dir.to_path_buf(),
            known: RwLock::new(Arc::new(Known::default())),
        }
    }

    /// Every repository.
    pub(crate) fn all(&self) -> Vec<RepoConfig> {
        self.snapshot().repos.clone()
    }

    /// Repository `name`.
    pub(crate) fn get(&self, name: &str) -> Option<RepoConfig> {
        self.snapshot()
            .repos
            .iter()
            .find(|r| r.name == name)
            .cloned()
    }

    /// The git repository of `name`, found when it was first seen.
    pub(crate) fn git(&self, name: &str) -> Option<Repository> {
        self.snapshot().git.get(name).cloned()
    }

    fn snapshot(&self) -> Arc<Known> {
        self.known.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reads the repositories and settings from the database again.
    pub(crate) fn reload(&self, store: &Store) -> Result<(), StoreError> {
        let rows = store.repositories()?;
        let before = self.snapshot();
        let mut known = Known::default();
        for configured in &self.configured {
            let mut repo = configured.clone();
            if let Some(row) = rows.iter().find(|r| r.name == repo.name && !r.hosted) {
                apply(&mut repo, &row.settings);
            }
            known.repos.push(repo);
        }
        for row in rows.iter().filter(|r| r.hosted) {
            if known.repos.iter().any(|r| r.name == row.name) {
                continue;
            }
            let mut repo = RepoConfig {
                name: row.name.clone(),
                path: hosted_path(&self.hosted_dir, &row.name),
                hosted: true,
                ..RepoConfig::default()
            };
            apply(&mut repo, &row.settings);
            known.repos.push(repo);
        }
        for repo in &known.repos {
            let git = before.git.get(&repo.name).cloned().or_else(|| {
                // A hosted repository another server created may not be on this machine.
                repo.path
                    .join("HEAD")
                    .is_file()
                    .then(|| Repository {
                        root: repo.path.clone(),
                    })
                    .or_else(|| Repository::discover(&repo.path))
            });
            if let Some(git) = git {
                known.git.insert(repo.name.clone(), git);
            }
        }
        *self.known.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(known);
        Ok(())
    }
}

/// What the API set wins over what the configuration says; a branch protected in both is
/// protected as the API said.
fn apply(repo: &mut RepoConfig, settings: &RepoSettings) {
    if settings.forge_name.is_some() {
        repo.forge_name.clone_from(&settings.forge_name);
    }
    if settings.webhook_secret.is_some() {
        repo.webhook_secret.clone_from(&settings.webhook_secret);
    }
    if settings.default_branch.is_some() {
        repo.default_branch.clone_from(&settings.default_branch);
    }
    if settings.status_api.is_some() {
        repo.status_api.clone_from(&settings.status_api);
        repo.status_token.clone_from(&settings.status_token);
    }
    for p in &settings.protections {
        repo.protections.retain(|q| q.branch != p.branch);
        if !p.require.is_empty() {
            repo.protections.push(p.clone());
        }
    }
}

/// Writes the `pre-receive` and `post-receive` hooks of hosted repository `path`: each runs
/// `program hook <name>`, which reports the push to the server at `server` with the token in
/// `token_file`. Rewritten at every start (the address may have changed).
pub(crate) fn install_hooks(
    path: &Path,
    program: &Path,
    server: &str,
    repo: &str,
    token_file: &Path,
) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let hooks = path.join("hooks");
    std::fs::create_dir_all(&hooks)?;
    for name in ["pre-receive", "post-receive"] {
        let script = format!(
            "#!/bin/sh\n# Written by `hoist serve` at every start: hands the push to the server.\n\
             HOIST_HOOK_SERVER={} HOIST_HOOK_REPO={} HOIST_HOOK_TOKEN_FILE={} exec {} hook {name}\n",
            quote(server),
            quote(repo),
            quote(&token_file.to_string_lossy()),
            quote(&program.to_string_lossy()),
        );
        let file = hooks.join(name);
        let staged = hooks.join(format!(".{name}.new"));
        std::fs::write(&staged, script)?;
        std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(0o755))?;
        std::fs::rename(&staged, &file)?;
    }
    Ok(())
}
