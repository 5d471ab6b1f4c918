//! Desired against live: both sides normalised the same way, then shown as unified YAML
//! diffs under Argo CD's `===== group/kind namespace/name ======` headers.
//!
//! The desired side is what a server-side-apply dry run returns (so defaults the API server
//! adds appear on both sides); normalising drops what only the cluster writes (managed
//! fields, status, resource version, ...) and the JSON pointers of `ignoreDifferences`.
//! Secrets' values are masked before they are shown.

use serde_json::Value;

use crate::application::IgnoreDifference;
use crate::manifest::{ResourceKey, sort_keys};
use crate::to_yaml;

/// Metadata fields only the cluster writes.
const CLUSTER_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "selfLink",
    "deletionGracePeriodSeconds",
];

/// Annotations written by controllers or clients rather than by the manifest.
const CLUSTER_ANNOTATIONS: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
];

/// `object` without what only the cluster writes and without the ignored pointers.
pub fn normalize(object: &Value, ignore: &[&IgnoreDifference]) -> Value {
    let mut v = object.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("status");
    }
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for f in CLUSTER_METADATA {
            meta.remove(*f);
        }
        if let Some(a) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            for f in CLUSTER_ANNOTATIONS {
                a.remove(*f);
            }
            if a.is_empty() {
                meta.remove("annotations");
            }
        }
    }
    for rule in ignore {
        for pointer in &rule.json_pointers {
            remove_pointer(&mut v, pointer);
        }
    }
    v
}

/// The rules of `ignore` that apply to the object `key`.
pub fn rules_for<'a>(
    ignore: &'a [IgnoreDifference],
    key: &ResourceKey,
) -> Vec<&'a IgnoreDifference> {
    ignore
        .iter()
        .filter(|r| r.group == key.group || (r.group.is_empty() && key.group.is_empty()))
        .filter(|r| r.kind == key.kind)
        .filter(|r| r.name.as_deref().is_none_or(|n| n == key.name))
        .filter(|r| r.namespace.as_deref().is_none_or(|n| n == key.namespace))
        .collect()
}

/// Removes the value at a JSON pointer (RFC 6901), if it is there.
pub fn remove_pointer(value: &mut Value, pointer: &str) {
    let Some(rest) = pointer.strip_prefix('/') else {
        return;
    };
    let parts: Vec<String> = rest
        .split('/')
        .map(|p| p.replace("~1", "/").replace("~0", "~"))
        .collect();
    let Some((last, parents)) = parts.split_last() else {
        return;
    };
    let mut node = value;
    for p in parents {
        node = match node {
            Value::Object(m) => match m.get_mut(p) {
                Some(n) => n,
                None => return,
            },
            Value::Array(a) => match p.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(n) => n,
                None => return,
            },
            _ => return,
        };
    }
    match node {
        Value::Object(m) => {
            m.remove(last);
        }
        Value::Array(a) => {
            if let Ok(i) = last.parse::<usize>()
                && i < a.len()
            {
                a.remove(i);
            }
        }
        _ => {}
    }
}

/// Replaces Secret values on both sides with `+` runs: equal values get equal masks, a
/// changed value a different one, so the diff shows that it changed but not to what.
pub fn mask_secrets(key: &ResourceKey, desired: &mut Value, live: &mut Value) {
    if !key.group.is_empty() || key.kind != "Secret" {
        return;
    }
    let mut seen: Vec<String> = Vec::new();
    for side in [&mut *desired, &mut *live] {
        for field in ["data", "stringData"] {
            if let Some(m) = side.get_mut(field).and_then(Value::as_object_mut) {
                for v in m.values_mut() {
                    let text = v.as_str().unwrap_or_default().to_owned();
                    let index = match seen.iter().position(|s| *s == text) {
                        Some(i) => i,
                        None => {
                            seen.push(text);
                            seen.len() - 1
                        }
                    };
                    *v = Value::String("+".repeat(8 + index));
                }
            }
        }
    }
}

/// One resource's diff text with its header, or `None` when the two sides are equal.
/// `live` is `None` for a resource not yet in the cluster, `desired` is `None` for one that
/// would be pruned.
pub fn render(key: &ResourceKey, desired: Option<&Value>, live: Option<&Value>) -> Option<String> {
    let show = |v: Option<&Value>| v.map(|v| to_yaml(&sort_keys(v))).unwrap_or_default();
    let (old, new) = (show(live), show(desired));
    if old == new {
        return None;
    }
    let body = hoist_diagnostics::unified_diff("live", "desired", &old, &new);
    Some(format!("===== {key} ======\n{body}"))
}

/// Whether every field `desired` sets has the same value in `live` (what a cached
/// comparison can tell without asking the API server: fields the server defaults or
/// controllers add are in `live` only and do not count). Lists must have the same length
/// and match element by element; numbers match their string forms (`"80"` and `80`), as
/// the API server converts them.
pub fn is_subset(desired: &Value, live: &Value) -> bool {
    match (desired, live) {
        (Value::Object(d), Value::Object(l)) => d.iter().all(|(k, v)| match l.get(k) {
            Some(lv) => is_subset(v, lv),
            // An empty or null desired value and an absent live one mean the same.
            None => is_blank(v),
        }),
        (Value::Array(d), Value::Array(l)) => {
            d.len() == l.len() && d.iter().zip(l).all(|(a, b)| is_subset(a, b))
        }
        (Value::Number(a), Value::String(b)) | (Value::String(b), Value::Number(a)) => {
            a.to_string() == *b
        }
        (Value::Null, _) => true,
        (a, b) => a == b,
    }
}

/// Null, or maps and lists holding nothing but blanks: what the API server drops.
fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(o) => o.values().all(is_blank),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}
