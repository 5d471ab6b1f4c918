//! `hoist app sync | rollback | wait`: changing a cluster to match Git, and waiting for it.
//!
//! Every sync is recorded in the store before it starts (phase `Running`) and finished with
//! its outcome, so a sync cut short by a crash is visible in `hoist app history` as one
//! that never finished rather than lost.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use hoist_deploy::health::Health;
use hoist_kube::live::SyncStatus;
use hoist_kube::sync::OperationPhase;

use crate::app_catalog::{self, Catalog};
use crate::app_live::{self, actor, runtime};
use crate::app_operation::{SyncHow, sync_one};
use crate::cli::{AppRollbackArgs, AppSyncArgs, AppWaitArgs, AppWatchArgs};
use crate::commands::Outcome;
use crate::output;

pub(crate) fn sync(args: &AppSyncArgs) -> anyhow::Result<Outcome> {
    let catalog = app_catalog::load(&args.source)?;
    let apps = catalog.find_all(&args.apps)?;
    if args.run_async {
        return start_in_background(&catalog, args);
    }
    let rt = runtime()?;
    let mut store = app_live::open_store(&catalog)?;
    let mut worst = Outcome::Success;
    let mut json = Vec::new();
    for app in apps {
        let how = SyncHow {
            revision: args.revision.as_deref(),
            prune: args.prune,
            dry_run: args.dry_run,
            force: args.force,
            selectors: &args.resources,
            timeout: Duration::from_secs(args.timeout),
            actor: actor(args.actor.as_deref()),
            automated: false,
            rollback_of: args.rollback_of,
        };
        let (outcome, report) = rt.block_on(sync_one(&catalog, &mut store, app, &how))?;
        if outcome.phase != OperationPhase::Succeeded {
            worst = if outcome.phase == OperationPhase::Error {
                return Err(anyhow::anyhow!("{}", outcome.message));
            } else {
                Outcome::Failure
            };
        }
        if args.source.json {
            json.push(serde_json::json!({"application": app.metadata.name, "revision": report.revision, "history_id": report.history_id, "operation": outcome}));
        } else {
            output::stdout(&report.text);
        }
    }
    if args.source.json {
        output::stdout(&format!("{}\n", serde_json::to_string_pretty(&json)?));
    }
    Ok(worst)
}

/// `--async`: the same command without it, detached, its output in a log file.
fn start_in_background(catalog: &Catalog, args: &AppSyncArgs) -> anyhow::Result<Outcome> {
    use std::os::unix::process::CommandExt;
    let logs = catalog.config.data_dir().join("apps").join("logs");
    std::fs::create_dir_all(&logs)
        .with_context(|| format!("cannot create `{}`", logs.display()))?;
    let log = logs.join(format!(
        "sync-{}-{}.log",
        args.apps.join("+"),
        jiff::Timestamp::now().as_second()
    ));
    let file = std::fs::File::create(&log)?;
    let exe = std::env::current_exe().context("cannot find the hoist binary")?;
    let argv: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--async")
        .collect();
    std::process::Command::new(exe)
        .args(&argv)
        .current_dir(&catalog.project)
        .stdin(std::process::Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .process_group(0)
        .spawn()
        .context("cannot start the background sync")?;
    output::stdout(&format!(
        "sync of {} started in the background (log: {}); `hoist app wait {}` follows it\n",
        args.apps.join(", "),
        log.display(),
        args.apps.join(" ")
    ));
    Ok(Outcome::Success)
}

pub(crate) fn rollback(args: &AppRollbackArgs) -> anyhow::Result<Outcome> {
    let catalog = app_catalog::load(&args.source)?;
    let app = catalog.find(&args.app)?;
    if app.automated().is_some() {
        bail!(
            "rollback cannot be initiated when auto-sync is enabled (application `{}`)\n  hint: turn off `syncPolicy.automated`, or roll back through Git: revert the commit and auto-sync applies it",
            app.metadata.name
        );
    }
    let mut store = app_live::open_store(&catalog)?;
    let history = store.app_history(&app.metadata.name, 1000)?;
    let target = match args.id {
        Some(id) => {
            let row = store.app_sync(&app.metadata.name, id)?.with_context(|| {
                format!(
                    "application `{}` has no history ID {id}; `hoist app history {}` lists them",
                    app.metadata.name, app.metadata.name
                )
            })?;
            if row.phase != "Succeeded" {
                bail!(
                    "history ID {id} of `{}` did not succeed ({}); roll back to a successful one",
                    app.metadata.name,
                    row.phase
                );
            }
            row
        }
        None => {
            let mut ok = history.iter().filter(|h| h.phase == "Succeeded");
            ok.next();
            ok.next().cloned().with_context(|| {
                format!(
                    "application `{}` has no earlier successful sync to roll back to",
                    app.metadata.name
                )
            })?
        }
    };
    let rt = runtime()?;
    let how = SyncHow {
        revision: Some(&target.revision),
        prune: args.prune,
        dry_run: false,
        force: false,
        selectors: &[],
        timeout: Duration::from_secs(args.timeout),
        actor: actor(std::env::var("HOIST_ACTOR").ok().as_deref()),
        automated: false,
        rollback_of: Some(target.number),
    };
    output::stderr(&format!(
        "{}: rolling back to history ID {} ({})\n",
        app.metadata.name,
        target.number,
        crate::app_live::short(&target.revision)
    ));
    let (outcome, report) = rt.block_on(sync_one(&catalog, &mut store, app, &how))?;
    if args.source.json {
        output::stdout(&format!(
            "{}\n",
            serde_json::to_string_pretty(
                &serde_json::json!({"application": app.metadata.name, "rollback_of": target.number, "revision": report.revision, "history_id": report.history_id, "operation": outcome})
            )?
        ));
    } else {
        output::stdout(&report.text);
    }
    Ok(match outcome.phase {
        OperationPhase::Succeeded => Outcome::Success,
        OperationPhase::Failed => Outcome::Failure,
        OperationPhase::Error => bail!("{}", outcome.message),
    })
}

pub(crate) fn wait(args: &AppWaitArgs) -> anyhow::Result<Outcome> {
    let catalog = app_catalog::load(&args.source)?;
    let apps = catalog.find_all(&args.apps)?;
    let (want_health, want_sync) = if !args.health && !args.sync && !args.degraded {
        (true, true)
    } else {
        (args.health, args.sync)
    };
    let rt = runtime()?;
    let store = app_live::open_store(&catalog)?;
    let deadline = (args.timeout > 0).then(|| Instant::now() + Duration::from_secs(args.timeout));
    rt.block_on(async {
        for app in apps {
            let cluster = app_live::connect(&catalog, app).await?;
            let mut last = String::new();
            loop {
                // Pick up new commits of the source while waiting.
                catalog.renderer.repos().refresh();
                let observed =
                    app_live::observe(&catalog, &store, &cluster, app, None, None).await?;
                let (status, health) = (observed.status(), observed.health());
                let now = format!("{} {}", status.as_str(), health.as_str());
                if now != last {
                    output::stderr(&format!(
                        "{}: {} {}\n",
                        app.metadata.name,
                        status.as_str(),
                        health.as_str()
                    ));
                    last = now;
                }
                let met = (!want_health || health == Health::Healthy)
                    && (!want_sync || status == SyncStatus::Synced)
                    && (!args.degraded || health == Health::Degraded);
                if met {
                    break;
                }
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    output::stderr(&format!(
                        "{}: timed out after {} s ({})\n",
                        app.metadata.name, args.timeout, last
                    ));
                    return Ok(Outcome::Failure);
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
        Ok(Outcome::Success)
    })
}

pub(crate) fn watch(args: &AppWatchArgs) -> anyhow::Result<Outcome> {
    let catalog = app_catalog::load(&args.source)?;
    let apps = catalog.find_all(&args.apps)?;
    let rt = runtime()?;
    let store = app_live::open_store(&catalog)?;
    let options = crate::reconciler::LoopOptions {
        interval: Duration::from_secs(args.interval.max(1)),
        once: args.once,
        metrics_file: args.metrics_file.clone(),
        ..Default::default()
    };
    rt.block_on(crate::reconciler::run(&catalog, &apps, store, &options))?;
    Ok(Outcome::Success)
}
