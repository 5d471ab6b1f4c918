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
    let text = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: {name}}}\nspec:\n  source: {{repoURL: ., path: x}}\n  destination: {{name: test, namespace: {namespace}}}\n  syncPolicy: {{syncOptions: [CreateNamespace=true]}}\n{extra}"
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
