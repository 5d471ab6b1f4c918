//! Health of live objects with Argo CD's rules (gitops-engine's `pkg/health`, and the
//! Rollout check Argo CD ships), and an application's health as the worst of its
//! resources'.
//!
//! Kinds without a rule have no health and do not count towards the application's.

use serde::Serialize;
use serde_json::Value;

/// Argo CD's health codes, from best to worst in [`Health::rank`]'s order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Health {
    Healthy,
    Suspended,
    Progressing,
    Missing,
    Degraded,
    Unknown,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "Healthy",
            Health::Suspended => "Suspended",
            Health::Progressing => "Progressing",
            Health::Missing => "Missing",
            Health::Degraded => "Degraded",
            Health::Unknown => "Unknown",
        }
    }

    /// Argo CD's order: Healthy < Suspended < Progressing < Missing < Degraded < Unknown.
    pub fn rank(self) -> u8 {
        self as u8
    }

    pub fn worse(self, other: Health) -> Health {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

/// A health code with the reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Status {
    pub health: Health,
    pub message: String,
}

impl Status {
    fn new(health: Health, message: impl Into<String>) -> Status {
        Status {
            health,
            message: message.into(),
        }
    }
}

/// The health of a live object, or `None` for kinds without a rule.
pub fn assess(object: &Value) -> Option<Status> {
    if object
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null())
    {
        return Some(Status::new(Health::Progressing, "Pending deletion"));
    }
    let api_version = str_at(object, "/apiVersion");
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let kind = str_at(object, "/kind");
    Some(match (group, kind) {
        ("apps" | "extensions", "Deployment") => deployment(object),
        ("apps", "StatefulSet") => stateful_set(object),
        ("apps" | "extensions", "ReplicaSet") => replica_set(object),
        ("apps" | "extensions", "DaemonSet") => daemon_set(object),
        ("", "Pod") => pod(object),
        ("", "Service") => service(object),
        ("", "PersistentVolumeClaim") => pvc(object),
        ("extensions" | "networking.k8s.io", "Ingress") => load_balanced(object),
        ("batch", "Job") => job(object),
        ("autoscaling", "HorizontalPodAutoscaler") => hpa(object),
        ("apiregistration.k8s.io", "APIService") => api_service(object),
        ("argoproj.io", "Rollout") => rollout(object),
        _ => return None,
    })
}

/// The application's health: the worst of its resources' (Healthy when none has one).
pub fn aggregate<'a>(statuses: impl IntoIterator<Item = &'a Health>) -> Health {
    statuses
        .into_iter()
        .fold(Health::Healthy, |acc, h| acc.worse(*h))
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn int_at(v: &Value, pointer: &str) -> i64 {
    v.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn opt_int(v: &Value, pointer: &str) -> Option<i64> {
    v.pointer(pointer).and_then(Value::as_i64)
}

fn condition<'a>(object: &'a Value, kind: &str) -> Option<&'a Value> {
    object
        .pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
}

fn generation_observed(object: &Value) -> bool {
    int_at(object, "/metadata/generation") <= int_at(object, "/status/observedGeneration")
}

fn deployment(d: &Value) -> Status {
    if d.pointer("/spec/paused").and_then(Value::as_bool) == Some(true) {
        return Status::new(Health::Suspended, "Deployment is paused");
    }
    if !generation_observed(d) {
        return Status::new(
            Health::Progressing,
            "Waiting for rollout to finish: observed deployment generation less than desired generation",
        );
    }
    let name = str_at(d, "/metadata/name");
    let progressing = condition(d, "Progressing");
    if progressing
        .and_then(|c| c.get("reason"))
        .and_then(Value::as_str)
        == Some("ProgressDeadlineExceeded")
    {
        return Status::new(
            Health::Degraded,
            format!("Deployment \"{name}\" exceeded its progress deadline"),
        );
    }
    let updated = int_at(d, "/status/updatedReplicas");
    let replicas = int_at(d, "/status/replicas");
    let available = int_at(d, "/status/availableReplicas");
    // `spec.replicas` defaults to 1 on the API server; a rendered object may lack it.
    let wanted = opt_int(d, "/spec/replicas");
    if let Some(wanted) = wanted
        && updated < wanted
    {
        return Status::new(
            Health::Progressing,
            format!(
                "Waiting for rollout to finish: {updated} out of {wanted} new replicas have been updated..."
            ),
        );
    }
    if replicas > updated {
        return Status::new(
            Health::Progressing,
            format!(
                "Waiting for rollout to finish: {} old replicas are pending termination...",
                replicas - updated
            ),
        );
    }
    if available < updated {
        return Status::new(
            Health::Progressing,
            format!(
                "Waiting for rollout to finish: {available} of {updated} updated replicas are available..."
            ),
        );
    }
    Status::new(Health::Healthy, "")
}

fn stateful_set(s: &Value) -> Status {
    let observed = int_at(s, "/status/observedGeneration");
    if observed == 0 || int_at(s, "/metadata/generation") > observed {
        return Status::new(
            Health::Progressing,
            "Waiting for statefulset spec update to be observed...",
        );
    }
    let wanted = opt_int(s, "/spec/replicas");
    let ready = int_at(s, "/status/readyReplicas");
    if let Some(wanted) = wanted
        && ready < wanted
    {
        return Status::new(
            Health::Progressing,
            format!("Waiting for {} pods to be ready...", wanted - ready),
        );
    }
    let strategy = str_at(s, "/spec/updateStrategy/type");
    let updated = int_at(s, "/status/updatedReplicas");
    if strategy == "RollingUpdate"
        && s.pointer("/spec/updateStrategy/rollingUpdate")
            .is_some_and(|v| !v.is_null())
    {
        if let (Some(wanted), Some(partition)) = (
            wanted,
            opt_int(s, "/spec/updateStrategy/rollingUpdate/partition"),
        ) && updated < wanted - partition
        {
            return Status::new(
                Health::Progressing,
                format!(
                    "Waiting for partitioned roll out to finish: {updated} out of {} new pods have been updated...",
                    wanted - partition
                ),
            );
        }
        return Status::new(
            Health::Healthy,
            format!("partitioned roll out complete: {updated} new pods have been updated..."),
        );
    }
    if strategy == "OnDelete" {
        return Status::new(
            Health::Healthy,
            format!("statefulset has {ready} ready pods"),
        );
    }
    let update_revision = str_at(s, "/status/updateRevision");
    let current_revision = str_at(s, "/status/currentRevision");
    if update_revision != current_revision {
        return Status::new(
            Health::Progressing,
            format!(
                "waiting for statefulset rolling update to complete {updated} pods at revision {update_revision}..."
            ),
        );
    }
    Status::new(
        Health::Healthy,
        format!(
            "statefulset rolling update complete {} pods at revision {current_revision}...",
            int_at(s, "/status/currentReplicas")
        ),
    )
}

fn replica_set(r: &Value) -> Status {
    if !generation_observed(r) {
        return Status::new(
            Health::Progressing,
            "Waiting for rollout to finish: observed replica set generation less than desired generation",
        );
    }
    if let Some(c) = condition(r, "ReplicaFailure")
        && c.get("status").and_then(Value::as_str) == Some("True")
    {
        return Status::new(
            Health::Degraded,
            c.get("message").and_then(Value::as_str).unwrap_or_default(),
        );
    }
    let available = int_at(r, "/status/availableReplicas");
    if let Some(wanted) = opt_int(r, "/spec/replicas")
        && available < wanted
    {
        return Status::new(
            Health::Progressing,
            format!(
                "Waiting for rollout to finish: {available} out of {wanted} new replicas are available..."
            ),
        );
    }
    Status::new(Health::Healthy, "")
}

fn daemon_set(d: &Value) -> Status {
    if !generation_observed(d) {
        return Status::new(
            Health::Progressing,
            "Waiting for rollout to finish: observed daemon set generation less than desired generation",
        );
    }
    let name = str_at(d, "/metadata/name");
    let updated = int_at(d, "/status/updatedNumberScheduled");
    let desired = int_at(d, "/status/desiredNumberScheduled");
    let available = int_at(d, "/status/numberAvailable");
    if str_at(d, "/spec/updateStrategy/type") == "OnDelete" {
        return Status::new(
            Health::Healthy,
            format!("daemon set {updated} out of {desired} new pods have been updated"),
        );
    }
    if updated < desired {
        return Status::new(
            Health::Progressing,
            format!(
                "Waiting for daemon set \"{name}\" rollout to finish: {updated} out of {desired} new pods have been updated..."
            ),
        );
    }
    if available < desired {
        return Status::new(
            Health::Progressing,
            format!(
                "Waiting for daemon set \"{name}\" rollout to finish: {available} of {desired} updated pods are available..."
            ),
        );
    }
    Status::new(Health::Healthy, "")
}

fn pod(p: &Value) -> Status {
    let message = str_at(p, "/status/message").to_owned();
    // Kubernetes' default restart policy is Always.
    let restart = match str_at(p, "/spec/restartPolicy") {
        "" => "Always",
        other => other,
    };
    let statuses = |field: &str| -> Vec<&Value> {
        p.pointer(&format!("/status/{field}"))
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    };
    if restart == "Always" {
        let mut degraded = Vec::new();
        for c in statuses("containerStatuses") {
            let reason = str_at(c, "/state/waiting/reason");
            if c.pointer("/state/waiting").is_some()
                && (reason.starts_with("Err")
                    || reason.ends_with("Error")
                    || reason.ends_with("BackOff"))
            {
                degraded.push(str_at(c, "/state/waiting/message").to_owned());
            }
        }
        if !degraded.is_empty() {
            return Status::new(Health::Degraded, degraded.join(", "));
        }
    }
    match str_at(p, "/status/phase") {
        "Pending" => Status::new(Health::Progressing, message),
        "Succeeded" => Status::new(Health::Healthy, message),
        "Failed" => {
            if !message.is_empty() {
                return Status::new(Health::Degraded, message);
            }
            for c in statuses("initContainerStatuses")
                .into_iter()
                .chain(statuses("containerStatuses"))
            {
                if c.pointer("/state/terminated").is_some() {
                    let text = str_at(c, "/state/terminated/message");
                    if !text.is_empty() {
                        return Status::new(Health::Degraded, text);
                    }
                    if str_at(c, "/state/terminated/reason") == "OOMKilled" {
                        return Status::new(Health::Degraded, "OOMKilled");
                    }
                    let code = int_at(c, "/state/terminated/exitCode");
                    if code != 0 {
                        return Status::new(
                            Health::Degraded,
                            format!(
                                "container \"{}\" failed with exit code {code}",
                                str_at(c, "/name")
                            ),
                        );
                    }
                }
            }
            Status::new(Health::Degraded, "")
        }
        "Running" => match restart {
            "Always" => {
                let ready = condition(p, "Ready")
                    .and_then(|c| c.get("status"))
                    .and_then(Value::as_str)
                    == Some("True");
                if ready {
                    return Status::new(Health::Healthy, message);
                }
                if statuses("containerStatuses")
                    .iter()
                    .any(|c| c.pointer("/lastState/terminated").is_some())
                {
                    return Status::new(Health::Degraded, message);
                }
                Status::new(Health::Progressing, message)
            }
            // Finite pods (hooks, mostly) are Progressing until they end.
            _ => Status::new(Health::Progressing, message),
        },
        _ => Status::new(Health::Unknown, message),
    }
}

fn has_ingress(v: &Value) -> bool {
    v.pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
}

fn service(s: &Value) -> Status {
    if str_at(s, "/spec/type") == "LoadBalancer" && !has_ingress(s) {
        return Status::new(Health::Progressing, "");
    }
    Status::new(Health::Healthy, "")
}

fn load_balanced(i: &Value) -> Status {
    if has_ingress(i) {
        Status::new(Health::Healthy, "")
    } else {
        Status::new(Health::Progressing, "")
    }
}

fn pvc(p: &Value) -> Status {
    match str_at(p, "/status/phase") {
        "Lost" => Status::new(Health::Degraded, ""),
        "Pending" => Status::new(Health::Progressing, ""),
        "Bound" => Status::new(Health::Healthy, ""),
        _ => Status::new(Health::Unknown, ""),
    }
}

fn job(j: &Value) -> Status {
    let mut failed = None;
    let mut complete = None;
    for c in j
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if c.get("status").and_then(Value::as_str) == Some("False") {
            continue;
        }
        let text = c
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        match c.get("type").and_then(Value::as_str) {
            Some("Failed") => failed = Some(text),
            Some("Complete") => complete = Some(text),
            _ => {}
        }
    }
    if let Some(m) = failed {
        return Status::new(Health::Degraded, m);
    }
    if let Some(m) = complete {
        return Status::new(Health::Healthy, m);
    }
    if j.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) {
        return Status::new(Health::Suspended, "The Job is suspended");
    }
    Status::new(Health::Progressing, "")
}

fn hpa(h: &Value) -> Status {
    const DEGRADED: &[(&str, &str)] = &[
        ("AbleToScale", "FailedGetScale"),
        ("AbleToScale", "FailedUpdateScale"),
        ("ScalingActive", "FailedGetResourceMetric"),
        ("ScalingActive", "InvalidSelector"),
    ];
    const HEALTHY: &[(&str, &str)] = &[
        ("AbleToScale", "SucceededRescale"),
        ("ScalingLimited", "DesiredWithinRange"),
        ("ScalingLimited", "TooFewReplicas"),
        ("ScalingLimited", "TooManyReplicas"),
    ];
    // autoscaling/v1 keeps its conditions in an annotation, as JSON.
    let conditions: Vec<Value> =
        if h.get("apiVersion").and_then(Value::as_str) == Some("autoscaling/v1") {
            match crate::manifest::annotation(h, "autoscaling.alpha.kubernetes.io/conditions") {
                Some(text) => match serde_json::from_str::<Vec<Value>>(text) {
                    Ok(c) => c,
                    Err(e) => {
                        return Status::new(
                            Health::Unknown,
                            format!("failed to read the conditions annotation: {e}"),
                        );
                    }
                },
                None => Vec::new(),
            }
        } else {
            h.pointer("/status/conditions")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
    for c in &conditions {
        let pair = (str_at(c, "/type"), str_at(c, "/reason"));
        if DEGRADED.contains(&pair) {
            return Status::new(Health::Degraded, str_at(c, "/message"));
        }
        if HEALTHY.contains(&pair) {
            return Status::new(Health::Healthy, str_at(c, "/message"));
        }
    }
    Status::new(Health::Progressing, "Waiting to Autoscale")
}

fn api_service(a: &Value) -> Status {
    match condition(a, "Available") {
        Some(c) if c.get("status").and_then(Value::as_str) == Some("True") => Status::new(
            Health::Healthy,
            format!("{}: {}", str_at(c, "/reason"), str_at(c, "/message")),
        ),
        Some(c) => Status::new(
            Health::Progressing,
            format!("{}: {}", str_at(c, "/reason"), str_at(c, "/message")),
        ),
        None => Status::new(Health::Progressing, "Waiting to be processed"),
    }
}

/// Argo Rollouts: the controller writes the phase; generation must have been observed
/// first (the Rollout controller writes `observedGeneration` as a string).
fn rollout(r: &Value) -> Status {
    let observed = r.pointer("/status/observedGeneration").map(|v| match v {
        Value::String(s) => s.parse::<i64>().unwrap_or(-1),
        other => other.as_i64().unwrap_or(-1),
    });
    if let Some(observed) = observed
        && observed < int_at(r, "/metadata/generation")
    {
        return Status::new(
            Health::Progressing,
            "Waiting for rollout spec update to be observed",
        );
    }
    let message = str_at(r, "/status/message").to_owned();
    match str_at(r, "/status/phase") {
        "Healthy" => Status::new(Health::Healthy, message),
        "Degraded" => Status::new(Health::Degraded, message),
        "Paused" => Status::new(Health::Suspended, message),
        "Progressing" => Status::new(Health::Progressing, message),
        _ if r.pointer("/spec/paused").and_then(Value::as_bool) == Some(true) => {
            Status::new(Health::Suspended, "Rollout is paused")
        }
        _ => Status::new(Health::Progressing, message),
    }
}
