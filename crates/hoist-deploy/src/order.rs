//! The order of a sync, as Argo CD's gitops-engine sorts its tasks: phase (PreSync, Sync,
//! PostSync, SyncFail), then sync wave, then kind (Helm's install order; kinds it does not
//! list, such as custom resources, come last), then name. Namespaces move in front of the
//! first object in them, and CustomResourceDefinitions in front of the first of their
//! objects, taking that object's phase and wave.

use serde::Serialize;

use crate::Resource;

pub const HOOK_ANNOTATION: &str = "argocd.argoproj.io/hook";
pub const WAVE_ANNOTATION: &str = "argocd.argoproj.io/sync-wave";
pub const DELETE_POLICY_ANNOTATION: &str = "argocd.argoproj.io/hook-delete-policy";
pub const SYNC_OPTIONS_ANNOTATION: &str = "argocd.argoproj.io/sync-options";
pub const COMPARE_OPTIONS_ANNOTATION: &str = "argocd.argoproj.io/compare-options";
/// Hoist's own spellings of Argo's annotations, read when Argo's are absent.
pub const HOIST_HOOK_ANNOTATION: &str = "hoist.dev/hook";
pub const HOIST_WAVE_ANNOTATION: &str = "hoist.dev/sync-wave";
const HELM_HOOK: &str = "helm.sh/hook";
const HELM_WEIGHT: &str = "helm.sh/hook-weight";
const HELM_DELETE_POLICY: &str = "helm.sh/hook-delete-policy";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Phase {
    PreSync,
    Sync,
    PostSync,
    SyncFail,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::PreSync => "PreSync",
            Phase::Sync => "Sync",
            Phase::PostSync => "PostSync",
            Phase::SyncFail => "SyncFail",
        }
    }
}

/// When a hook is deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum DeletePolicy {
    HookSucceeded,
    HookFailed,
    BeforeHookCreation,
}

/// How one resource takes part in a sync.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Role {
    /// An ordinary resource, applied in the Sync phase.
    Resource,
    /// A hook, created in each of its phases.
    Hook {
        phases: Vec<Phase>,
        delete: Vec<DeletePolicy>,
    },
    /// `hook: Skip` or a Helm hook Argo CD does not run (tests, delete and rollback hooks).
    Skipped,
}

/// Reads a resource's role from its annotations: Argo's, else Hoist's aliases, else Helm's
/// hooks mapped as Argo CD maps them (pre-install/pre-upgrade → PreSync, post-install/
/// post-upgrade → PostSync, others skipped).
pub fn role(resource: &Resource) -> Role {
    let argo = resource
        .annotation(HOOK_ANNOTATION)
        .or_else(|| resource.annotation(HOIST_HOOK_ANNOTATION));
    let delete_from = |value: Option<&str>| -> Vec<DeletePolicy> {
        value
            .unwrap_or_default()
            .split(',')
            .filter_map(|p| match p.trim() {
                "HookSucceeded" | "hook-succeeded" => Some(DeletePolicy::HookSucceeded),
                "HookFailed" | "hook-failed" => Some(DeletePolicy::HookFailed),
                "BeforeHookCreation" | "before-hook-creation" => {
                    Some(DeletePolicy::BeforeHookCreation)
                }
                _ => None,
            })
            .collect()
    };
    if let Some(value) = argo {
        let mut phases = Vec::new();
        for word in value.split(',').map(str::trim) {
            match word {
                "PreSync" => phases.push(Phase::PreSync),
                "Sync" => phases.push(Phase::Sync),
                "PostSync" => phases.push(Phase::PostSync),
                "SyncFail" => phases.push(Phase::SyncFail),
                "Skip" => return Role::Skipped,
                _ => {}
            }
        }
        if phases.is_empty() {
            return Role::Skipped;
        }
        let mut delete = delete_from(resource.annotation(DELETE_POLICY_ANNOTATION));
        if delete.is_empty() {
            // Argo CD's default for hooks without a policy.
            delete.push(DeletePolicy::BeforeHookCreation);
        }
        return Role::Hook { phases, delete };
    }
    if let Some(value) = resource.annotation(HELM_HOOK) {
        let mut phases = Vec::new();
        for word in value.split(',').map(str::trim) {
            match word {
                "pre-install" | "pre-upgrade" | "crd-install" => phases.push(Phase::PreSync),
                "post-install" | "post-upgrade" => phases.push(Phase::PostSync),
                _ => {}
            }
        }
        phases.sort();
        phases.dedup();
        if phases.is_empty() {
            return Role::Skipped;
        }
        let mut delete = delete_from(resource.annotation(HELM_DELETE_POLICY));
        if delete.is_empty() {
            delete.push(DeletePolicy::BeforeHookCreation);
        }
        return Role::Hook { phases, delete };
    }
    Role::Resource
}

/// The sync wave: Argo's annotation, Hoist's alias, a Helm hook's weight, else 0. A value
/// that is not an integer counts as 0, as in Argo CD.
pub fn wave(resource: &Resource) -> i64 {
    [WAVE_ANNOTATION, HOIST_WAVE_ANNOTATION, HELM_WEIGHT]
        .iter()
        .find_map(|a| resource.annotation(a))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Helm's install order as gitops-engine copies it.
const KIND_ORDER: &[&str] = &[
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "Ingress",
    "APIService",
];

fn kind_rank(kind: &str) -> usize {
    KIND_ORDER
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(KIND_ORDER.len())
}

/// One step of a sync: a resource in one phase and wave.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Task {
    pub phase: Phase,
    pub wave: i64,
    /// Index into the resources given to [`plan`].
    pub resource: usize,
    pub hook: bool,
}

/// The tasks of a sync in order. Skipped resources have no task; a hook with several phases
/// has one task per phase. SyncFail tasks are listed last and run only when the sync failed.
pub fn plan(resources: &[Resource]) -> Vec<Task> {
    let mut tasks = Vec::new();
    for (i, r) in resources.iter().enumerate() {
        let w = wave(r);
        match role(r) {
            Role::Resource => tasks.push(Task {
                phase: Phase::Sync,
                wave: w,
                resource: i,
                hook: false,
            }),
            Role::Hook { phases, .. } => {
                for phase in phases {
                    tasks.push(Task {
                        phase,
                        wave: w,
                        resource: i,
                        hook: true,
                    });
                }
            }
            Role::Skipped => {}
        }
    }
    tasks.sort_by(|a, b| {
        let (ra, rb) = (&resources[a.resource], &resources[b.resource]);
        (a.phase, a.wave, kind_rank(&ra.key.kind), &ra.key.name).cmp(&(
            b.phase,
            b.wave,
            kind_rank(&rb.key.kind),
            &rb.key.name,
        ))
    });
    // Namespaces before the first object in them; CRDs before the first of their objects.
    adjust(
        &mut tasks,
        resources,
        |r| {
            (r.key.kind == "Namespace" && r.key.group.is_empty())
                .then(|| format!("ns/{}", r.key.name))
        },
        |r| (!r.key.namespace.is_empty()).then(|| format!("ns/{}", r.key.namespace)),
    );
    adjust(
        &mut tasks,
        resources,
        |r| {
            if r.key.kind != "CustomResourceDefinition" {
                return None;
            }
            let group = r.object.pointer("/spec/group")?.as_str()?;
            let kind = r.object.pointer("/spec/names/kind")?.as_str()?;
            Some(format!("crd/{group}/{kind}"))
        },
        |r| Some(format!("crd/{}/{}", r.key.group, r.key.kind)),
    );
    tasks
}

/// Moves each dependency in front of the first task that refers to it, giving it that
/// task's phase and wave.
fn adjust(
    tasks: &mut [Task],
    resources: &[Resource],
    is_dependency: impl Fn(&Resource) -> Option<String>,
    refers_to: impl Fn(&Resource) -> Option<String>,
) {
    let mut first_reference: std::collections::HashMap<String, usize> = Default::default();
    for i in 0..tasks.len() {
        let r = &resources[tasks[i].resource];
        if let Some(key) = is_dependency(r) {
            if let Some(&index) = first_reference.get(&key) {
                let mut moved = tasks[i].clone();
                moved.phase = tasks[index].phase;
                moved.wave = tasks[index].wave;
                for j in (index + 1..=i).rev() {
                    tasks[j] = tasks[j - 1].clone();
                }
                tasks[index] = moved;
                for v in first_reference.values_mut() {
                    if *v >= index {
                        *v += 1;
                    }
                }
            }
        } else if let Some(key) = refers_to(r) {
            first_reference.entry(key).or_insert(i);
        }
    }
}

/// Tasks grouped into steps that run together: one (phase, wave) each, in order.
pub fn steps(tasks: &[Task]) -> Vec<&[Task]> {
    tasks
        .chunk_by(|a, b| a.phase == b.phase && a.wave == b.wave)
        .collect()
}
