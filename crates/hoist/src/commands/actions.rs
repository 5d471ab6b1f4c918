//! `hoist actions pull | add | list`: the action cache, filled ahead of time so that runs
//! need no network.

use anyhow::{Context, bail};
use hoist_engine::action_cache::RemoteAction;
use serde_json::json;

use crate::action_fetch::{ActionState, actions_of, fetch_missing};
use crate::cli::ActionsCommand;
use crate::commands::Outcome;
use crate::config::Config;
use crate::output;

pub(crate) fn run(command: &ActionsCommand) -> anyhow::Result<Outcome> {
    match command {
        ActionsCommand::Pull {
            workflows,
            config,
            json,
        } => pull(workflows, config.as_deref(), *json),
        ActionsCommand::Add {
            action,
            source,
            force,
            config,
        } => add(action, source, *force, config.as_deref()),
        ActionsCommand::List { config, json } => list(config.as_deref(), *json),
    }
}

fn cwd() -> anyhow::Result<std::path::PathBuf> {
    std::env::current_dir().context("cannot determine the current directory")
}

fn pull(names: &[String], config: Option<&std::path::Path>, json: bool) -> anyhow::Result<Outcome> {
    let project = crate::project::find_project(&cwd()?)?;
    let (config, _) = Config::load(config, Some(&project))?;
    let cache = config.action_cache();
    let workflows = crate::project::load_workflows(&project, names)?;
    let actions = actions_of(&project, workflows.iter().map(|(_, p)| &p.workflow));
    let results = fetch_missing(&cache, &actions);
    let failed = results
        .iter()
        .filter(|(_, f)| matches!(f, ActionState::Failed { .. }))
        .count();
    if json {
        let rows: Vec<_> = results
            .iter()
            .map(|(action, fetched)| {
                let (status, detail) = match fetched {
                    ActionState::Cached => ("cached", None),
                    ActionState::Fetched { from } => ("fetched", Some(from.clone())),
                    ActionState::Failed { reason } => ("failed", Some(reason.clone())),
                };
                json!({"action": action.to_string(), "status": status, "detail": detail,
                       "path": cache.path_of(action)})
            })
            .collect();
        output::stdout(&format!("{}\n", serde_json::to_string_pretty(&rows)?));
    } else {
        let mut text = String::new();
        for (action, fetched) in &results {
            text.push_str(&match fetched {
                ActionState::Cached => format!("cached   {action}\n"),
                ActionState::Fetched { from } => format!("fetched  {action} from {from}\n"),
                ActionState::Failed { reason } => format!("failed   {action}: {reason}\n"),
            });
        }
        output::stdout(&text);
        output::stderr(&format!(
            "{} action(s) in `{}`: {} missing\n",
            results.len(),
            cache.dir.display(),
            failed
        ));
        if failed > 0 {
            output::stderr(
                "hint: import a copy of each from a local clone or a mirror with \
                 `hoist actions add OWNER/REPO@REF PATH|GIT-URL`\n",
            );
        }
    }
    Ok(if failed == 0 {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

fn add(
    action: &str,
    source: &str,
    force: bool,
    config: Option<&std::path::Path>,
) -> anyhow::Result<Outcome> {
    let Some(parsed) = RemoteAction::parse(action) else {
        bail!("`{action}` is not an action name; write it as workflows do: `owner/repo@ref`");
    };
    let project = crate::project::find_project(&cwd()?).ok();
    let (config, _) = Config::load(config, project.as_deref())?;
    let cache = config.action_cache();
    let dest = cache.path_of(&parsed);
    if dest.exists() {
        if !force {
            bail!(
                "`{parsed}` is already cached at `{}`; `--force` replaces it",
                dest.display()
            );
        }
        std::fs::remove_dir_all(&dest)
            .with_context(|| format!("cannot remove `{}`", dest.display()))?;
    }
    // A relative path is taken from here, as a person means it; git would take it from
    // the temporary directory it fetches in.
    let local = std::path::Path::new(source);
    let source = if local.exists() {
        std::fs::canonicalize(local)
            .with_context(|| format!("cannot read `{source}`"))?
            .to_string_lossy()
            .into_owned()
    } else {
        source.to_owned()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime
        .block_on(cache.fetch_from(&parsed, &source))
        .map_err(|e| anyhow::anyhow!("cannot add `{parsed}`: {e}"))?;
    let has_metadata = ["action.yml", "action.yaml"]
        .iter()
        .any(|f| dest.join(f).is_file());
    output::stdout(&format!("added {parsed} at {}\n", dest.display()));
    if !has_metadata {
        output::stderr(
            "note: it has no action.yml at its root; that is fine when workflows use actions in \
             its subdirectories (`owner/repo/path@ref`)\n",
        );
    }
    Ok(Outcome::Success)
}

fn list(config: Option<&std::path::Path>, json: bool) -> anyhow::Result<Outcome> {
    let project = crate::project::find_project(&cwd()?).ok();
    let (config, _) = Config::load(config, project.as_deref())?;
    let cache = config.action_cache();
    let cached = cache.list();
    if json {
        let rows: Vec<_> = cached
            .iter()
            .map(|(a, path)| json!({"action": a.to_string(), "path": path}))
            .collect();
        output::stdout(&format!("{}\n", serde_json::to_string_pretty(&rows)?));
    } else {
        let text: String = cached
            .iter()
            .map(|(a, path)| format!("{a}  {}\n", path.display()))
            .collect();
        output::stdout(&text);
        output::stderr(&format!(
            "{} action(s) in `{}`\n",
            cached.len(),
            cache.dir.display()
        ));
    }
    Ok(Outcome::Success)
}
