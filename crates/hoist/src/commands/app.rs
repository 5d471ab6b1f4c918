//! `hoist app`: GitOps delivery with Argo CD's verbs. This module dispatches and holds the
//! commands that need no cluster; the ones that talk to Kubernetes live in `app_sync` and
//! `app_inspect`.

use anyhow::bail;
use hoist_deploy::Application;
use hoist_deploy::source::ClusterFacts;

use crate::app_catalog;
use crate::app_live::{cluster_label, short};
use crate::cli::{AppCommand, AppListArgs, AppManifestsArgs, ListFormat};
use crate::commands::Outcome;
use crate::output;

pub(crate) fn run(command: &AppCommand) -> anyhow::Result<Outcome> {
    match command {
        AppCommand::List(args) => list(args),
        AppCommand::Manifests(args) => manifests(args),
        AppCommand::Get(args) => super::app_inspect::get(args),
        AppCommand::Diff(args) => super::app_inspect::diff(args),
        AppCommand::Sync(args) => super::app_sync::sync(args),
        AppCommand::Wait(args) => super::app_sync::wait(args),
        AppCommand::History(args) => super::app_inspect::history(args),
        AppCommand::Rollback(args) => super::app_sync::rollback(args),
        AppCommand::Resources(args) => super::app_inspect::resources(args),
        AppCommand::Delete(args) => super::app_inspect::delete(args),
        AppCommand::Watch(args) => super::app_sync::watch(args),
    }
}

/// Argo CD's SYNCPOLICY column: `Auto-Prune`, `Auto`, or `<none>` for manual sync.
pub(crate) fn sync_policy(app: &Application) -> &'static str {
    match app.automated() {
        Some(a) if a.prune => "Auto-Prune",
        Some(_) => "Auto",
        None => "<none>",
    }
}

fn list(args: &AppListArgs) -> anyhow::Result<Outcome> {
    let catalog = app_catalog::load(&args.source)?;
    let mut selectors = Vec::new();
    for s in &args.selector {
        let Some((k, v)) = s.split_once('=') else {
            bail!("selector `{s}` is not `key=value`");
        };
        selectors.push((k.to_owned(), v.to_owned()));
    }
    let apps: Vec<&Application> = catalog
        .apps
        .iter()
        .filter(|a| {
            selectors
                .iter()
                .all(|(k, v)| a.metadata.labels.get(k) == Some(v))
        })
        .collect();
    let format = if args.source.json {
        ListFormat::Json
    } else {
        args.output
    };
    match format {
        ListFormat::Name => {
            let names: String = apps
                .iter()
                .map(|a| format!("{}\n", a.metadata.name))
                .collect();
            output::stdout(&names);
        }
        ListFormat::Json => output::stdout(&format!("{}\n", serde_json::to_string_pretty(&apps)?)),
        ListFormat::Yaml => {
            let docs: Vec<String> = apps
                .iter()
                .map(|a| serde_json::to_value(a).map(|v| hoist_deploy::to_yaml(&v)))
                .collect::<Result<_, _>>()?;
            output::stdout(&docs.join("---\n"));
        }
        ListFormat::Wide => {
            let rows: Vec<Vec<String>> = apps
                .iter()
                .map(|a| {
                    let s = a.sources().first().copied().cloned().unwrap_or_default();
                    vec![
                        a.metadata.name.clone(),
                        cluster_label(a),
                        a.destination_namespace().unwrap_or("").to_owned(),
                        a.spec.project.clone().unwrap_or_else(|| "default".into()),
                        sync_policy(a).to_owned(),
                        s.repo_url.clone(),
                        s.path.clone().unwrap_or_else(|| ".".into()),
                        s.target_revision.clone().unwrap_or_else(|| "HEAD".into()),
                    ]
                })
                .collect();
            output::stdout(&crate::table::render(
                &[
                    "NAME",
                    "CLUSTER",
                    "NAMESPACE",
                    "PROJECT",
                    "SYNCPOLICY",
                    "REPO",
                    "PATH",
                    "TARGET",
                ],
                &rows,
            ));
        }
    }
    Ok(Outcome::Success)
}

fn manifests(args: &AppManifestsArgs) -> anyhow::Result<Outcome> {
    let catalog = app_catalog::load(&args.source)?;
    let apps = catalog.select(args.app.as_deref())?;
    if args.local.is_some() && apps.len() != 1 {
        bail!("`--local` renders one application's directory; name the application");
    }
    let mut json = Vec::new();
    let mut text = String::new();
    for app in apps {
        let rendered = catalog.renderer.render(
            app,
            args.revision.as_deref(),
            args.local.as_deref(),
            &ClusterFacts::default(),
        )?;
        let namespace = app.destination_namespace();
        for r in &rendered.resources {
            let mut object = r.object.clone();
            // As it will be applied: namespaced objects without one go to the destination's.
            if r.key.namespace.is_empty()
                && !hoist_deploy::manifest::known_cluster_scoped(&r.key.group, &r.key.kind)
                && let (Some(ns), Some(meta)) = (
                    namespace,
                    object.get_mut("metadata").and_then(|m| m.as_object_mut()),
                )
            {
                meta.insert("namespace".into(), serde_json::Value::String(ns.to_owned()));
            }
            if args.source.json {
                json.push(serde_json::json!({"application": app.metadata.name, "revision": rendered.revision(), "object": object}));
            } else {
                text.push_str(&format!(
                    "---\n# application: {} @ {}\n",
                    app.metadata.name,
                    short(rendered.revision())
                ));
                text.push_str(&hoist_deploy::to_yaml(&object));
            }
        }
    }
    if args.source.json {
        output::stdout(&format!("{}\n", serde_json::to_string_pretty(&json)?));
    } else {
        output::stdout(&text);
    }
    Ok(Outcome::Success)
}
