//! The sync operation: an application's prepared objects applied in gitops-engine's order,
//! each step waiting until what it applied is healthy.
//!
//! Expected flow: for each step (phase, then wave) — hooks of the step are (re)created,
//! the step's objects are validated with a server-side dry run and then applied with
//! server-side apply, and the step waits until every object of it is healthy (objects
//! without a health rule count at once; a hook Job counts when it completed). After the
//! Sync phase, tracked objects no longer rendered are pruned (when pruning is on and the
//! object does not say `Prune=false`; with `PruneLast`, after PostSync).
//!
//! Guarantees:
//! - A step starts only after the previous one is healthy; an object the API server
//!   rejects stops the sync before that step applies anything, and every earlier step's
//!   objects stay applied and are reported as such.
//! - Nothing is pruned unless pruning was asked for, and never an object that is not
//!   tracked by this very application (the tracking id must name the object itself).
//! - The result says exactly what happened to every object: synced, failed (with the API
//!   server's or the health check's message), pruned, left for pruning, or not reached.
//!
//! Errors: a failed step makes the operation `Failed` and runs the SyncFail hooks; a
//! cluster that stops answering makes it `Error`. Both carry the message.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use hoist_deploy::application::Application;
use hoist_deploy::health::{self, Health};
use hoist_deploy::manifest::{Resource, ResourceKey};
use hoist_deploy::order::{self, DeletePolicy, Phase, Role};
use serde::Serialize;
use serde_json::Value;

use crate::live::{self, Compared, SyncStatus};
use crate::{Cluster, KubeError};

/// What to sync and how.
#[derive(Debug)]
pub struct SyncRequest<'a> {
    pub app: &'a Application,
    /// Prepared with [`live::prepare`].
    pub desired: Vec<Resource>,
    pub prune: bool,
    pub dry_run: bool,
    /// Replace an object the API server refuses to update in place (delete, then create).
    pub force: bool,
    /// `GROUP:KIND:NAME` selectors (`--resource`): only these are synced.
    pub selectors: Vec<String>,
    pub timeout: Duration,
    /// Kinds the application synced before, for finding what to prune.
    pub previous_kinds: BTreeSet<(String, String)>,
}

/// How the operation ended, in Argo CD's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum OperationPhase {
    Succeeded,
    Failed,
    Error,
}

impl OperationPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            OperationPhase::Succeeded => "Succeeded",
            OperationPhase::Failed => "Failed",
            OperationPhase::Error => "Error",
        }
    }
}

/// What happened to one object.
#[derive(Clone, Debug, Serialize)]
pub struct ResourceResult {
    pub key: ResourceKey,
    pub api_version: String,
    pub phase: Phase,
    pub wave: i64,
    /// `Synced`, `SyncFailed`, `Pruned`, `PruneSkipped`, `OutOfSync` (left for pruning), or
    /// `Pending` (a later step the sync did not reach).
    pub status: String,
    pub health: Option<Health>,
    pub hook: Option<Phase>,
    pub message: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct SyncOutcome {
    pub phase: OperationPhase,
    pub message: String,
    pub results: Vec<ResourceResult>,
}

/// Runs the sync; `progress` hears one line per step.
pub async fn sync(
    cluster: &Cluster,
    req: &SyncRequest<'_>,
    progress: &(dyn Fn(&str) + Sync),
) -> SyncOutcome {
    let mut run = Run {
        cluster,
        req,
        results: Vec::new(),
        progress,
    };
    match run.steps().await {
        Ok(()) => SyncOutcome {
            phase: OperationPhase::Succeeded,
            message: if req.dry_run {
                "dry run: nothing was changed".into()
            } else {
                "successfully synced (all tasks run)".into()
            },
            results: run.results,
        },
        Err(Stop::Failed(message)) => {
            run.sync_fail_hooks().await;
            SyncOutcome {
                phase: OperationPhase::Failed,
                message,
                results: run.results,
            }
        }
        Err(Stop::Error(e)) => SyncOutcome {
            phase: OperationPhase::Error,
            message: e.to_string(),
            results: run.results,
        },
    }
}

enum Stop {
    Failed(String),
    Error(KubeError),
}

impl From<KubeError> for Stop {
    fn from(e: KubeError) -> Stop {
        match e {
            KubeError::Rejected { .. }
            | KubeError::UnknownKind { .. }
            | KubeError::NoNamespace { .. } => Stop::Failed(e.to_string()),
            other => Stop::Error(other),
        }
    }
}

struct Run<'a, 'b> {
    cluster: &'a Cluster,
    req: &'a SyncRequest<'b>,
    results: Vec<ResourceResult>,
    progress: &'a (dyn Fn(&str) + Sync),
}

impl Run<'_, '_> {
    fn selected(&self, key: &ResourceKey) -> bool {
        self.req.selectors.is_empty() || self.req.selectors.iter().any(|s| key.matches_selector(s))
    }

    fn record(
        &mut self,
        r: &Resource,
        (phase, wave, hook): (Phase, i64, bool),
        status: &str,
        health: Option<Health>,
        message: String,
    ) {
        self.results.push(ResourceResult {
            key: r.key.clone(),
            api_version: r.api_version.clone(),
            phase,
            wave,
            status: status.to_owned(),
            health,
            hook: hook.then_some(phase),
            message,
        });
    }

    async fn steps(&mut self) -> Result<(), Stop> {
        let app = self.req.app;
        if app.sync_option_on("CreateNamespace")
            && let Some(ns) = app.destination_namespace()
            && !self.req.dry_run
            && self.cluster.ensure_namespace(ns).await?
        {
            (self.progress)(&format!("created namespace {ns}"));
        }
        let desired: Vec<Resource> = self
            .req
            .desired
            .iter()
            .filter(|r| self.selected(&r.key))
            .cloned()
            .collect();
        let compared = live::compare(self.cluster, app, &desired, &self.req.previous_kinds).await?;
        let out_of_sync_only = app.sync_option_on("ApplyOutOfSyncOnly");
        let tasks = order::plan(&desired);
        let steps: Vec<Vec<order::Task>> = order::steps(&tasks)
            .into_iter()
            .map(<[order::Task]>::to_vec)
            .collect();
        let prune_last = app.sync_option_on("PruneLast");
        let mut pruned = false;
        let mut failure: Option<String> = None;
        for step in &steps {
            let (phase, wave) = (step[0].phase, step[0].wave);
            if phase == Phase::SyncFail {
                continue;
            }
            if failure.is_some() {
                for t in step {
                    let r = &desired[t.resource];
                    self.record(
                        r,
                        (t.phase, t.wave, t.hook),
                        "Pending",
                        None,
                        "not reached: an earlier step failed".into(),
                    );
                }
                continue;
            }
            if phase == Phase::PostSync && !pruned && !prune_last {
                self.prune(&compared).await?;
                pruned = true;
            }
            (self.progress)(&format!(
                "{} wave {wave}: {} object(s)",
                phase.as_str(),
                step.len()
            ));
            if let Err(message) = self
                .step(&desired, step, &compared, out_of_sync_only)
                .await?
            {
                failure = Some(message);
            }
        }
        if let Some(message) = failure {
            return Err(Stop::Failed(message));
        }
        if !pruned || prune_last {
            self.prune(&compared).await?;
        }
        Ok(())
    }

    /// One step; `Ok(Err(message))` when it failed (the results say which object).
    async fn step(
        &mut self,
        desired: &[Resource],
        step: &[order::Task],
        compared: &[Compared],
        out_of_sync_only: bool,
    ) -> Result<Result<(), String>, Stop> {
        let dry_run = self.req.dry_run;
        // Validate the whole step before changing anything in it.
        for t in step.iter().filter(|t| !t.hook) {
            let r = &desired[t.resource];
            if let Err(e) = self.cluster.apply(&r.object, true).await {
                if self.req.force && !self.req.dry_run && matches!(e, KubeError::Rejected { .. }) {
                    // Replaced below instead of updated.
                    continue;
                }
                let message = e.to_string();
                self.record(
                    r,
                    (t.phase, t.wave, false),
                    "SyncFailed",
                    None,
                    message.clone(),
                );
                for other in step.iter().filter(|o| o.resource != t.resource) {
                    let o = &desired[other.resource];
                    self.record(
                        o,
                        (other.phase, other.wave, other.hook),
                        "Pending",
                        None,
                        "not applied: its step failed validation".into(),
                    );
                }
                return Ok(Err(format!(
                    "one or more objects failed to apply: {message}"
                )));
            }
        }
        let mut applied: Vec<(usize, &order::Task, Value)> = Vec::new();
        for (i, t) in step.iter().enumerate() {
            let r = &desired[t.resource];
            if t.hook {
                if dry_run {
                    self.record(
                        r,
                        (t.phase, t.wave, true),
                        "Synced",
                        None,
                        "dry run: hook not created".into(),
                    );
                    continue;
                }
                match self.create_hook(r).await {
                    Ok(created) => applied.push((i, t, created)),
                    Err(e) => {
                        let message = e.to_string();
                        self.record(
                            r,
                            (t.phase, t.wave, true),
                            "SyncFailed",
                            None,
                            message.clone(),
                        );
                        return Ok(Err(message));
                    }
                }
                continue;
            }
            let unchanged = compared
                .iter()
                .any(|c| c.key == r.key && c.status == SyncStatus::Synced);
            if out_of_sync_only && unchanged {
                let live = compared
                    .iter()
                    .find(|c| c.key == r.key)
                    .and_then(|c| c.live.clone())
                    .unwrap_or_default();
                applied.push((i, t, live));
                continue;
            }
            let replace = self.req.app.sync_option_on("Replace")
                || hoist_deploy::manifest::annotation(&r.object, order::SYNC_OPTIONS_ANNOTATION)
                    .is_some_and(|o| o.split(',').any(|p| p.trim() == "Replace=true"));
            let applied_now = if replace && !dry_run {
                self.cluster.replace(&r.object).await
            } else {
                self.cluster.apply(&r.object, dry_run).await
            };
            let result = match applied_now {
                Err(KubeError::Rejected { .. }) if self.req.force && !dry_run => {
                    self.replace(r).await
                }
                other => other,
            };
            match result {
                Ok(v) => applied.push((i, t, v)),
                Err(e) => {
                    let message = e.to_string();
                    self.record(
                        r,
                        (t.phase, t.wave, false),
                        "SyncFailed",
                        None,
                        message.clone(),
                    );
                    return Ok(Err(format!(
                        "one or more objects failed to apply: {message}"
                    )));
                }
            }
        }
        if dry_run {
            for (_, t, _) in &applied {
                let r = &desired[t.resource];
                self.record(
                    r,
                    (t.phase, t.wave, t.hook),
                    "Synced",
                    None,
                    "dry run".into(),
                );
            }
            return Ok(Ok(()));
        }
        // Wait until every object of the step is healthy (or has no health to wait for).
        let deadline = Instant::now() + self.req.timeout;
        let mut pending: Vec<(usize, &order::Task, Value)> = applied;
        let mut done: Vec<(usize, Option<health::Status>, Value)> = Vec::new();
        loop {
            let mut still = Vec::new();
            for (i, t, object) in pending {
                let r = &desired[t.resource];
                let key = Resource::from_object(object.clone())
                    .map(|o| o.key)
                    .unwrap_or_else(|_| r.key.clone());
                let live = self.cluster.get(&r.api_version, &key).await?;
                let Some(live) = live else {
                    if t.hook {
                        // A hook deleted by its own policy (or by a TTL) finished.
                        done.push((
                            i,
                            Some(health::Status {
                                health: Health::Healthy,
                                message: "hook finished".into(),
                            }),
                            object,
                        ));
                    } else {
                        still.push((i, t, object));
                    }
                    continue;
                };
                match health::assess(&live) {
                    None => done.push((i, None, live)),
                    Some(s)
                        if matches!(s.health, Health::Healthy | Health::Suspended)
                            && !(t.hook && is_running_pod(&live)) =>
                    {
                        done.push((i, Some(s), live))
                    }
                    Some(s) if s.health == Health::Degraded => {
                        let reason = self.explain(&live, &s.message).await;
                        self.record(
                            r,
                            (t.phase, t.wave, t.hook),
                            if t.hook { "SyncFailed" } else { "Synced" },
                            Some(Health::Degraded),
                            reason.clone(),
                        );
                        if t.hook {
                            self.delete_hook_by_policy(r, &live, DeletePolicy::HookFailed)
                                .await;
                        }
                        self.finish_done(desired, step, &done);
                        return Ok(Err(format!(
                            "{} {} is Degraded: {reason}",
                            r.key.kind, key.name
                        )));
                    }
                    Some(_) => still.push((i, t, live)),
                }
            }
            pending = still;
            if pending.is_empty() {
                break;
            }
            if Instant::now() >= deadline {
                let mut reasons = Vec::new();
                for (_, t, live) in &pending {
                    let r = &desired[t.resource];
                    let status = health::assess(live);
                    let message = status
                        .as_ref()
                        .map(|s| s.message.clone())
                        .unwrap_or_default();
                    let reason = self.explain(live, &message).await;
                    let h = status.map(|s| s.health).unwrap_or(Health::Missing);
                    self.record(
                        r,
                        (t.phase, t.wave, t.hook),
                        "Synced",
                        Some(h),
                        format!("{}: {reason}", h.as_str()),
                    );
                    reasons.push(format!(
                        "{} {} is {} ({reason})",
                        r.key.kind,
                        r.key.name,
                        h.as_str()
                    ));
                }
                self.finish_done(desired, step, &done);
                return Ok(Err(format!(
                    "timed out after {:?} waiting for health: {}",
                    self.req.timeout,
                    reasons.join("; ")
                )));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        self.finish_done(desired, step, &done);
        for (i, _, live) in &done {
            let t = &step[*i];
            if t.hook {
                self.delete_hook_by_policy(&desired[t.resource], live, DeletePolicy::HookSucceeded)
                    .await;
            }
        }
        Ok(Ok(()))
    }

    fn finish_done(
        &mut self,
        desired: &[Resource],
        step: &[order::Task],
        done: &[(usize, Option<health::Status>, Value)],
    ) {
        for (i, status, _) in done {
            let t = &step[*i];
            let r = &desired[t.resource];
            let message = status
                .as_ref()
                .map(|s| s.message.clone())
                .unwrap_or_default();
            let message = if message.is_empty() && !t.hook {
                format!("{} applied", r.key.kind)
            } else {
                message
            };
            self.record(
                r,
                (t.phase, t.wave, t.hook),
                "Synced",
                status.as_ref().map(|s| s.health),
                message,
            );
        }
    }

    /// A workload's message, with the reasons its Pods give (an image that cannot be pulled,
    /// a crash loop), which is what a person needs to fix it.
    async fn explain(&self, live: &Value, message: &str) -> String {
        let mut out = message.to_owned();
        let warnings = self.warnings(live).await;
        if !warnings.is_empty() {
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(&format!("events: {}", warnings.join(", ")));
        }
        let namespace = live
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(labels) = live
            .pointer("/spec/selector/matchLabels")
            .and_then(Value::as_object)
        else {
            return out;
        };
        let selector: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect();
        let Ok(pods) = self.cluster.kind("v1", "Pod").await else {
            return out;
        };
        let Ok(found) = self.cluster.list_labeled(&pods, &selector.join(",")).await else {
            return out;
        };
        let mut reasons = BTreeSet::new();
        for pod in found
            .iter()
            .filter(|p| p.pointer("/metadata/namespace").and_then(Value::as_str) == Some(namespace))
        {
            for c in pod
                .pointer("/status/containerStatuses")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(w) = c.pointer("/state/waiting") {
                    let reason = w.get("reason").and_then(Value::as_str).unwrap_or_default();
                    let text = w.get("message").and_then(Value::as_str).unwrap_or_default();
                    reasons.insert(format!("{reason}: {text}"));
                }
            }
        }
        if !reasons.is_empty() {
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(&format!(
                "pods: {}",
                reasons.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        out
    }

    /// The Warning events of an object and of what its controllers made for it (a Job's or
    /// a ReplicaSet's `FailedCreate` when a quota refuses its Pods), at most the last three:
    /// the reason a workload makes no progress is often only there.
    async fn warnings(&self, live: &Value) -> Vec<String> {
        let namespace = live
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let name = live
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if namespace.is_empty() || name.is_empty() {
            return Vec::new();
        }
        let Ok(events) = self.cluster.kind("v1", "Event").await else {
            return Vec::new();
        };
        let Ok(found) = self.cluster.list_in(&events, namespace).await else {
            return Vec::new();
        };
        let mut out: Vec<String> = Vec::new();
        for e in &found {
            let about = e
                .pointer("/involvedObject/name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let warning = e.get("type").and_then(Value::as_str) == Some("Warning");
            if warning && (about == name || about.starts_with(&format!("{name}-"))) {
                let reason = e.get("reason").and_then(Value::as_str).unwrap_or_default();
                let message = e.get("message").and_then(Value::as_str).unwrap_or_default();
                let line = format!("{reason}: {message}");
                if !out.contains(&line) {
                    out.push(line);
                }
            }
        }
        let skip = out.len().saturating_sub(3);
        out.into_iter().skip(skip).collect()
    }

    /// Creates a hook, first deleting an earlier one of the same name when its policy says
    /// `BeforeHookCreation` (and waiting until it is gone).
    async fn create_hook(&self, r: &Resource) -> Result<Value, KubeError> {
        let policies = match order::role(r) {
            Role::Hook { delete, .. } => delete,
            _ => Vec::new(),
        };
        let named = r
            .object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .is_some();
        if named && policies.contains(&DeletePolicy::BeforeHookCreation) {
            self.delete_and_wait(r).await?;
        }
        if named {
            self.cluster.apply(&r.object, false).await
        } else {
            self.cluster.create(&r.object).await
        }
    }

    /// `--force`: deletes the object, waits until it is gone, and applies it again.
    async fn replace(&self, r: &Resource) -> Result<Value, KubeError> {
        self.delete_and_wait(r).await?;
        self.cluster.apply(&r.object, false).await
    }

    /// Deletes the object and waits (up to a minute) until the API server no longer has it,
    /// so that creating it again does not meet the old one.
    async fn delete_and_wait(&self, r: &Resource) -> Result<(), KubeError> {
        self.cluster.delete(&r.api_version, &r.key).await?;
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.cluster.get(&r.api_version, &r.key).await?.is_some() && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(())
    }

    async fn delete_hook_by_policy(&self, r: &Resource, live: &Value, policy: DeletePolicy) {
        let Role::Hook { delete, .. } = order::role(r) else {
            return;
        };
        if !delete.contains(&policy) {
            return;
        }
        if let Ok(l) = Resource::from_object(live.clone()) {
            let _ = self.cluster.delete(&r.api_version, &l.key).await;
        }
    }

    async fn prune(&mut self, compared: &[Compared]) -> Result<(), Stop> {
        let candidates: Vec<&Compared> = compared
            .iter()
            .filter(|c| c.desired.is_none() && self.selected(&c.key))
            .collect();
        for c in candidates {
            let wave = c
                .live
                .as_ref()
                .and_then(|l| Resource::from_object(l.clone()).ok())
                .map_or(0, |r| order::wave(&r));
            let push = |s: &mut Self, status: &str, message: &str| {
                s.results.push(ResourceResult {
                    key: c.key.clone(),
                    api_version: c.api_version.clone(),
                    phase: Phase::Sync,
                    wave,
                    status: status.to_owned(),
                    health: None,
                    hook: None,
                    message: message.to_owned(),
                })
            };
            if !c.requires_pruning {
                push(self, "PruneSkipped", "ignored (Prune=false)");
            } else if !self.req.prune {
                push(self, "OutOfSync", "ignored (requires pruning)");
            } else if self.req.dry_run {
                push(self, "Pruned", "dry run: would be pruned");
            } else {
                self.cluster.delete(&c.api_version, &c.key).await?;
                (self.progress)(&format!("pruned {} {}", c.key.kind, c.key.name));
                push(self, "Pruned", "pruned");
            }
        }
        Ok(())
    }

    /// Creates the SyncFail hooks after a failed sync (best effort: their own failures are
    /// reported, not raised).
    async fn sync_fail_hooks(&mut self) {
        if self.req.dry_run {
            return;
        }
        let hooks: Vec<Resource> = self
            .req
            .desired
            .iter()
            .filter(|r| matches!(order::role(r), Role::Hook { ref phases, .. } if phases.contains(&Phase::SyncFail)))
            .cloned()
            .collect();
        for r in hooks {
            let wave = order::wave(&r);
            match self.create_hook(&r).await {
                Ok(_) => self.record(
                    &r,
                    (Phase::SyncFail, wave, true),
                    "Synced",
                    None,
                    "SyncFail hook created".into(),
                ),
                Err(e) => self.record(
                    &r,
                    (Phase::SyncFail, wave, true),
                    "SyncFailed",
                    None,
                    e.to_string(),
                ),
            }
        }
    }
}

/// A hook Pod that is still running is not done, though Argo's Pod rule may call it
/// Healthy once Ready.
fn is_running_pod(live: &Value) -> bool {
    live.get("kind").and_then(Value::as_str) == Some("Pod")
        && live.pointer("/status/phase").and_then(Value::as_str) == Some("Running")
}
