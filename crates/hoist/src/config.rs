//! `hoist.toml`: settings for running workflows on this machine. Every key is optional.
//!
//! ```toml
//! data-dir = "~/.local/share/hoist"   # history, logs, caches, artifacts
//! jobs = 4                             # jobs at once
//! secrets-file = ".secrets"            # dotenv file of secrets
//! action-cache = "~/.cache/hoist/actions"
//!
//! [migrations]                         # hoist check migrations
//! tool = "golang-migrate"              # else detected from the files
//! rules = { rename = "off", int-key = "error" }   # off | warning | error, per rule
//!
//! [actions]                            # where missing remote actions come from, before GitHub
//! mirror = "https://git.example.com/{owner}/{repo}.git"   # or a list of templates
//!
//! [vars]                               # the `vars` context
//! REGION = "us-east"
//!
//! [runner]
//! name = "ci-1"                        # in metrics; default: the host name
//! labels = ["self-hosted", "linux"]
//!
//! [storage]                            # logs, artifacts, metrics documents
//! url = "s3://ai-aas-build-metrics/hoist"   # or file:///path; $HOIST_STORAGE_URL wins
//! endpoint = "https://us-east-1.linodeobjects.com"
//! region = "us-east-1"
//! path-style = true
//! access-key-id = "..."                # else AWS_ACCESS_KEY_ID (and the other AWS_* variables)
//! secret-access-key = "..."
//! timeout-seconds = 20
//!
//! [metrics]
//! upload = true                        # upload at the end of each run (else: `hoist metrics flush`)
//! junit = ["target/nextest/ci/junit.xml", "**/test-results/*.xml"]
//!
//! [environments.production]            # only for jobs with `environment: production`
//! secrets-file = ".secrets.production"
//! vars = { REGION = "eu-west" }
//!
//! [terraform]                          # hoist terraform plan / approve / apply
//! approval = ["production"]            # environments whose plans need an approval
//!
//! [server]                             # hoist serve (its flags win)
//! listen = "0.0.0.0:7420"
//! runners = 2                          # in the server's own process
//! lease-seconds = 30
//! database = "postgres://hoist@db/hoist"  # shared by several servers (else SQLite here)
//! labels = ["gpu", "arm64"]            # runner labels besides the defaults; others fail at once
//!
//! [server.repos.platform]              # the name in API paths
//! path = "examples/platform"           # a repository, or a project directory inside one
//! # url = "https://git.example/acme/platform.git"  # or one the server mirrors
//! default-branch = "main"
//! poll-seconds = 30                    # start `push` runs for new commits (no webhooks)
//! forge-name = "acme/platform"         # webhook deliveries name it so
//! webhook-secret-file = "/etc/hoist/platform.secret"  # they are signed with this
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Config {
    pub(crate) data_dir: Option<PathBuf>,
    pub(crate) jobs: Option<usize>,
    pub(crate) secrets_file: Option<PathBuf>,
    pub(crate) action_cache: Option<PathBuf>,
    #[serde(default)]
    pub(crate) vars: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) runner: RunnerConfig,
    /// Secrets and variables of deployment environments, seen only by jobs with
    /// `environment: <name>`.
    #[serde(default)]
    pub(crate) environments: BTreeMap<String, EnvironmentConfig>,
    #[serde(default)]
    pub(crate) storage: StorageConfig,
    #[serde(default)]
    pub(crate) metrics: MetricsConfig,
    #[serde(default)]
    pub(crate) actions: ActionsConfig,
    #[serde(default)]
    pub(crate) migrations: MigrationsConfig,
    #[serde(default)]
    pub(crate) server: ServerSection,
    #[serde(default)]
    pub(crate) terraform: TerraformSection,
    #[serde(default)]
    pub(crate) apps: AppsSection,
}

/// `[apps]`: GitOps delivery (`hoist app`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct AppsSection {
    /// Where Application and ApplicationSet manifests are, relative to the project.
    #[serde(default = "default_apps_dir")]
    pub(crate) dir: PathBuf,
    /// Repository URLs that mean this project (as its manifests' `repoURL` names it), besides
    /// its git remotes.
    #[serde(default)]
    pub(crate) repo_url: Vec<String>,
    pub(crate) helm: Option<PathBuf>,
    pub(crate) kustomize: Option<PathBuf>,
    pub(crate) kubectl: Option<PathBuf>,
    /// The kubeconfig file; else `$KUBECONFIG`, else `~/.kube/config`.
    pub(crate) kubeconfig: Option<PathBuf>,
}

impl Default for AppsSection {
    fn default() -> Self {
        AppsSection {
            dir: default_apps_dir(),
            repo_url: Vec::new(),
            helm: None,
            kustomize: None,
            kubectl: None,
            kubeconfig: None,
        }
    }
}

fn default_apps_dir() -> PathBuf {
    PathBuf::from("deploy")
}

/// `[terraform]`: the plan → approve → apply flow.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct TerraformSection {
    /// Environments whose plans need an approval before `apply`.
    #[serde(default = "production_only")]
    pub(crate) approval: Vec<String>,
}

impl Default for TerraformSection {
    fn default() -> Self {
        Self {
            approval: production_only(),
        }
    }
}

fn production_only() -> Vec<String> {
    vec!["production".to_owned()]
}

/// `[server]`: what `hoist serve` listens on and which repositories it serves.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ServerSection {
    pub(crate) listen: Option<String>,
    pub(crate) runners: Option<usize>,
    pub(crate) lease_seconds: Option<f64>,
    /// A PostgreSQL URL; else SQLite in the data directory.
    pub(crate) database: Option<String>,
    /// The runner labels that exist besides the default ones; a job asking for another
    /// fails at once.
    pub(crate) labels: Option<Vec<String>>,
    /// The file of keys secrets are sealed with.
    pub(crate) secret_key_file: Option<PathBuf>,
    /// Days a deployment waits for a review before its job fails (default 30).
    pub(crate) review_timeout_days: Option<f64>,
    /// The URL the server is reached at from outside: the OIDC issuer.
    pub(crate) public_url: Option<String>,
    #[serde(default)]
    pub(crate) repos: BTreeMap<String, ServedRepo>,
}

/// `[server.repos.NAME]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ServedRepo {
    /// A repository on this machine (or a project directory inside one).
    pub(crate) path: Option<PathBuf>,
    /// Or a URL the server mirrors.
    pub(crate) url: Option<String>,
    /// Its name on the forge whose webhooks it receives (`acme/platform`).
    pub(crate) forge_name: Option<String>,
    /// A file holding the secret its webhook deliveries are signed with.
    pub(crate) webhook_secret_file: Option<PathBuf>,
    pub(crate) default_branch: Option<String>,
    /// Look for pushed commits this often and run their `push` workflows.
    pub(crate) poll_seconds: Option<f64>,
    /// Protected branches (names or `*` patterns) and the checks each requires:
    /// `[server.repos.NAME.protect.main] require = ["CI / Lint"]`.
    #[serde(default)]
    pub(crate) protect: BTreeMap<String, ProtectedBranch>,
    /// Post the statuses of its commits to this forge API base (`https://api.github.com`, or
    /// Gitea's `https://HOST/api/v1`), to the repository named by `forge-name`.
    pub(crate) status_api: Option<String>,
    /// A file holding the token for `status-api`.
    pub(crate) status_token_file: Option<PathBuf>,
    /// The claims the subject of its jobs' OIDC tokens is made of, as GitHub's
    /// customisation (`["repo", "context", "job_workflow_ref"]`).
    pub(crate) oidc_sub_claims: Option<Vec<String>>,
    /// Environments and their protection rules:
    /// `[server.repos.NAME.environments.production] reviewers = ["alice", "role:approver"]`.
    #[serde(default)]
    pub(crate) environments: BTreeMap<String, ServedEnvironment>,
}

/// `[server.repos.NAME.environments.ENV]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ServedEnvironment {
    /// Users, or `role:ROLE`; one approval suffices.
    #[serde(default)]
    pub(crate) reviewers: Vec<String>,
    #[serde(default)]
    pub(crate) prevent_self_review: bool,
    /// Minutes.
    #[serde(default)]
    pub(crate) wait_timer: u32,
    /// Branch patterns that may deploy.
    #[serde(default)]
    pub(crate) branches: Vec<String>,
    /// Tag patterns that may deploy.
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    /// Only protected branches may deploy.
    #[serde(default)]
    pub(crate) protected_branches: bool,
    /// The environment's `vars`.
    #[serde(default)]
    pub(crate) vars: BTreeMap<String, String>,
}

impl ServedEnvironment {
    pub(crate) fn settings(&self) -> hoist_store::EnvironmentSettings {
        hoist_store::EnvironmentSettings {
            reviewers: self.reviewers.clone(),
            prevent_self_review: self.prevent_self_review,
            wait_timer: self.wait_timer,
            branches: self.branches.clone(),
            tags: self.tags.clone(),
            protected_branches: self.protected_branches,
            vars: self.vars.clone(),
        }
    }
}

/// `[server.repos.NAME.protect.BRANCH]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ProtectedBranch {
    /// Check names as GitHub shows them (`Workflow / job`), `*` matching any text.
    #[serde(default)]
    pub(crate) require: Vec<String>,
}

/// `[migrations]`: the migration guardrail's settings.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct MigrationsConfig {
    /// The tool whose layout the directory follows (else detected).
    pub(crate) tool: Option<String>,
    /// Per rule: `off`, `warning` or `error`.
    #[serde(default)]
    pub(crate) rules: BTreeMap<String, RuleLevel>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RuleLevel {
    Off,
    Warning,
    Error,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ActionsConfig {
    /// URL templates (`{owner}`, `{repo}`) tried before GitHub, as GitHub Enterprise's action
    /// mirrors; one string or a list.
    #[serde(default)]
    pub(crate) mirror: OneOrMore,
}

#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
pub(crate) enum OneOrMore {
    #[default]
    None,
    One(String),
    More(Vec<String>),
}

impl OneOrMore {
    pub(crate) fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMore::None => Vec::new(),
            OneOrMore::One(s) => vec![s.clone()],
            OneOrMore::More(v) => v.clone(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct StorageConfig {
    pub(crate) url: Option<String>,
    pub(crate) endpoint: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) path_style: Option<bool>,
    pub(crate) access_key_id: Option<String>,
    pub(crate) secret_access_key: Option<String>,
    pub(crate) session_token: Option<String>,
    pub(crate) timeout_seconds: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct MetricsConfig {
    /// Upload each run's logs, artifacts and metrics at its end; otherwise they wait for
    /// `hoist metrics flush`.
    #[serde(default = "yes")]
    pub(crate) upload: bool,
    /// Globs of JUnit XML files (relative to a job's workspace) whose counts a step reports.
    #[serde(default)]
    pub(crate) junit: Vec<String>,
}

fn yes() -> bool {
    true
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            upload: true,
            junit: Vec::new(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct EnvironmentConfig {
    pub(crate) secrets_file: Option<PathBuf>,
    #[serde(default)]
    pub(crate) vars: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RunnerConfig {
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) labels: Vec<String>,
}

impl Config {
    /// Loads `explicit`, or `hoist.toml` in `project_root` when it exists, or the defaults.
    /// Relative paths in the file are taken relative to the file.
    pub(crate) fn load(
        explicit: Option<&Path>,
        project_root: Option<&Path>,
    ) -> anyhow::Result<(Self, Option<PathBuf>)> {
        let path = match explicit {
            Some(p) => {
                if !p.is_file() {
                    bail!("configuration file `{}` does not exist", p.display());
                }
                Some(p.to_path_buf())
            }
            None => project_root
                .map(|r| r.join("hoist.toml"))
                .filter(|p| p.is_file()),
        };
        let Some(path) = path else {
            return Ok((Self::default(), None));
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        let mut config: Config = toml::from_str(&text).map_err(|e| {
            let (line, col) = e.span().map_or((1, 1), |s| line_col(&text, s.start));
            anyhow::anyhow!("{}:{line}:{col}: {}", path.display(), e.message())
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [
            &mut config.data_dir,
            &mut config.secrets_file,
            &mut config.action_cache,
        ]
        .into_iter()
        .flatten()
        {
            *p = resolve(base, p);
        }
        config.apps.dir = resolve(base, &config.apps.dir);
        for p in [
            &mut config.apps.helm,
            &mut config.apps.kustomize,
            &mut config.apps.kubectl,
            &mut config.apps.kubeconfig,
        ]
        .into_iter()
        .flatten()
        {
            *p = resolve(base, p);
        }
        for (name, repo) in &mut config.server.repos {
            if let Some(f) = &repo.status_token_file {
                repo.status_token_file = Some(resolve(base, f));
            }
            if let Some(f) = &repo.webhook_secret_file {
                repo.webhook_secret_file = Some(resolve(base, f));
            }
            match (&repo.path, &repo.url) {
                (Some(p), None) => repo.path = Some(resolve(base, p)),
                (None, Some(_)) => {}
                (Some(_), Some(_)) => bail!(
                    "{}: `[server.repos.{name}]` has both `path` and `url`; give one",
                    path.display()
                ),
                (None, None) => bail!(
                    "{}: `[server.repos.{name}]` needs `path` (a repository here) or `url` (one the server mirrors)",
                    path.display()
                ),
            }
        }
        if config.jobs == Some(0) {
            bail!("{}: `jobs` must be at least 1", path.display());
        }
        Ok((config, Some(path)))
    }

    /// Where blobs go: `$HOIST_STORAGE_URL`, else `[storage] url`, else `blobs/` in the data
    /// directory.
    pub(crate) fn storage_settings(&self) -> hoist_storage::StorageSettings {
        let url = std::env::var("HOIST_STORAGE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .or_else(|| self.storage.url.clone())
            .unwrap_or_else(|| format!("file://{}", self.data_dir().join("blobs").display()));
        let s = &self.storage;
        hoist_storage::StorageSettings {
            url,
            endpoint: s.endpoint.clone(),
            region: s.region.clone(),
            path_style: s.path_style,
            access_key_id: s.access_key_id.clone(),
            secret_access_key: s.secret_access_key.clone(),
            session_token: s.session_token.clone(),
            timeout: s.timeout_seconds.map(std::time::Duration::from_secs),
        }
    }

    /// The runner's name in metrics: `[runner] name`, else the host name.
    pub(crate) fn runner_name(&self) -> String {
        self.runner.name.clone().unwrap_or_else(|| {
            nix::unistd::gethostname()
                .ok()
                .and_then(|h| h.into_string().ok())
                .unwrap_or_else(|| "localhost".to_owned())
        })
    }

    /// The data directory: the config's, else `HOIST_DATA_DIR`, else the XDG data directory.
    /// The action cache (`action-cache`, default `actions/` in the data directory) and its
    /// sources: `[actions] mirror`, then `$HOIST_ACTIONS_URL` (default GitHub).
    pub(crate) fn action_cache(&self) -> hoist_engine::action_cache::ActionCache {
        let dir = self
            .action_cache
            .clone()
            .unwrap_or_else(|| self.data_dir().join("actions"));
        let base = std::env::var("HOIST_ACTIONS_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "https://github.com".to_owned());
        hoist_engine::action_cache::ActionCache::new(dir, &self.actions.mirror.to_vec(), &base)
    }

    pub(crate) fn data_dir(&self) -> PathBuf {
        if let Some(d) = &self.data_dir {
            return d.clone();
        }
        if let Some(d) = std::env::var_os("HOIST_DATA_DIR") {
            return PathBuf::from(d);
        }
        if let Some(d) = std::env::var_os("XDG_DATA_HOME") {
            return PathBuf::from(d).join("hoist");
        }
        home().join(".local/share/hoist")
    }
}

fn home() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from)
}

fn resolve(base: &Path, p: &Path) -> PathBuf {
    if let Ok(rest) = p.strip_prefix("~") {
        return home().join(rest);
    }
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Parses a dotenv file: `NAME=value`, optional `export `, optional quotes, `#` comments.
pub(crate) fn parse_dotenv(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read secrets file `{}`", path.display()))?;
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((name, value)) = line.split_once('=') else {
            bail!(
                "{}:{}: expected `NAME=value`, found `{}`",
                path.display(),
                i + 1,
                raw.trim()
            );
        };
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            bail!(
                "{}:{}: `{name}` is not a valid secret name (letters, digits and `_`)",
                path.display(),
                i + 1
            );
        }
        let value = value.trim();
        let value = if value.len() >= 2
            && ((value.starts_with('"') && value.ends_with('"'))
                || (value.starts_with('\'') && value.ends_with('\'')))
        {
            let inner = &value[1..value.len() - 1];
            if value.starts_with('"') {
                inner.replace("\\n", "\n").replace("\\\"", "\"")
            } else {
                inner.to_owned()
            }
        } else {
            value.to_owned()
        };
        out.push((name.to_owned(), value));
    }
    Ok(out)
}
