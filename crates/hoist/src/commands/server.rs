//! `hoist serve`, `hoist runner` and `hoist workflow run`: the CI server, its runners, and
//! dispatching a workflow on it. The work is hoist-server's; this module reads the command
//! line, picks the directories and prints.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::cli::{RunnerArgs, ServeArgs, WorkflowRunArgs};
use crate::commands::Outcome;
use crate::config::Config;
use crate::output;
use crate::remote::{self, runtime};

fn hoist_data_dir() -> PathBuf {
    Config::default().data_dir()
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

pub(crate) fn serve(args: &ServeArgs) -> anyhow::Result<Outcome> {
    let cwd = std::env::current_dir().context("cannot determine the current directory")?;
    let (file, _) = Config::load(args.config.as_deref(), Some(&cwd))?;
    let section = &file.server;
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| file.data_dir().join("server"));
    let mut repos = Vec::new();
    let add =
        |name: Option<String>, source: &str, default_branch: Option<String>, poll: Option<f64>| {
            let poll = poll.map(|s| Duration::from_secs_f64(s.max(0.1)));
            if hoist_git::is_url(source) {
                // Named by the URL's last segment, as `git clone` names its directory.
                let name = name.unwrap_or_else(|| {
                    let last = source.trim_end_matches('/').rsplit(['/', ':']).next();
                    last.unwrap_or("repo").trim_end_matches(".git").to_owned()
                });
                return anyhow::Ok(hoist_server::RepoConfig {
                    name,
                    path: std::path::PathBuf::new(),
                    default_branch,
                    poll,
                    url: Some(source.to_owned()),
                    ..hoist_server::RepoConfig::default()
                });
            }
            let path = std::path::Path::new(source)
                .canonicalize()
                .with_context(|| format!("repository `{source}` does not exist"))?;
            let name = name.unwrap_or_else(|| {
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "repo".to_owned())
            });
            anyhow::Ok(hoist_server::RepoConfig {
                name,
                path,
                default_branch,
                poll,
                url: None,
                ..hoist_server::RepoConfig::default()
            })
        };
    for (name, repo) in &section.repos {
        let source = match (&repo.path, &repo.url) {
            (_, Some(url)) => url.clone(),
            (Some(path), None) => path.display().to_string(),
            (None, None) => unreachable!("checked when the configuration was read"),
        };
        let mut added = add(
            Some(name.clone()),
            &source,
            repo.default_branch.clone(),
            repo.poll_seconds,
        )?;
        added.forge_name = repo.forge_name.clone();
        added.webhook_secret =
            read_secret(repo.webhook_secret_file.as_deref(), name, "webhook secret")?;
        added.status_api = repo.status_api.clone();
        added.status_token = read_secret(repo.status_token_file.as_deref(), name, "status token")?;
        added.oidc_subject_claims = repo.oidc_sub_claims.clone();
        added.environments = repo
            .environments
            .iter()
            .map(|(env, config)| (env.clone(), config.settings()))
            .collect();
        added.protections = repo
            .protect
            .iter()
            .map(|(branch, p)| hoist_store::Protection {
                branch: branch.clone(),
                require: p.require.clone(),
            })
            .collect();
        repos.push(added);
    }
    for path in &args.repos {
        let extra = add(None, &path.to_string_lossy(), None, args.poll)?;
        // `--repo .` inside a project whose hoist.toml registers `.` names the
        // same repository twice; the configured entry, with its settings, wins.
        if let Some(known) = repos
            .iter_mut()
            .find(|r| r.url.is_none() && extra.url.is_none() && r.path == extra.path)
        {
            known.poll = known.poll.or(extra.poll);
            continue;
        }
        repos.push(extra);
    }
    let name = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "hoist".to_owned());
    let lease = args.lease.or(section.lease_seconds).unwrap_or(30.0);
    let config = hoist_server::ServerConfig {
        listen: args
            .listen
            .clone()
            .or_else(|| section.listen.clone())
            .unwrap_or_else(|| "127.0.0.1:7420".to_owned()),
        data_dir: data_dir.clone(),
        repos,
        runners: args.runners.or(section.runners).unwrap_or(1),
        name,
        lease: Duration::from_secs_f64(lease.max(0.1)),
        database: args.database.clone().or_else(|| section.database.clone()),
        labels: section.labels.clone(),
        observer: match &args.apps {
            Some(project) => Some(start_reconciler(project)?),
            None => None,
        },
        // The hooks of hosted repositories call this very program back.
        hook_program: std::env::current_exe().ok(),
        clock: None,
        secret_key: secret_key(args, section),
        review_timeout: section
            .review_timeout_days
            .map(|days| Duration::from_secs_f64(days.max(0.0) * 86_400.0)),
        public_url: args
            .public_url
            .clone()
            .or_else(|| section.public_url.clone()),
    };
    let runners = config.runners;
    let keys = match &config.secret_key {
        Some(hoist_server::SecretKey::File(file)) => file.display().to_string(),
        Some(hoist_server::SecretKey::Text(_)) => "`HOIST_SECRET_KEY`".to_owned(),
        None => data_dir.join("secret-key").display().to_string(),
    };
    let names: Vec<String> = config.repos.iter().map(|r| r.name.clone()).collect();
    runtime()?.block_on(async move {
        hoist_server::serve(
            config,
            |address| {
                output::stderr(&format!(
                    "hoist serve: listening on http://{address} ({} repositories: {}; {runners} runner(s) in process)\n\
                     hoist serve: admin token in {}\n\
                     hoist serve: secrets sealed with the keys in {keys}\n",
                    names.len(),
                    if names.is_empty() { "none configured; `hoist repo create NAME` hosts one".to_owned() } else { names.join(", ") },
                    data_dir.join("admin-token").display()
                ));
            },
            shutdown_signal(),
        )
        .await
    })?;
    Ok(Outcome::Success)
}

/// Where the server's secret keys come from: `--secret-key-file`, else `HOIST_SECRET_KEY`
/// (the keys' text), else `[server] secret-key-file`, else the data directory's file.
fn secret_key(
    args: &crate::cli::ServeArgs,
    section: &crate::config::ServerSection,
) -> Option<hoist_server::SecretKey> {
    if let Some(file) = &args.secret_key_file {
        return Some(hoist_server::SecretKey::File(file.clone()));
    }
    if let Ok(text) = std::env::var("HOIST_SECRET_KEY")
        && !text.trim().is_empty()
    {
        return Some(hoist_server::SecretKey::Text(text));
    }
    section
        .secret_key_file
        .clone()
        .map(hoist_server::SecretKey::File)
}

/// The trimmed contents of `file` (a secret of repository `repo`), if one is named.
fn read_secret(
    file: Option<&std::path::Path>,
    repo: &str,
    what: &str,
) -> anyhow::Result<Option<String>> {
    let Some(file) = file else {
        return Ok(None);
    };
    let secret = std::fs::read_to_string(file).with_context(|| {
        format!(
            "cannot read the {what} of `{repo}` from `{}`",
            file.display()
        )
    })?;
    let secret = secret.trim().to_owned();
    if secret.is_empty() {
        bail!("`{}`, the {what} of `{repo}`, is empty", file.display());
    }
    Ok(Some(secret))
}

/// Starts the GitOps reconciler of `project` on a thread of its own (its store and
/// renderer stay on that thread) and returns the link the server tells about pushes.
fn start_reconciler(
    project: &std::path::Path,
) -> anyhow::Result<std::sync::Arc<dyn hoist_server::Observer>> {
    let source = crate::cli::AppSourceArgs {
        files: Vec::new(),
        project: Some(project.to_path_buf()),
        config: None,
        json: false,
    };
    // Read here, so bad manifests stop `serve` with their file, line and column.
    let catalog = crate::app_catalog::load(&source)?;
    let link = std::sync::Arc::new(crate::reconciler::ServerLink {
        wake: std::sync::Arc::new(tokio::sync::Notify::new()),
        metrics: std::sync::Arc::new(std::sync::Mutex::new(String::new())),
    });
    let options = crate::reconciler::LoopOptions {
        interval: Duration::from_secs(3),
        wake: Some(link.wake.clone()),
        metrics: Some(link.metrics.clone()),
        ..Default::default()
    };
    let count = catalog.apps.len();
    std::thread::Builder::new()
        .name("gitops".into())
        .spawn(move || {
            let run = || -> anyhow::Result<()> {
                let store = crate::app_live::open_store(&catalog)?;
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                let apps: Vec<&hoist_deploy::Application> = catalog.apps.iter().collect();
                rt.block_on(crate::reconciler::run(&catalog, &apps, store, &options))
            };
            if let Err(e) = run() {
                output::error(&format!("the GitOps reconciler stopped: {e:#}"));
            }
        })
        .context("cannot start the GitOps reconciler")?;
    output::stderr(&format!(
        "hoist serve: reconciling {count} application(s) of `{}`\n",
        project.display()
    ));
    Ok(link)
}

pub(crate) fn runner(args: &RunnerArgs) -> anyhow::Result<Outcome> {
    let name = args.name.clone().unwrap_or_else(|| {
        nix::unistd::gethostname()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_else(|| "runner".to_owned())
    });
    let labels = if args.labels.is_empty() {
        hoist_server::RunnerConfig::default_labels()
    } else {
        args.labels.clone()
    };
    let config = hoist_server::RunnerConfig {
        server: args.server.clone(),
        token: args.token.clone(),
        data_dir: args
            .data_dir
            .clone()
            .unwrap_or_else(|| hoist_data_dir().join("runner").join(&name)),
        name: name.clone(),
        labels: labels.clone(),
        capacity: args.capacity,
        register: true,
    };
    output::stderr(&format!(
        "hoist runner `{name}`: taking jobs from {} (labels {}; {} at once)\n",
        args.server,
        labels.join(", "),
        args.capacity
    ));
    runtime()?.block_on(hoist_server::run_runner(config, shutdown_signal()))?;
    Ok(Outcome::Success)
}

pub(crate) fn dispatch(args: &WorkflowRunArgs) -> anyhow::Result<Outcome> {
    let repo = match &args.repo {
        Some(r) => r.clone(),
        None => std::env::current_dir()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .context("cannot tell the repository: pass `--repo NAME`")?,
    };
    let mut inputs = serde_json::Map::new();
    for field in &args.fields {
        let Some((k, v)) = field.split_once('=') else {
            bail!("`-f {field}`: expected `NAME=VALUE`");
        };
        inputs.insert(k.to_owned(), serde_json::Value::String(v.to_owned()));
    }
    let body = hoist_server::DispatchRequest {
        git_ref: args.git_ref.clone(),
        inputs,
    };
    let client = remote::client(args.server.server.as_deref(), args.server.token.as_deref())?;
    let rt = runtime()?;
    let answer = rt.block_on(client.dispatch(&repo, &args.workflow, &body))?;
    if args.json && !args.watch {
        output::stdout(&format!("{}\n", serde_json::to_string_pretty(&answer)?));
        return Ok(Outcome::Success);
    }
    if !args.json {
        output::stdout(&format!(
            "run {} of {} queued: {}\n",
            answer.workflow_run_id, args.workflow, answer.run_url
        ));
    }
    if !args.watch {
        return Ok(Outcome::Success);
    }
    remote::follow_run(&rt, &client, answer.workflow_run_id, args.json)
}
