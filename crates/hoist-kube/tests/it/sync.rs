//! Syncing against a real API server: health through the real controllers, failures with
//! their reasons, pruning, order, and comparisons.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use hoist_deploy::manifest::parse_manifests;
use hoist_kube::live::{self, SyncStatus};
use hoist_kube::sync::{OperationPhase, SyncRequest, sync};
use hoist_kube::{Cluster, Target, connect};
use hoist_testcluster::TestCluster;

fn app(name: &str, namespace: &str, extra: &str) -> hoist_deploy::Application {
    let policy = if extra.contains("syncPolicy") {
        ""
    } else {
        "  syncPolicy: {syncOptions: [CreateNamespace=true]}\n"
    };
    let text = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: {name}}}\nspec:\n  source: {{repoURL: ., path: x}}\n  destination: {{name: test, namespace: {namespace}}}\n{policy}{extra}"
    );
    let (apps, d) = hoist_deploy::parse_applications("app.yaml", &text);
    assert!(d.iter().all(|d| !d.is_error()), "{d:?}");
    apps.into_iter().next().expect("one app")
}

fn deployment(name: &str, image: &str, extra_annotations: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  annotations: {{{extra_annotations}}}\nspec:\n  replicas: 2\n  progressDeadlineSeconds: 4\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers: [{{name: main, image: \"{image}\"}}]\n"
    )
}

async fn run(
    cluster: &Cluster,
    app: &hoist_deploy::Application,
    manifests: &str,
    prune: bool,
    previous: &BTreeSet<(String, String)>,
) -> hoist_kube::sync::SyncOutcome {
    let rendered = parse_manifests("test", manifests).expect("manifests");
    let desired = live::prepare(cluster, app, &rendered)
        .await
        .expect("prepare");
    let req = SyncRequest {
        app,
        desired,
        prune,
        dry_run: false,
        force: false,
        selectors: Vec::new(),
        timeout: Duration::from_secs(60),
        previous_kinds: previous.clone(),
    };
    sync(cluster, &req, &|_| {}).await
}

fn table(outcome: &hoist_kube::sync::SyncOutcome) -> String {
    outcome
        .results
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {:?} {}",
                r.key.kind,
                r.key.name,
                r.status,
                r.health.map(|h| h.as_str()),
                r.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy_rollouts_degraded_images_and_pruning() {
    let started = Instant::now();
    let tc = TestCluster::start();
    eprintln!("cluster up in {:?}", started.elapsed());
    let cluster = connect(
        &Target {
            name: Some("test".into()),
            server: None,
        },
        Some(&tc.kubeconfig),
    )
    .await
    .expect("connect");

    // A Deployment rolls out through the controller manager and the fake kubelet.
    let a = app("shop", "shop", "");
    let manifests = format!(
        "{}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings}}\ndata: {{a: b}}\n",
        deployment("web", "web:1", "")
    );
    let started = Instant::now();
    let outcome = run(&cluster, &a, &manifests, false, &BTreeSet::new()).await;
    assert_eq!(
        outcome.phase,
        OperationPhase::Succeeded,
        "{}\n{}",
        outcome.message,
        table(&outcome)
    );
    eprintln!("synced and healthy in {:?}", started.elapsed());
    let web = outcome
        .results
        .iter()
        .find(|r| r.key.name == "web")
        .expect("web");
    assert_eq!(
        web.health.map(|h| h.as_str()),
        Some("Healthy"),
        "{}",
        table(&outcome)
    );
    let rendered = parse_manifests("test", &manifests).expect("manifests");
    let desired = live::prepare(&cluster, &a, &rendered)
        .await
        .expect("prepare");
    let compared = live::compare(&cluster, &a, &desired, &BTreeSet::new())
        .await
        .expect("compare");
    assert_eq!(
        live::app_status(&compared),
        SyncStatus::Synced,
        "{compared:#?}"
    );
    assert_eq!(live::app_health(&compared).as_str(), "Healthy");

    // A bad image: the rollout exceeds its deadline and the sync fails with the reason.
    let bad = format!(
        "{}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings}}\ndata: {{a: b}}\n",
        deployment("web", "registry.example/does-not-exist:1", "")
    );
    let outcome = run(&cluster, &a, &bad, false, &BTreeSet::new()).await;
    assert_eq!(outcome.phase, OperationPhase::Failed, "{}", table(&outcome));
    assert!(
        outcome.message.contains("Degraded") && outcome.message.contains("ImagePullBackOff"),
        "{}",
        outcome.message
    );

    // Pruning: the ConfigMap is no longer rendered; without prune it stays and is reported,
    // with prune it goes.
    let kinds: BTreeSet<(String, String)> = [("v1".to_owned(), "ConfigMap".to_owned())].into();
    let only_web = deployment("web", "web:1", "");
    let outcome = run(&cluster, &a, &only_web, false, &kinds).await;
    assert_eq!(
        outcome.phase,
        OperationPhase::Succeeded,
        "{}\n{}",
        outcome.message,
        table(&outcome)
    );
    assert!(
        table(&outcome).contains("ConfigMap settings OutOfSync None ignored (requires pruning)"),
        "{}",
        table(&outcome)
    );
    let outcome = run(&cluster, &a, &only_web, true, &kinds).await;
    assert!(
        table(&outcome).contains("ConfigMap settings Pruned"),
        "{}",
        table(&outcome)
    );
    let key = hoist_deploy::manifest::ResourceKey {
        group: String::new(),
        kind: "ConfigMap".into(),
        namespace: "shop".into(),
        name: "settings".into(),
    };
    assert!(cluster.get("v1", &key).await.expect("get").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waves_hooks_rejections_and_ignored_differences() {
    let tc = TestCluster::start();
    let cluster = connect(
        &Target {
            name: Some("test".into()),
            server: None,
        },
        Some(&tc.kubeconfig),
    )
    .await
    .expect("connect");

    // A PreSync hook Job, then wave 0, then wave 1: each step waits for the one before.
    let a = app(
        "ordered",
        "ordered",
        "  ignoreDifferences:\n    - {group: apps, kind: Deployment, jsonPointers: [/spec/replicas]}\n",
    );
    let manifests = format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations: {{argocd.argoproj.io/hook: PreSync, argocd.argoproj.io/hook-delete-policy: HookSucceeded}}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{{name: m, image: migrate:1}}]\n---\n{}---\n{}",
        deployment("db", "db:1", "argocd.argoproj.io/sync-wave: \"0\""),
        deployment("api", "api:1", "argocd.argoproj.io/sync-wave: \"1\"")
    );
    let outcome = run(&cluster, &a, &manifests, false, &BTreeSet::new()).await;
    assert_eq!(
        outcome.phase,
        OperationPhase::Succeeded,
        "{}\n{}",
        outcome.message,
        table(&outcome)
    );
    let order: Vec<(String, String)> = outcome
        .results
        .iter()
        .map(|r| {
            (
                r.key.name.clone(),
                format!("{}:{}", r.phase.as_str(), r.wave),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("migrate", "PreSync:0"),
            ("db", "Sync:0"),
            ("api", "Sync:1")
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned())),
        "{}",
        table(&outcome)
    );
    // The hook succeeded and was deleted; the waves' objects were created in order.
    let job = hoist_deploy::manifest::ResourceKey {
        group: "batch".into(),
        kind: "Job".into(),
        namespace: "ordered".into(),
        name: "migrate".into(),
    };
    assert!(
        cluster.get("batch/v1", &job).await.expect("get").is_none(),
        "HookSucceeded"
    );
    let created = |name: &str| {
        let key = hoist_deploy::manifest::ResourceKey {
            group: "apps".into(),
            kind: "Deployment".into(),
            namespace: "ordered".into(),
            name: name.into(),
        };
        let cluster = &cluster;
        async move {
            let live = cluster
                .get("apps/v1", &key)
                .await
                .expect("get")
                .expect("exists");
            live.pointer("/metadata/creationTimestamp")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        }
    };
    assert!(created("db").await <= created("api").await);

    // An ignored pointer: replicas changed by hand do not make the app OutOfSync.
    let client = tc.client().await;
    let deployments: kube::Api<k8s_openapi::api::apps::v1::Deployment> =
        kube::Api::namespaced(client, "ordered");
    deployments
        .patch(
            "db",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(serde_json::json!({"spec": {"replicas": 3}})),
        )
        .await
        .expect("scale");
    let rendered = parse_manifests("test", &manifests).expect("manifests");
    let desired = live::prepare(&cluster, &a, &rendered)
        .await
        .expect("prepare");
    let compared = live::compare(&cluster, &a, &desired, &BTreeSet::new())
        .await
        .expect("compare");
    assert_eq!(
        live::app_status(&compared),
        SyncStatus::Synced,
        "{compared:#?}"
    );
    // Without the rule, it would be.
    let b = app("ordered", "ordered", "");
    let compared = live::compare(&cluster, &b, &desired, &BTreeSet::new())
        .await
        .expect("compare");
    assert_eq!(live::app_status(&compared), SyncStatus::OutOfSync);

    // A resource the API server rejects in wave 1: wave 0 stays applied and is reported,
    // the rejected one is named, nothing of its wave is applied.
    let c = app("rejected", "rejected", "");
    let manifests = format!(
        "{}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_A_Valid_Name\n  annotations: {{argocd.argoproj.io/sync-wave: \"1\"}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\n  annotations: {{argocd.argoproj.io/sync-wave: \"1\"}}\n",
        deployment("first", "first:1", "")
    );
    let outcome = run(&cluster, &c, &manifests, false, &BTreeSet::new()).await;
    assert_eq!(outcome.phase, OperationPhase::Failed, "{}", table(&outcome));
    assert!(
        outcome.message.contains("Not_A_Valid_Name"),
        "{}",
        outcome.message
    );
    let t = table(&outcome);
    assert!(
        t.contains("Deployment first Synced Some(\"Healthy\")"),
        "{t}"
    );
    assert!(t.contains("ConfigMap Not_A_Valid_Name SyncFailed"), "{t}");
    assert!(t.contains("ConfigMap fine Pending"), "{t}");
    let fine = hoist_deploy::manifest::ResourceKey {
        group: String::new(),
        kind: "ConfigMap".into(),
        namespace: "rejected".into(),
        name: "fine".into(),
    };
    assert!(cluster.get("v1", &fine).await.expect("get").is_none());

    // Prune=false keeps an object that is no longer rendered, even with prune on.
    let d = app("keep", "keep", "");
    let kept = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\n  annotations: {argocd.argoproj.io/sync-options: Prune=false}\n";
    let outcome = run(&cluster, &d, kept, true, &BTreeSet::new()).await;
    assert_eq!(
        outcome.phase,
        OperationPhase::Succeeded,
        "{}",
        table(&outcome)
    );
    let kinds: BTreeSet<(String, String)> = [("v1".to_owned(), "ConfigMap".to_owned())].into();
    let outcome = run(
        &cluster,
        &d,
        &deployment("other", "other:1", ""),
        true,
        &kinds,
    )
    .await;
    assert!(
        table(&outcome).contains("ConfigMap kept PruneSkipped"),
        "{}",
        table(&outcome)
    );

    // A Job whose Pods a quota refuses makes no progress; the timeout says why.
    let q = app("quota", "quota", "");
    let quota = "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q}\nspec: {hard: {requests.cpu: \"1\"}}\n";
    let outcome = run(&cluster, &q, quota, false, &BTreeSet::new()).await;
    assert_eq!(
        outcome.phase,
        OperationPhase::Succeeded,
        "{}",
        table(&outcome)
    );
    // Quota admission enforces only what the quota controller has copied into `status.hard`;
    // until then it admits every Pod, so the Job comes after the controller has caught up.
    let quota_key = hoist_deploy::manifest::ResourceKey {
        group: String::new(),
        kind: "ResourceQuota".into(),
        namespace: "quota".into(),
        name: "q".into(),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let live = cluster.get("v1", &quota_key).await.expect("get quota");
        let hard = live
            .as_ref()
            .and_then(|q| q.pointer("/status/hard/requests.cpu"));
        if hard.is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the quota controller never filled `status.hard`: {live:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let job = format!(
        "{quota}---\napiVersion: batch/v1\nkind: Job\nmetadata: {{name: work}}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{{name: w, image: work:1}}]\n"
    );
    let rendered = parse_manifests("test", &job).expect("manifests");
    let desired = live::prepare(&cluster, &q, &rendered)
        .await
        .expect("prepare");
    let req = SyncRequest {
        app: &q,
        desired,
        prune: false,
        dry_run: false,
        force: false,
        selectors: Vec::new(),
        timeout: Duration::from_secs(6),
        previous_kinds: BTreeSet::new(),
    };
    let outcome = sync(&cluster, &req, &|_| {}).await;
    assert_eq!(outcome.phase, OperationPhase::Failed, "{}", table(&outcome));
    assert!(
        outcome.message.contains("timed out")
            && outcome.message.contains("FailedCreate")
            && outcome.message.contains("must specify"),
        "{}",
        outcome.message
    );

    // An immutable field: refused in place, replaced with --force.
    let im = app("immutable", "immutable", "");
    let v1 = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: once}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: w, image: once:1}]\n";
    let outcome = run(&cluster, &im, v1, false, &BTreeSet::new()).await;
    assert_eq!(
        outcome.phase,
        OperationPhase::Succeeded,
        "{}",
        table(&outcome)
    );
    let v2 = v1.replace("once:1", "once:2");
    let outcome = run(&cluster, &im, &v2, false, &BTreeSet::new()).await;
    assert_eq!(outcome.phase, OperationPhase::Failed, "{}", table(&outcome));
    assert!(
        outcome.message.contains("field is immutable"),
        "{}",
        outcome.message
    );
    let rendered = parse_manifests("test", &v2).expect("manifests");
    let desired = live::prepare(&cluster, &im, &rendered)
        .await
        .expect("prepare");
    let req = SyncRequest {
        app: &im,
        desired,
        prune: false,
        dry_run: false,
        force: true,
        selectors: Vec::new(),
        timeout: Duration::from_secs(60),
        previous_kinds: BTreeSet::new(),
    };
    let outcome = sync(&cluster, &req, &|_| {}).await;
    assert_eq!(
        outcome.phase,
        OperationPhase::Succeeded,
        "{}\n{}",
        outcome.message,
        table(&outcome)
    );

    // PruneLast: the prune comes after everything else, PostSync hooks included.
    let pl = app(
        "prunelast",
        "prunelast",
        "  syncPolicy: {syncOptions: [CreateNamespace=true, PruneLast=true]}\n",
    );
    let old = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: old}\n";
    let outcome = run(&cluster, &pl, old, true, &BTreeSet::new()).await;
    assert_eq!(
        outcome.phase,
        OperationPhase::Succeeded,
        "{}",
        table(&outcome)
    );
    let new = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: new}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: after\n  annotations: {argocd.argoproj.io/hook: PostSync}\n";
    let outcome = run(&cluster, &pl, new, true, &kinds).await;
    let order: Vec<String> = outcome
        .results
        .iter()
        .map(|r| format!("{} {}", r.key.name, r.status))
        .collect();
    assert_eq!(
        order,
        ["new Synced", "after Synced", "old Pruned"],
        "{}",
        table(&outcome)
    );

    // A copy of a tracked object (same label and tracking id, another name) is not taken
    // for the original: nothing adopts or prunes it.
    let client = tc.client().await;
    let maps: kube::Api<k8s_openapi::api::core::v1::ConfigMap> =
        kube::Api::namespaced(client, "keep");
    let copy: k8s_openapi::api::core::v1::ConfigMap = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "copy", "labels": {"hoist.dev/app": "keep"}, "annotations": {"hoist.dev/tracking-id": "keep:/ConfigMap:keep/kept"}}
    }))
    .expect("configmap");
    maps.create(&Default::default(), &copy)
        .await
        .expect("create");
    let tracked = live::tracked(&cluster, "keep", &kinds)
        .await
        .expect("tracked");
    let names: Vec<&str> = tracked
        .iter()
        .filter_map(|o| o.pointer("/metadata/name").and_then(|v| v.as_str()))
        .collect();
    assert_eq!(names, ["kept"]);
    drop(tc);
    let unreachable = connect(
        &Target {
            name: Some("test".into()),
            server: None,
        },
        Some(&std::env::temp_dir().join("no-such-kubeconfig")),
    )
    .await;
    assert!(
        matches!(unreachable, Err(hoist_kube::KubeError::Kubeconfig { .. })),
        "{unreachable:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_cluster_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!("apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster: {{server: \"https://127.0.0.1:{port}\", insecure-skip-tls-verify: true}}\nusers:\n- name: u\n  user: {{token: t}}\ncontexts:\n- name: gone\n  context: {{cluster: gone, user: u}}\ncurrent-context: gone\n"),
    )
    .expect("write");
    let err = connect(
        &Target {
            server: Some(format!("https://127.0.0.1:{port}")),
            name: None,
        },
        Some(&kubeconfig),
    )
    .await
    .expect_err("nothing listens");
    let message = err.to_string();
    assert!(
        message.starts_with("cannot reach the cluster `https://127.0.0.1:"),
        "{message}"
    );
    let err = connect(
        &Target {
            server: Some("https://elsewhere.example:6443".into()),
            name: None,
        },
        Some(&kubeconfig),
    )
    .await
    .expect_err("no context");
    assert_eq!(
        err.to_string(),
        format!(
            "no kubeconfig context points at the server `https://elsewhere.example:6443` (servers: https://127.0.0.1:{port})"
        )
    );
    let err = connect(
        &Target {
            name: Some("prod".into()),
            server: None,
        },
        Some(&kubeconfig),
    )
    .await
    .expect_err("no context");
    assert_eq!(
        err.to_string(),
        "no kubeconfig context `prod` (contexts: gone)"
    );
}
