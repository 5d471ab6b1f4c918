//! The GitOps reconciler behind `hoist app watch`: keeps applications reconciled with Git.
//!
//! Expected flow, per pass (every `--interval`, and at once for applications whose objects
//! a watch saw change): resolve each application's revision, render it (cached by commit),
//! compare it with the live objects kept by watches, then act — an application with
//! `automated` syncs when its revision has not been synced yet; with `selfHeal`, it syncs
//! again when its objects drifted; one without `automated` is only reported OutOfSync.
//!
//! Guarantees:
//! - Auto-sync runs once per revision: a failed sync of a revision is not repeated unless
//!   `syncPolicy.retry` asks for it (then with its backoff: Argo's defaults 5 s, factor 2,
//!   at most 3 min); a new commit is a new revision and is tried again.
//! - Never two syncs of one application at once (one reconciler, one pass at a time), and
//!   a self-heal that does not converge backs off (5 s doubling to 3 min) rather than spin.
//! - An application that renders to nothing is not auto-synced unless `allowEmpty` (so a
//!   broken path cannot prune everything).
//! - Live state comes from watches (one per kind in use, filtered by the application
//!   label); there is no periodic re-list.
//!
//! Caveats: rendering and syncing happen in this process, one application after another;
//! the cluster's view is per destination, and an unreachable one is reported Unknown and
//! tried again next pass.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hoist_deploy::Application;
use hoist_deploy::health::Health;
use hoist_kube::Cluster;
use hoist_kube::live::{self, SyncStatus};
use hoist_kube::sync::OperationPhase;
use hoist_kube::watch::LiveCache;
use hoist_store::Store;

use crate::app_catalog::Catalog;
use crate::app_live;
use crate::app_operation::{SyncHow, sync_on};
use crate::output;

const BACKOFF_START: Duration = Duration::from_secs(5);
const BACKOFF_MAX: Duration = Duration::from_secs(180);

#[derive(Debug, Default)]
struct AppState {
    /// The revision (every source's commit) last synced successfully or found in sync.
    synced: Option<String>,
    /// A revision whose auto-sync failed and is not retried.
    given_up: Option<String>,
    attempts: u32,
    retry_at: Option<Instant>,
    heal_at: Option<Instant>,
    heal_backoff: Duration,
    shown: String,
}

/// What one pass saw of an application, for metrics.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub(crate) status: SyncStatus,
    pub(crate) health: Health,
    pub(crate) revision: String,
    pub(crate) last_sync_seconds: Option<f64>,
}

pub(crate) struct Reconciler<'a> {
    catalog: &'a Catalog,
    store: Store,
    clusters: HashMap<String, (Arc<Cluster>, Arc<LiveCache>)>,
    state: HashMap<String, AppState>,
    pub(crate) seen: HashMap<String, Seen>,
}

impl<'a> Reconciler<'a> {
    pub(crate) fn new(catalog: &'a Catalog, store: Store) -> Self {
        Reconciler {
            catalog,
            store,
            clusters: HashMap::new(),
            state: HashMap::new(),
            seen: HashMap::new(),
        }
    }

    async fn cluster(
        &mut self,
        app: &Application,
    ) -> anyhow::Result<(Arc<Cluster>, Arc<LiveCache>)> {
        let d = &app.spec.destination;
        let key = format!("{:?}|{:?}", d.server, d.name);
        if let Some(c) = self.clusters.get(&key) {
            return Ok(c.clone());
        }
        let cluster = Arc::new(app_live::connect(self.catalog, app).await?);
        let entry = (cluster, LiveCache::new());
        self.clusters.insert(key, entry.clone());
        Ok(entry)
    }

    /// Applications whose watched objects changed since the last call.
    pub(crate) fn dirty(&self) -> BTreeSet<String> {
        self.clusters
            .values()
            .flat_map(|(_, cache)| cache.take_dirty())
            .collect()
    }

    /// One pass over `apps`.
    pub(crate) async fn pass(&mut self, apps: &[&Application]) {
        for app in apps {
            if let Err(e) = self.reconcile(app).await {
                let line = format!("{}: Unknown: {e:#}", app.metadata.name);
                let state = self.state.entry(app.metadata.name.clone()).or_default();
                if state.shown != line {
                    output::stderr(&format!("{line}\n"));
                    state.shown = line;
                }
                self.seen.insert(
                    app.metadata.name.clone(),
                    Seen {
                        status: SyncStatus::Unknown,
                        health: Health::Unknown,
                        revision: String::new(),
                        last_sync_seconds: None,
                    },
                );
            }
        }
    }

    async fn reconcile(&mut self, app: &Application) -> anyhow::Result<()> {
        let name = app.metadata.name.clone();
        let (cluster, cache) = self.cluster(app).await?;
        let rendered = self
            .catalog
            .renderer
            .render(app, None, None, cluster.facts())
            .map_err(|e| app_live::comparison_error(app, &e))?;
        let desired = live::prepare(&cluster, app, &rendered.resources).await?;
        let mut kinds: BTreeSet<(String, String)> = self.store.app_synced_kinds(&name)?;
        kinds.extend(
            desired
                .iter()
                .map(|d| (d.api_version.clone(), d.key.kind.clone())),
        );
        for (api_version, kind) in &kinds {
            cache.watch(&cluster, api_version, kind).await?;
        }
        let compared = live::compare_cached(app, &desired, &cache);
        let (mut status, mut health) = (live::app_status(&compared), live::app_health(&compared));
        let revision: String = rendered
            .revisions
            .iter()
            .map(|r| r.commit.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let state = self.state.entry(name.clone()).or_default();
        let now = Instant::now();
        let mut action: Option<(&'static str, bool)> = None;
        if let Some(auto) = app.automated() {
            if status == SyncStatus::Synced {
                if state.synced.as_deref() != Some(revision.as_str()) {
                    state.synced = Some(revision.clone());
                    state.attempts = 0;
                }
                state.heal_backoff = BACKOFF_START;
                state.heal_at = None;
            } else if state.synced.as_deref() != Some(revision.as_str()) {
                let retry_due = state.retry_at.is_none_or(|t| now >= t);
                if state.given_up.as_deref() != Some(revision.as_str()) && retry_due {
                    if desired.is_empty() && !auto.allow_empty {
                        let line = format!(
                            "{name}: renders no resources; not auto-synced (set `allowEmpty` to allow it)"
                        );
                        if state.shown != line {
                            output::stderr(&format!("{line}\n"));
                            state.shown = line;
                        }
                    } else {
                        action = Some(("auto-sync", auto.prune));
                    }
                }
            } else if auto.self_heal && state.heal_at.is_none_or(|t| now >= t) {
                action = Some(("self-heal", auto.prune));
            }
        }
        let mut last_sync_seconds = None;
        if let Some((why, prune)) = action {
            output::stderr(&format!(
                "{name}: {why} to {}\n",
                crate::app_live::short(&revision)
            ));
            let started = Instant::now();
            let how = SyncHow {
                revision: None,
                prune,
                dry_run: false,
                force: false,
                selectors: &[],
                timeout: Duration::from_secs(300),
                actor: "automated".into(),
                automated: true,
                rollback_of: None,
            };
            let catalog = self.catalog;
            let result = sync_on(catalog, &mut self.store, &cluster, app, &how).await;
            last_sync_seconds = Some(started.elapsed().as_secs_f64());
            let state = self.state.entry(name.clone()).or_default();
            match result {
                Ok((outcome, _)) if outcome.phase == OperationPhase::Succeeded => {
                    output::stderr(&format!("{name}: {why} succeeded\n"));
                    state.synced = Some(revision.clone());
                    state.attempts = 0;
                    state.retry_at = None;
                    if why == "self-heal" {
                        // Converged or not, the next self-heal waits (doubling while it recurs).
                        state.heal_at =
                            Some(Instant::now() + state.heal_backoff.max(BACKOFF_START));
                        state.heal_backoff =
                            (state.heal_backoff * 2).clamp(BACKOFF_START, BACKOFF_MAX);
                    }
                    status = SyncStatus::Synced;
                }
                Ok((outcome, _)) => {
                    output::stderr(&format!(
                        "{name}: {why} {}: {}\n",
                        outcome.phase.as_str(),
                        outcome.message
                    ));
                    Self::failed(state, app, &revision);
                }
                Err(e) => {
                    output::stderr(&format!("{name}: {why} failed: {e:#}\n"));
                    Self::failed(state, app, &revision);
                }
            }
            let compared = live::compare_cached(app, &desired, &cache);
            health = live::app_health(&compared);
            if status != SyncStatus::Synced {
                status = live::app_status(&compared);
            }
        }
        let state = self.state.entry(name.clone()).or_default();
        let line = format!(
            "{name}: {} {} ({})",
            status.as_str(),
            health.as_str(),
            crate::app_live::short(&revision)
        );
        if state.shown != line {
            output::stderr(&format!("{line}\n"));
            state.shown = line;
            // Every change of sync status or health is an event in the store's audit log.
            let detail = serde_json::json!({
                "application": name, "sync": status.as_str(), "health": health.as_str(), "revision": revision,
            });
            if let Err(e) = self
                .store
                .audit("reconciler", "app.status", None, &detail, None)
            {
                output::stderr(&format!("{name}: cannot record the status change: {e}\n"));
            }
        }
        let previous = self.seen.get(&name).and_then(|s| s.last_sync_seconds);
        self.seen.insert(
            name,
            Seen {
                status,
                health,
                revision,
                last_sync_seconds: last_sync_seconds.or(previous),
            },
        );
        Ok(())
    }

    /// A failed auto-sync: retried with backoff when `retry` allows, else not again for
    /// this revision.
    fn failed(state: &mut AppState, app: &Application, revision: &str) {
        state.attempts += 1;
        let retry = app.spec.sync_policy.as_ref().and_then(|p| p.retry.as_ref());
        match retry_delay(retry, state.attempts) {
            Some(wait) => state.retry_at = Some(Instant::now() + wait),
            None => state.given_up = Some(revision.to_owned()),
        }
    }
}

/// How long to wait before attempt `attempts + 1` of a failed auto-sync, or `None` when
/// `retry` allows no more (or is absent: then a revision is tried once). Argo CD's rule:
/// `duration × factor^(attempts-1)`, at most `maxDuration`; a negative limit never ends.
fn retry_delay(
    retry: Option<&hoist_deploy::application::Retry>,
    attempts: u32,
) -> Option<Duration> {
    let r = retry?;
    if r.limit >= 0 && i64::from(attempts) > r.limit {
        return None;
    }
    let backoff = r.backoff.clone().unwrap_or_default();
    let base = backoff
        .duration
        .as_deref()
        .and_then(parse_duration)
        .unwrap_or(BACKOFF_START);
    let factor = backoff.factor.unwrap_or(2).max(1) as u32;
    let max = backoff
        .max_duration
        .as_deref()
        .and_then(parse_duration)
        .unwrap_or(BACKOFF_MAX);
    Some(
        base.saturating_mul(factor.saturating_pow(attempts.saturating_sub(1)))
            .min(max),
    )
}

/// Go's durations as Argo writes them (`5s`, `3m`, `1m30s`, `2h`).
fn parse_duration(text: &str) -> Option<Duration> {
    let mut total = 0.0;
    let mut number = String::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            i += 1;
            continue;
        }
        let value: f64 = number.parse().ok()?;
        number.clear();
        let unit = if c == 'm' && chars.get(i + 1) == Some(&'s') {
            i += 1;
            0.001
        } else {
            match c {
                's' => 1.0,
                'm' => 60.0,
                'h' => 3600.0,
                _ => return None,
            }
        };
        total += value * unit;
        i += 1;
    }
    if !number.is_empty() {
        return None;
    }
    Some(Duration::from_secs_f64(total))
}

/// Prometheus text: `hoist_app_sync_status` and `hoist_app_health_status` (1 for the
/// current value, as Argo CD's `argocd_app_info` labels it) and the last sync's duration.
pub(crate) fn metrics(seen: &HashMap<String, Seen>) -> String {
    let mut names: Vec<&String> = seen.keys().collect();
    names.sort();
    let mut out = String::from(
        "# HELP hoist_app_sync_status Whether the application matches Git (1 for its current status).\n# TYPE hoist_app_sync_status gauge\n",
    );
    for n in &names {
        let s = &seen[*n];
        for status in [
            SyncStatus::Synced,
            SyncStatus::OutOfSync,
            SyncStatus::Unknown,
        ] {
            out.push_str(&format!(
                "hoist_app_sync_status{{app=\"{n}\",status=\"{}\",revision=\"{}\"}} {}\n",
                status.as_str(),
                s.revision,
                u8::from(s.status == status)
            ));
        }
    }
    out.push_str("# HELP hoist_app_health_status The application's health (1 for its current health).\n# TYPE hoist_app_health_status gauge\n");
    for n in &names {
        let s = &seen[*n];
        for h in [
            Health::Healthy,
            Health::Progressing,
            Health::Suspended,
            Health::Missing,
            Health::Degraded,
            Health::Unknown,
        ] {
            out.push_str(&format!(
                "hoist_app_health_status{{app=\"{n}\",health=\"{}\"}} {}\n",
                h.as_str(),
                u8::from(s.health == h)
            ));
        }
    }
    out.push_str("# HELP hoist_app_sync_duration_seconds How long the last sync took.\n# TYPE hoist_app_sync_duration_seconds gauge\n");
    for n in &names {
        if let Some(d) = seen[*n].last_sync_seconds {
            out.push_str(&format!(
                "hoist_app_sync_duration_seconds{{app=\"{n}\"}} {d:.3}\n"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{parse_duration, retry_delay};
    use hoist_deploy::application::{Backoff, Retry};
    use std::time::Duration;

    #[test]
    fn retries_back_off_as_argo_cd_does() {
        let secs = Duration::from_secs;
        assert_eq!(retry_delay(None, 1), None, "no retry: once per revision");
        let defaults = Retry {
            limit: 3,
            backoff: None,
        };
        let delays: Vec<Option<Duration>> =
            (1..=4).map(|a| retry_delay(Some(&defaults), a)).collect();
        assert_eq!(
            delays,
            [Some(secs(5)), Some(secs(10)), Some(secs(20)), None]
        );
        let custom = Retry {
            limit: -1,
            backoff: Some(Backoff {
                duration: Some("1m".into()),
                factor: Some(3),
                max_duration: Some("5m".into()),
            }),
        };
        assert_eq!(retry_delay(Some(&custom), 1), Some(secs(60)));
        assert_eq!(retry_delay(Some(&custom), 2), Some(secs(180)));
        assert_eq!(
            retry_delay(Some(&custom), 50),
            Some(secs(300)),
            "capped, and a negative limit never ends"
        );
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_duration("5s"), Some(Duration::from_secs(5)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("3m0s"), Some(Duration::from_secs(180)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("5x"), None);
    }
}

/// How [`run`] runs.
#[derive(Debug, Default)]
pub(crate) struct LoopOptions {
    pub(crate) interval: Duration,
    /// One pass, then return.
    pub(crate) once: bool,
    /// Prometheus text written here (atomically) after every pass.
    pub(crate) metrics_file: Option<PathBuf>,
    /// Prometheus text kept here after every pass (for the server's `/metrics`).
    pub(crate) metrics: Option<Arc<Mutex<String>>>,
    /// Notified when something outside saw a push: the next pass starts at once.
    pub(crate) wake: Option<Arc<tokio::sync::Notify>>,
}

/// The reconciler's loop: a pass over `apps` at every interval, or at once when the
/// project's refs move or `wake` is notified, and passes over just the applications whose
/// watched objects changed in between. Returns after one pass with `once`, else on Ctrl-C.
pub(crate) async fn run(
    catalog: &Catalog,
    apps: &[&Application],
    store: Store,
    options: &LoopOptions,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let mut reconciler = Reconciler::new(catalog, store);
    if !options.once {
        output::stderr(&format!(
            "watching {} application(s); Ctrl-C stops\n",
            apps.len()
        ));
    }
    let interval = options.interval.max(Duration::from_millis(250));
    loop {
        catalog.renderer.repos().refresh();
        reconciler.pass(apps).await;
        let text = metrics(&reconciler.seen);
        if let Some(file) = &options.metrics_file {
            let staged = file.with_extension("tmp");
            std::fs::write(&staged, &text)
                .and_then(|()| std::fs::rename(&staged, file))
                .with_context(|| format!("cannot write `{}`", file.display()))?;
        }
        if let Some(shared) = &options.metrics
            && let Ok(mut m) = shared.lock()
        {
            *m = text;
        }
        if options.once {
            return Ok(());
        }
        let refs = catalog.renderer.repos().project_refs_fingerprint();
        let next = Instant::now() + interval;
        while Instant::now() < next {
            let woken = async {
                match &options.wake {
                    Some(w) => w.notified().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => return Ok(()),
                _ = woken => break,
                _ = tokio::time::sleep(Duration::from_millis(250)) => {}
            }
            if catalog.renderer.repos().project_refs_fingerprint() != refs {
                break;
            }
            let dirty = reconciler.dirty();
            if !dirty.is_empty() {
                let changed: Vec<&Application> = apps
                    .iter()
                    .copied()
                    .filter(|a| dirty.contains(&a.metadata.name))
                    .collect();
                reconciler.pass(&changed).await;
            }
        }
    }
}

/// What `hoist serve --apps` gives the server: pushes wake the reconciler, its metrics
/// join the server's.
pub(crate) struct ServerLink {
    pub(crate) wake: Arc<tokio::sync::Notify>,
    pub(crate) metrics: Arc<Mutex<String>>,
}

impl hoist_server::Observer for ServerLink {
    fn pushed(&self, _repo: &str, _branch: &str, _sha: &str) {
        self.wake.notify_one();
    }

    fn metrics(&self) -> String {
        self.metrics.lock().map(|m| m.clone()).unwrap_or_default()
    }
}
