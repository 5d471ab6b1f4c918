//! `hoist app` end to end: the bundled example (Helm, Kustomize and plain apps) synced to a
//! real API server and controller manager (`hoist-testcluster`), with health through the
//! fake kubelet.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hoist_testcluster::TestCluster;
use kube::api::{Api, DynamicObject, Patch, PatchParams};

use crate::{git, stderr, stdout, workspace_root};

/// The example as a repository of its own, a data directory, and a cluster.
struct World {
    _dir: tempfile::TempDir,
    repo: PathBuf,
    data: PathBuf,
    cluster: TestCluster,
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("platform");
    copy(&workspace_root().join("examples/platform"), &repo);
    git(&repo, &["init", "-q", "-b", "main"]);
    commit(&repo, "the example");
    let data = dir.path().join("data");
    World {
        repo,
        data,
        cluster: TestCluster::start(),
        _dir: dir,
    }
}

fn commit(repo: &Path, message: &str) -> String {
    git(repo, &["add", "-A"]);
    git(
        repo,
        &[
            "-c",
            "user.name=Ada",
            "-c",
            "user.email=ada@example.com",
            "commit",
            "-qm",
            message,
        ],
    );
    git(repo, &["rev-parse", "HEAD"]).trim().to_owned()
}

impl World {
    fn hoist(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_hoist"))
            .arg("app")
            .args(args)
            .current_dir(&self.repo)
            .env("HOIST_DATA_DIR", &self.data)
            .env("KUBECONFIG", &self.cluster.kubeconfig)
            .env("HOIST_ACTOR", "ada")
            .env_remove("KUBERNETES_SERVICE_HOST")
            .output()
            .unwrap()
    }

    /// A live object, read with a client of the test's own.
    fn live(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Option<serde_json::Value> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let client = self.cluster.client().await;
            let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
            let gvk = kube::core::GroupVersionKind::gvk(group, version, kind);
            let ar = kube::api::ApiResource::from_gvk(&gvk);
            let api: Api<DynamicObject> = Api::namespaced_with(client, namespace, &ar);
            api.get_opt(name)
                .await
                .unwrap()
                .map(|o| serde_json::to_value(o).unwrap())
        })
    }

    fn apply_configmap(&self, namespace: &str, name: &str) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let client = self.cluster.client().await;
            let api: Api<k8s_openapi::api::core::v1::ConfigMap> =
                Api::namespaced(client, namespace);
            let cm: k8s_openapi::api::core::v1::ConfigMap =
                serde_json::from_value(serde_json::json!({"metadata": {"name": name}})).unwrap();
            api.create(&Default::default(), &cm).await.unwrap();
        });
    }

    fn patch(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
        patch: serde_json::Value,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let client = self.cluster.client().await;
            let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
            let ar = kube::api::ApiResource::from_gvk(&kube::core::GroupVersionKind::gvk(
                group, version, kind,
            ));
            let api: Api<DynamicObject> = Api::namespaced_with(client, namespace, &ar);
            api.patch(name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .unwrap();
        });
    }
}

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    )
}

#[test]
fn the_example_syncs_healthy_and_reports_drift() {
    let w = world();
    let app = "platform-staging-billing-service";
    let out = w.hoist(&["sync", app]);
    assert_eq!(code(&out), Some(0), "{}", show(&out));
    let text = stdout(&out);
    assert!(text.contains("Phase:              Succeeded"), "{text}");
    // The migration Job is a PreSync hook: it ran (and was deleted on success) before the
    // Deployment was applied, which is listed after it.
    let hook = text
        .find("platform-staging-billing-service-migrate")
        .expect("the hook is reported");
    let deployment = text.find("Deployment").expect("the deployment is reported");
    assert!(hook < deployment, "{text}");
    assert!(text.contains("PreSync"), "{text}");
    assert!(
        w.live(
            "batch/v1",
            "Job",
            "platform-staging",
            "platform-staging-billing-service-migrate"
        )
        .is_none(),
        "HookSucceeded deletes it"
    );

    let out = w.hoist(&["get", app]);
    assert_eq!(code(&out), Some(0), "{}", show(&out));
    let text = stdout(&out);
    assert!(
        text.contains("Sync Status:        Synced to HEAD"),
        "{text}"
    );
    assert!(text.contains("Health Status:      Healthy"), "{text}");
    assert!(
        text.contains("apps   Deployment  platform-staging"),
        "{text}"
    );

    // Kustomize and plain-directory applications of the example.
    for other in ["platform-staging-infrastructure", "platform-monitoring"] {
        let out = w.hoist(&["sync", other]);
        assert_eq!(code(&out), Some(0), "{other}: {}", show(&out));
    }
    let quota = w
        .live("v1", "ResourceQuota", "platform-staging", "platform-quota")
        .expect("the overlay's quota");
    assert_eq!(
        quota.pointer("/spec/hard/pods").and_then(|v| v.as_str()),
        Some("20")
    );
    assert!(
        w.live("v1", "Service", "platform-monitoring", "platform-status")
            .is_some(),
        "CreateNamespace made the namespace"
    );

    // The tree shows what the controllers made; resources lists what is tracked; an object
    // nobody tracks in the namespace is an orphan; delete removes what an app tracks.
    let out = w.hoist(&["get", app, "-o", "tree"]);
    assert!(
        stdout(&out).contains("└─ReplicaSet") && stdout(&out).contains("└─Pod"),
        "{}",
        show(&out)
    );
    let out = w.hoist(&["resources", app]);
    assert!(
        stdout(&out).contains(&format!("apps   Deployment  platform-staging  {app}")),
        "{}",
        show(&out)
    );
    w.apply_configmap("platform-staging", "left-behind");
    let out = w.hoist(&["resources", app, "--orphaned"]);
    let orphans = stdout(&out);
    assert!(
        orphans.contains("ConfigMap  platform-staging  left-behind"),
        "{}",
        show(&out)
    );
    assert!(
        !orphans.contains(app),
        "tracked objects are no orphans: {orphans}"
    );
    let out = w.hoist(&["delete", "platform-monitoring"]);
    assert_eq!(code(&out), Some(2), "asks for --yes: {}", show(&out));
    let out = w.hoist(&["delete", "platform-monitoring", "--yes"]);
    assert_eq!(code(&out), Some(0), "{}", show(&out));
    assert!(
        stdout(&out).contains("2 resource(s) deleted"),
        "{}",
        show(&out)
    );
    assert!(
        w.live("v1", "Service", "platform-monitoring", "platform-status")
            .is_none()
    );

    // No drift: exit 0, nothing printed.
    let out = w.hoist(&["diff", app]);
    assert_eq!(code(&out), Some(0), "{}", show(&out));
    assert_eq!(stdout(&out), "");
    // Drift: someone scaled the Deployment by hand.
    w.patch(
        "apps/v1",
        "Deployment",
        "platform-staging",
        app,
        serde_json::json!({"spec": {"replicas": 5}}),
    );
    let out = w.hoist(&["diff", app]);
    assert_eq!(code(&out), Some(1), "{}", show(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "===== apps/Deployment platform-staging/{app} ======"
        )),
        "{text}"
    );
    assert!(
        text.contains("-  replicas: 5") && text.contains("+  replicas: 2"),
        "{text}"
    );
    let out = w.hoist(&["get", app, "-o", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc.pointer("/status/sync/status").and_then(|v| v.as_str()),
        Some("OutOfSync"),
        "{}",
        show(&out)
    );

    // `--async` returns at once; `wait` follows the background sync to Synced and Healthy.
    let out = w.hoist(&["sync", app, "--async"]);
    assert_eq!(code(&out), Some(0), "{}", show(&out));
    assert!(
        stdout(&out).contains("started in the background"),
        "{}",
        show(&out)
    );
    let out = w.hoist(&["wait", app, "--timeout", "60"]);
    let logs: String = std::fs::read_dir(w.data.join("apps/logs"))
        .map(|d| {
            d.flatten()
                .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        code(&out),
        Some(0),
        "{}\n--- the background sync's log\n{logs}",
        show(&out)
    );
    let out = w.hoist(&["diff", app]);
    assert_eq!(code(&out), Some(0), "{}", show(&out));

    // History, and rollback refused while auto-sync is on.
    let out = w.hoist(&["history", app]);
    assert_eq!(code(&out), Some(0), "{}", show(&out));
    assert!(
        stdout(&out)
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("1 ") && l.contains("Succeeded") && l.contains("ada")),
        "{}",
        show(&out)
    );
    let out = w.hoist(&["rollback", app, "1"]);
    assert_eq!(code(&out), Some(2), "{}", show(&out));
    assert!(
        stderr(&out).contains("rollback cannot be initiated when auto-sync is enabled"),
        "{}",
        show(&out)
    );

    // A chart that fails to render: helm's message, ComparisonError, nothing applied.
    let broken = "platform-development-model-gateway";
    let template = w
        .repo
        .join("infra/helm/charts/model-gateway/templates/configmap.yaml");
    let text = std::fs::read_to_string(&template).unwrap();
    std::fs::write(
        &template,
        text.replace(
            "data:",
            "data:\n  owner: {{ required \"values must name an owner\" .Values.owner }}",
        ),
    )
    .unwrap();
    commit(&w.repo, "a chart that needs a value");
    let out = w.hoist(&["sync", broken]);
    assert_eq!(code(&out), Some(2), "{}", show(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("application `{broken}`: ComparisonError"))
            && err.contains("values must name an owner"),
        "{err}"
    );
    assert!(err.contains("nothing was applied"), "{err}");
    assert!(
        w.live("apps/v1", "Deployment", "platform-development", broken)
            .is_none()
    );

    // An unreachable cluster: a clear error, health Unknown.
    let dead = w.data.join("dead-kubeconfig");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(&dead, format!("apiVersion: v1\nkind: Config\nclusters:\n- name: d\n  cluster: {{server: \"https://127.0.0.1:{port}\", insecure-skip-tls-verify: true}}\nusers:\n- name: u\n  user: {{token: t}}\ncontexts:\n- name: d\n  context: {{cluster: d, user: u}}\ncurrent-context: d\n")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["app", "get", app])
        .current_dir(&w.repo)
        .env("HOIST_DATA_DIR", &w.data)
        .env("KUBECONFIG", &dead)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(2), "{}", show(&out));
    assert!(
        stderr(&out).contains("health Unknown")
            && stderr(&out).contains("cannot reach the cluster"),
        "{}",
        show(&out)
    );

    // --dry-run changes nothing; --resource syncs only what it names.
    let api = "platform-staging-api-router-service";
    let out = w.hoist(&["sync", api, "--dry-run"]);
    assert_eq!(code(&out), Some(0), "{}", show(&out));
    assert!(stdout(&out).contains("dry run"), "{}", show(&out));
    assert!(
        w.live("apps/v1", "Deployment", "platform-staging", api)
            .is_none()
    );
    let out = w.hoist(&["sync", api, "--resource", &format!("apps:Deployment:{api}")]);
    assert_eq!(code(&out), Some(0), "{}", show(&out));
    assert!(
        w.live("apps/v1", "Deployment", "platform-staging", api)
            .is_some()
    );
    assert!(
        w.live(
            "v1",
            "ConfigMap",
            "platform-staging",
            &format!("{api}-config")
        )
        .is_none()
    );

    // --local: the working tree's chart against the cluster, uncommitted change included.
    let local = w.repo.join("infra/helm/charts/billing-service");
    std::fs::write(
        local.join("values-staging.yaml"),
        "replicaCount: 3\nimage:\n  tag: \"1.4.0\"\n",
    )
    .unwrap();
    let out = w.hoist(&["diff", app, "--local", local.to_str().unwrap()]);
    assert_eq!(code(&out), Some(1), "{}", show(&out));
    assert!(stdout(&out).contains("+  replicas: 3"), "{}", show(&out));

    // Another repository by file:// URL, with Replace=true (the second sync replaces).
    let other = w.repo.parent().unwrap().join("other");
    std::fs::create_dir_all(other.join("manifests")).unwrap();
    std::fs::write(
        other.join("manifests/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-elsewhere}\ndata: {a: b}\n",
    )
    .unwrap();
    git(&other, &["init", "-q", "-b", "main"]);
    commit(&other, "elsewhere");
    let app_file = w.repo.parent().unwrap().join("other-app.yaml");
    std::fs::write(
        &app_file,
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: elsewhere}}\nspec:\n  source: {{repoURL: \"file://{}\", path: manifests}}\n  destination: {{server: https://kubernetes.default.svc, namespace: elsewhere}}\n  syncPolicy: {{syncOptions: [CreateNamespace=true, Replace=true]}}\n",
            other.display()
        ),
    )
    .unwrap();
    for _ in 0..2 {
        let out = w.hoist(&["sync", "elsewhere", "-f", app_file.to_str().unwrap()]);
        assert_eq!(code(&out), Some(0), "{}", show(&out));
    }
    assert!(
        w.live("v1", "ConfigMap", "elsewhere", "from-elsewhere")
            .is_some()
    );
}

#[test]
fn production_syncs_by_hand_rolls_back_and_fails_on_a_bad_image() {
    let w = world();
    let app = "platform-production-api-router-service";
    let chart = w.repo.join("infra/helm/charts/api-router-service");
    let image = |w: &World| {
        w.live("apps/v1", "Deployment", "platform-production", app)
            .and_then(|d| {
                d.pointer("/spec/template/spec/containers/0/image")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_default()
    };
    let first = git(&w.repo, &["rev-parse", "HEAD"]).trim().to_owned();
    let out = w.hoist(&["sync", app]);
    assert_eq!(code(&out), Some(0), "{}", show(&out));
    assert!(image(&w).ends_with(":1.4.0"), "{}", image(&w));

    // A new release: production shows OutOfSync and waits for a manual sync.
    std::fs::write(
        chart.join("values-production.yaml"),
        "replicaCount: 3\nimage:\n  tag: \"1.5.0\"\n",
    )
    .unwrap();
    let second = commit(&w.repo, "release 1.5.0");
    let out = w.hoist(&["get", app]);
    assert!(stdout(&out).contains("OutOfSync to HEAD"), "{}", show(&out));
    let out = w.hoist(&["sync", app]);
    assert_eq!(code(&out), Some(0), "{}", show(&out));
    assert!(stdout(&out).contains(&second), "{}", show(&out));
    assert!(image(&w).ends_with(":1.5.0"));

    // Rollback: the previous successful sync, by default.
    let out = w.hoist(&["rollback", app]);
    assert_eq!(code(&out), Some(0), "{}", show(&out));
    assert!(stdout(&out).contains(&first), "{}", show(&out));
    assert!(image(&w).ends_with(":1.4.0"), "{}", image(&w));
    let out = w.hoist(&["history", app, "--json"]);
    let history: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(history[0]["rollback_of"], 1, "{history}");
    assert_eq!(history[0]["revision"], first.as_str());

    // A bad image: the rollout exceeds its deadline, the sync fails with the reason, and
    // `wait --degraded` sees it.
    std::fs::write(
        chart.join("values-production.yaml"),
        "replicaCount: 2\nprogressDeadlineSeconds: 4\nimage:\n  repository: registry.example.com/does-not-exist\n  tag: \"9.9.9\"\n",
    )
    .unwrap();
    commit(&w.repo, "a broken image");
    let out = w.hoist(&["sync", app, "--timeout", "60"]);
    assert_eq!(code(&out), Some(1), "{}", show(&out));
    let text = stdout(&out);
    assert!(text.contains("Phase:              Failed"), "{text}");
    assert!(
        text.contains("Degraded") && text.contains("ImagePullBackOff"),
        "{text}"
    );
    let out = w.hoist(&["wait", app, "--degraded", "--timeout", "30"]);
    assert_eq!(code(&out), Some(0), "{}", show(&out));
}

/// A `hoist app watch` in the background, stopped when dropped.
struct Watcher(std::process::Child);

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `check` every 200 ms until it holds, for at most `secs` seconds.
fn eventually(secs: u64, what: &str, mut check: impl FnMut() -> bool) -> std::time::Duration {
    let started = std::time::Instant::now();
    while !check() {
        assert!(
            started.elapsed().as_secs() < secs,
            "not within {secs} s: {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    started.elapsed()
}

#[test]
fn the_reconciler_auto_syncs_commits_heals_drift_and_follows_a_revert() {
    let w = world();
    let app = "platform-development-api-router-service";
    let metrics = w.data.join("apps.prom");
    std::fs::create_dir_all(&w.data).unwrap();
    let log = std::fs::File::create(w.data.join("watch.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["app", "watch", app, "--interval", "1", "--metrics-file"])
        .arg(&metrics)
        .current_dir(&w.repo)
        .env("HOIST_DATA_DIR", &w.data)
        .env("KUBECONFIG", &w.cluster.kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let _watcher = Watcher(child);
    let watch_log = || std::fs::read_to_string(w.data.join("watch.log")).unwrap_or_default();
    let image = || {
        w.live("apps/v1", "Deployment", "platform-development", app)
            .and_then(|d| {
                d.pointer("/spec/template/spec/containers/0/image")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_default()
    };
    let replicas = || {
        w.live("apps/v1", "Deployment", "platform-development", app)
            .and_then(|d| {
                d.pointer("/spec/replicas")
                    .and_then(serde_json::Value::as_i64)
            })
    };
    eventually(90, "the first auto-sync", || {
        image().ends_with(":1.5.0-rc.1")
    });
    eventually(60, "Healthy in the metrics", || {
        std::fs::read_to_string(&metrics)
            .unwrap_or_default()
            .contains(&format!(
                "hoist_app_health_status{{app=\"{app}\",health=\"Healthy\"}} 1"
            ))
    });

    // A new commit is synced without anyone asking.
    let chart = w.repo.join("infra/helm/charts/api-router-service");
    std::fs::write(
        chart.join("values-development.yaml"),
        "replicaCount: 1\nimage:\n  tag: \"1.6.0\"\n",
    )
    .unwrap();
    commit(&w.repo, "development gets 1.6.0");
    let took = eventually(60, "the new commit auto-synced", || {
        image().ends_with(":1.6.0")
    });
    eprintln!("new commit live after {took:?}");

    // Drift is corrected by selfHeal, noticed through the watch.
    w.patch(
        "apps/v1",
        "Deployment",
        "platform-development",
        app,
        serde_json::json!({"spec": {"replicas": 4}}),
    );
    let took = eventually(60, "selfHeal put replicas back", || replicas() == Some(1));
    eprintln!("drift healed after {took:?}");

    // Rollback through Git: revert the commit, auto-sync applies the revert.
    git(
        &w.repo,
        &[
            "-c",
            "user.name=Ada",
            "-c",
            "user.email=ada@example.com",
            "revert",
            "--no-edit",
            "HEAD",
        ],
    );
    eventually(60, "the revert auto-synced", || {
        image().ends_with(":1.5.0-rc.1")
    });

    let history = || -> Vec<serde_json::Value> {
        serde_json::from_slice(&w.hoist(&["history", app, "--json"]).stdout).unwrap()
    };
    // The last sync is recorded once the reverted revision is healthy.
    eventually(60, "every sync recorded as succeeded", || {
        history().iter().all(|h| h["phase"] == "Succeeded")
    });
    let history = history();
    assert!(history.len() >= 4, "{history:?}\n{}", watch_log());
    assert!(
        history.iter().all(|h| h["automated"] == true),
        "{history:?}"
    );
    assert!(watch_log().contains("self-heal"), "{}", watch_log());
    // Syncs and every change of status or health are events in the store's audit log.
    let store = hoist_store::Store::open(&w.data.join("hoist.db")).unwrap();
    let events = store
        .audit_log(&hoist_store::AuditFilter {
            limit: 1000,
            ..Default::default()
        })
        .unwrap();
    let syncs = events
        .iter()
        .filter(|e| e.action == "app.sync" && e.actor == "automated")
        .count();
    assert!(syncs >= 4, "{events:?}");
    assert!(
        events.iter().any(|e| e.action == "app.status"
            && e.detail["health"] == "Healthy"
            && e.detail["sync"] == "Synced"),
        "{events:?}"
    );
}

#[test]
fn broken_manifests_are_reported_at_their_line_and_nothing_renders() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("apps.yaml");
    std::fs::write(
        &file,
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web}\nspec:\n  source: {repoURL: ., path: web, helm: {valueFiles: values.yaml}}\n  destination: {server: https://kubernetes.default.svc}\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["app", "manifests", "-f"])
        .arg(&file)
        .current_dir(dir.path())
        .env("HOIST_DATA_DIR", dir.path().join("data"))
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(2), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains("apps.yaml:5:") && err.contains("`spec.source.helm.valueFiles`: invalid type: string \"values.yaml\", expected a sequence"), "{err}");
    assert!(
        err.contains("1 error(s) in the application manifests; nothing was rendered"),
        "{err}"
    );
    assert_eq!(stdout(&out), "");
}

#[test]
fn hoist_serve_reconciles_a_project_and_reports_it_in_its_metrics() {
    let w = world();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::create_dir_all(&w.data).unwrap();
    let log = std::fs::File::create(w.data.join("serve.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--runners",
            "0",
            "--repo",
        ])
        .arg(&w.repo)
        .arg("--apps")
        .arg(&w.repo)
        .current_dir(&w.repo)
        .env("HOIST_DATA_DIR", &w.data)
        .env("KUBECONFIG", &w.cluster.kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let _server = Watcher(child);
    let serve_log = || std::fs::read_to_string(w.data.join("serve.log")).unwrap_or_default();
    let app = "platform-development-api-router-service";
    eventually(120, "the development app auto-synced by the server", || {
        w.live("apps/v1", "Deployment", "platform-development", app)
            .is_some()
    });
    let url = format!("http://127.0.0.1:{port}");
    eventually(120, "Synced and Healthy in /metrics", || {
        let text = crate::server::http_get(&url, "/metrics");
        text.contains(&format!(
            "hoist_app_health_status{{app=\"{app}\",health=\"Healthy\"}} 1"
        )) && text.lines().any(|l| {
            l.starts_with(&format!(
                "hoist_app_sync_status{{app=\"{app}\",status=\"Synced\""
            )) && l.ends_with(" 1")
        })
    });
    // Production is manual: the server reports it and leaves it alone.
    let text = crate::server::http_get(&url, "/metrics");
    assert!(
        text.lines().any(|l| l.starts_with("hoist_app_sync_status{app=\"platform-production-api-router-service\",status=\"OutOfSync\"") && l.ends_with(" 1")),
        "{text}\n{}",
        serve_log()
    );
    assert!(
        w.live(
            "apps/v1",
            "Deployment",
            "platform-production",
            "platform-production-api-router-service"
        )
        .is_none()
    );
    assert!(
        serve_log().contains("reconciling 13 application(s)"),
        "{}",
        serve_log()
    );
}
