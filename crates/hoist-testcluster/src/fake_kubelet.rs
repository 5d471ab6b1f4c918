//! A stand-in for the kubelet: registers one Node and keeps every Pod's status as a kubelet
//! would write it, without running anything.
//!
//! Each pass lists the Pods (every 150 ms), binds those without a node, and moves each to
//! the state its images ask for (see the crate's documentation). A Pod's status is written
//! once per state, so the controllers see the same transitions as on a real node.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use k8s_openapi::api::core::v1::{Binding, Node, ObjectReference, Pod};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

pub(crate) const NODE: &str = "hoist-node-1";

#[derive(Debug)]
pub(crate) struct Handle {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Handle {
    pub(crate) fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub(crate) fn start(kubeconfig: &Path) -> Handle {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let kubeconfig = kubeconfig.to_path_buf();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let client = crate::client_for(&kubeconfig).await;
            register_node(&client).await;
            let _ = ready_tx.send(());
            while !flag.load(Ordering::SeqCst) {
                let _ = pass(&client).await;
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
        });
    });
    // The node exists before any test creates Pods.
    let _ = ready_rx.recv_timeout(Duration::from_secs(60));
    Handle {
        stop,
        thread: Some(thread),
    }
}

async fn register_node(client: &kube::Client) {
    let nodes: Api<Node> = Api::all(client.clone());
    let node: Node = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": NODE, "labels": {"kubernetes.io/hostname": NODE, "kubernetes.io/os": "linux"}},
    }))
    .expect("node");
    let _ = nodes.create(&PostParams::default(), &node).await;
    let now = now();
    let status = json!({"status": {
        "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "fake kubelet", "lastHeartbeatTime": now, "lastTransitionTime": now}],
        "capacity": {"cpu": "64", "memory": "256Gi", "pods": "1000"},
        "allocatable": {"cpu": "64", "memory": "256Gi", "pods": "1000"},
        "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
        "nodeInfo": {"kubeletVersion": "v1.20.2-fake", "containerRuntimeVersion": "fake://1", "architecture": "amd64", "operatingSystem": "linux",
            "machineID": "", "systemUUID": "", "bootID": "", "kernelVersion": "", "osImage": "", "kubeProxyVersion": ""},
    }});
    let _ = nodes
        .patch_status(NODE, &PatchParams::default(), &Patch::Merge(&status))
        .await;
}

/// Now in RFC 3339 UTC, seconds precision, as Kubernetes writes times.
fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// What a Pod's images ask for.
#[derive(Debug, PartialEq)]
enum Fate {
    Run,
    PullError,
    CrashLoop,
    Succeed,
    Fail,
}

fn fate(pod: &Value) -> Fate {
    let images: Vec<&str> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("image").and_then(Value::as_str))
        .collect();
    let finite = matches!(
        pod.pointer("/spec/restartPolicy").and_then(Value::as_str),
        Some("Never" | "OnFailure")
    );
    if images.iter().any(|i| i.contains("does-not-exist")) {
        Fate::PullError
    } else if images.iter().any(|i| i.contains("crashloop")) {
        Fate::CrashLoop
    } else if finite && images.iter().any(|i| i.contains("fail")) {
        Fate::Fail
    } else if finite {
        Fate::Succeed
    } else {
        Fate::Run
    }
}

async fn pass(client: &kube::Client) -> Result<(), kube::Error> {
    let all: Api<Pod> = Api::all(client.clone());
    for pod in all.list(&ListParams::default()).await?.items {
        let value = serde_json::to_value(&pod).unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        if pod.metadata.deletion_timestamp.is_some() {
            // Nothing runs, so nothing needs to stop: finish the deletion at once.
            let api: Api<Pod> = Api::namespaced(client.clone(), &namespace);
            let _ = api
                .delete(
                    &name,
                    &kube::api::DeleteParams {
                        grace_period_seconds: Some(0),
                        ..Default::default()
                    },
                )
                .await;
            continue;
        }
        let api: Api<Pod> = Api::namespaced(client.clone(), &namespace);
        if pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .is_none()
        {
            let binding = Binding {
                metadata: kube::core::ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(namespace.clone()),
                    ..Default::default()
                },
                target: ObjectReference {
                    kind: Some("Node".into()),
                    name: Some(NODE.into()),
                    api_version: Some("v1".into()),
                    ..Default::default()
                },
            };
            let body = serde_json::to_vec(&binding).unwrap_or_default();
            let request = http::Request::post(format!(
                "/api/v1/namespaces/{namespace}/pods/{name}/binding"
            ))
            .header("content-type", "application/json")
            .body(body)
            .expect("request");
            let _ = client.request_text(request).await;
            continue;
        }
        let fate = fate(&value);
        let written = value
            .pointer("/metadata/annotations/hoist.dev~1fake-kubelet")
            .and_then(Value::as_str);
        let state = format!("{fate:?}");
        if written == Some(state.as_str()) {
            continue;
        }
        let status = status_for(&value, &fate);
        let _ = api
            .patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
            .await;
        // Remembered on the Pod itself, so a restarted kubelet does not write it again.
        let mark = json!({"metadata": {"annotations": {"hoist.dev/fake-kubelet": state}}});
        let _ = api
            .patch(&name, &PatchParams::default(), &Patch::Merge(&mark))
            .await;
    }
    Ok(())
}

fn status_for(pod: &Value, fate: &Fate) -> Value {
    let now = now();
    let containers: Vec<(String, String)> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c.get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                c.get("image")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    let ip = {
        let uid = pod
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let n = uid
            .bytes()
            .fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(b)));
        format!("10.244.{}.{}", (n >> 8) % 250, n % 250 + 2)
    };
    let condition = |t: &str, s: bool| json!({"type": t, "status": if s { "True" } else { "False" }, "lastTransitionTime": now, "lastProbeTime": null});
    let statuses = |ready: bool, state: Value, last: Value, restarts: u32| -> Vec<Value> {
        containers
            .iter()
            .map(|(name, image)| {
                json!({"name": name, "image": image, "imageID": "", "ready": ready, "started": ready, "restartCount": restarts,
                    "state": state, "lastState": last})
            })
            .collect()
    };
    match fate {
        Fate::Run => {
            json!({"status": {"phase": "Running", "podIP": ip, "hostIP": "127.0.0.1", "startTime": now,
            "conditions": [condition("Initialized", true), condition("Ready", true), condition("ContainersReady", true), condition("PodScheduled", true)],
            "containerStatuses": statuses(true, json!({"running": {"startedAt": now}}), json!({}), 0)}})
        }
        Fate::PullError => {
            let image = containers
                .iter()
                .map(|(_, i)| i.as_str())
                .find(|i| i.contains("does-not-exist"))
                .unwrap_or_default()
                .to_owned();
            json!({"status": {"phase": "Pending", "hostIP": "127.0.0.1", "startTime": now,
                "conditions": [condition("Initialized", true), condition("Ready", false), condition("ContainersReady", false), condition("PodScheduled", true)],
                "containerStatuses": statuses(false, json!({"waiting": {"reason": "ImagePullBackOff", "message": format!("Back-off pulling image \"{image}\"")}}), json!({}), 0)}})
        }
        Fate::CrashLoop => {
            json!({"status": {"phase": "Running", "podIP": ip, "hostIP": "127.0.0.1", "startTime": now,
            "conditions": [condition("Initialized", true), condition("Ready", false), condition("ContainersReady", false), condition("PodScheduled", true)],
            "containerStatuses": statuses(false,
                json!({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container"}}),
                json!({"terminated": {"exitCode": 1, "reason": "Error", "startedAt": now, "finishedAt": now}}), 3)}})
        }
        Fate::Succeed => {
            json!({"status": {"phase": "Succeeded", "podIP": ip, "hostIP": "127.0.0.1", "startTime": now,
            "conditions": [condition("Initialized", true), condition("Ready", false), condition("ContainersReady", false), condition("PodScheduled", true)],
            "containerStatuses": statuses(false, json!({"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": now, "finishedAt": now}}), json!({}), 0)}})
        }
        Fate::Fail => {
            json!({"status": {"phase": "Failed", "podIP": ip, "hostIP": "127.0.0.1", "startTime": now,
            "conditions": [condition("Initialized", true), condition("Ready", false), condition("ContainersReady", false), condition("PodScheduled", true)],
            "containerStatuses": statuses(false, json!({"terminated": {"exitCode": 1, "reason": "Error", "startedAt": now, "finishedAt": now}}), json!({}), 0)}})
        }
    }
}
