//! A real Kubernetes API for tests, on loopback: Debian's `etcd`, and `kube-apiserver` and
//! `kube-controller-manager` 1.20.2 built from Debian's sources (`cargo xtask setup`), so
//! Deployments really create ReplicaSets and Pods and Jobs really complete.
//!
//! No container runtime runs here, so [`fake_kubelet`] stands in for the kubelet, as kwok
//! does: it registers a Node, binds every Pod to it and writes the status a kubelet would
//! (Running and Ready with an IP; Job Pods Succeeded). Images name the failure to play:
//! one containing `does-not-exist` stays in `ImagePullBackOff`, `crashloop` crash-loops,
//! and a Job Pod's image containing `fail` fails. Health is therefore never faked above
//! the Pod: rollouts progress, stall and exceed their deadlines through the real
//! controllers.

mod fake_kubelet;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hoist_testbed::program;

/// The token the test client authenticates with (a static token file: no certificates to
/// issue for users).
pub const TOKEN: &str = "hoist-test-token";

/// A running test cluster; everything stops and is removed when it is dropped.
#[derive(Debug)]
pub struct TestCluster {
    pub dir: tempfile::TempDir,
    /// A kubeconfig with one context, `test`, whose server is [`TestCluster::server`].
    pub kubeconfig: PathBuf,
    pub server: String,
    children: Vec<(String, Child)>,
    kubelet: Option<fake_kubelet::Handle>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

fn spawn(name: &str, command: &mut Command, log: &Path) -> Child {
    let file = std::fs::File::create(log).expect("log file");
    command
        .stdin(Stdio::null())
        .stdout(file.try_clone().expect("log"))
        .stderr(file)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"))
}

impl TestCluster {
    /// Starts etcd, the API server, the controller manager and the fake kubelet, and waits
    /// until the API answers and the node is ready.
    ///
    /// The ports are picked free and then handed to etcd and the API server, so a test
    /// running alongside can take one in between; a start that lost its port that way is
    /// tried again on new ones (a few times), any other failure ends the test.
    pub fn start() -> TestCluster {
        let mut attempt = 1;
        loop {
            match Self::try_start() {
                Ok(cluster) => return cluster,
                Err(message) if message.contains("address already in use") && attempt < 5 => {
                    attempt += 1;
                }
                Err(message) => panic!("{message}"),
            }
        }
    }

    fn try_start() -> Result<TestCluster, String> {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let (etcd_port, peer_port, api_port) = (free_port(), free_port(), free_port());
        let key = d.join("sa.key");
        let ok = Command::new(hoist_testbed::tools::system_command("openssl"))
            .args(["genrsa", "-out"])
            .arg(&key)
            .arg("2048")
            .stderr(Stdio::null())
            .status()
            .expect("openssl");
        assert!(ok.success(), "openssl genrsa failed");
        std::fs::write(
            d.join("tokens.csv"),
            format!("{TOKEN},admin,admin,system:masters\n"),
        )
        .expect("tokens");
        let mut children = Vec::new();
        let etcd_url = format!("http://127.0.0.1:{etcd_port}");
        children.push((
            "etcd".to_owned(),
            spawn(
                "etcd",
                Command::new(hoist_testbed::tools::system_command("etcd"))
                    .arg("--data-dir")
                    .arg(d.join("etcd"))
                    .args([
                        "--listen-client-urls",
                        &etcd_url,
                        "--advertise-client-urls",
                        &etcd_url,
                    ])
                    .args([
                        "--listen-peer-urls",
                        &format!("http://127.0.0.1:{peer_port}"),
                    ])
                    .args([
                        "--initial-advertise-peer-urls",
                        &format!("http://127.0.0.1:{peer_port}"),
                    ])
                    .args([
                        "--initial-cluster",
                        &format!("default=http://127.0.0.1:{peer_port}"),
                    ])
                    .args(["--unsafe-no-fsync"]),
                &d.join("etcd.log"),
            ),
        ));
        let server = format!("https://127.0.0.1:{api_port}");
        children.push((
            "kube-apiserver".to_owned(),
            spawn(
                "kube-apiserver",
                Command::new(program("kube-apiserver"))
                    .args(["--etcd-servers", &etcd_url, "--bind-address", "127.0.0.1"])
                    .args([
                        "--secure-port",
                        &api_port.to_string(),
                        "--insecure-port",
                        "0",
                    ])
                    .arg("--cert-dir")
                    .arg(d.join("certs"))
                    .arg("--token-auth-file")
                    .arg(d.join("tokens.csv"))
                    .args(["--authorization-mode", "AlwaysAllow"])
                    .arg("--service-account-key-file")
                    .arg(&key)
                    .arg("--service-account-signing-key-file")
                    .arg(&key)
                    .args(["--service-account-issuer", "https://kubernetes.default.svc"])
                    .args(["--service-cluster-ip-range", "10.0.0.0/24"])
                    // No token controller runs, so Pods must not wait for service account
                    // tokens.
                    .args(["--disable-admission-plugins", "ServiceAccount"]),
                &d.join("kube-apiserver.log"),
            ),
        ));
        let kubeconfig = d.join("kubeconfig");
        std::fs::write(
            &kubeconfig,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: {server}\n    insecure-skip-tls-verify: true\nusers:\n- name: admin\n  user:\n    token: {TOKEN}\ncontexts:\n- name: test\n  context: {{cluster: test, user: admin, namespace: default}}\ncurrent-context: test\n"
            ),
        )
        .expect("kubeconfig");
        let mut cluster = TestCluster {
            dir,
            kubeconfig,
            server,
            children,
            kubelet: None,
        };
        cluster.wait_for_api()?;
        let d = cluster.dir.path().to_path_buf();
        cluster.children.push((
            "kube-controller-manager".to_owned(),
            spawn(
                "kube-controller-manager",
                Command::new(program("kube-controller-manager"))
                    .arg("--kubeconfig")
                    .arg(&cluster.kubeconfig)
                    .args(["--leader-elect=false", "--port", "0", "--secure-port", "0"])
                    // No kubelet heartbeats: the node lifecycle controller would evict.
                    .args(["--controllers", "*,-serviceaccount-token,-nodelifecycle"])
                    .args([
                        "--use-service-account-credentials=false",
                        "--concurrent-deployment-syncs",
                        "10",
                    ]),
                &d.join("kube-controller-manager.log"),
            ),
        ));
        cluster.kubelet = Some(fake_kubelet::start(&cluster.kubeconfig));
        Ok(cluster)
    }

    /// Waits for the API server; `Err` with the log of a component that exited meanwhile.
    fn wait_for_api(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let exited = self.children.iter_mut().find_map(|(name, child)| {
                child.try_wait().ok().flatten().map(|s| (name.clone(), s))
            });
            if let Some((name, status)) = exited {
                return Err(format!(
                    "{name} exited with {status}:\n{}",
                    self.log_tail(&name)
                ));
            }
            // The version answers once the API server serves; discovery needs the bootstrap
            // (default namespaces, priority classes) done too, which `/readyz` reports.
            let ready = api_ready(&self.kubeconfig);
            if ready {
                return Ok(());
            }
            assert!(
                Instant::now() < deadline,
                "kube-apiserver not ready after 90 s:\n{}",
                self.log_tail("kube-apiserver")
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The last lines of a component's log, for failure messages.
    pub fn log_tail(&self, name: &str) -> String {
        let text = std::fs::read_to_string(self.dir.path().join(format!("{name}.log")))
            .unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// A client for the cluster (for a test's own checks), on the caller's runtime.
    pub async fn client(&self) -> kube::Client {
        client_for(&self.kubeconfig).await
    }
}

/// Whether `/readyz` answers `ok`, asked from a thread of its own (the caller may be on a
/// runtime already).
fn api_ready(kubeconfig: &Path) -> bool {
    let kubeconfig = kubeconfig.to_path_buf();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let client = client_for(&kubeconfig).await;
            let request = http::Request::get("/readyz")
                .body(Vec::new())
                .expect("request");
            matches!(client.request_text(request).await, Ok(text) if text.trim() == "ok")
        })
    })
    .join()
    .unwrap_or(false)
}

pub(crate) async fn client_for(kubeconfig: &Path) -> kube::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let file = kube::config::Kubeconfig::read_from(kubeconfig).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(file, &Default::default())
        .await
        .expect("config");
    kube::Client::try_from(config).expect("client")
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        if let Some(k) = self.kubelet.take() {
            k.stop();
        }
        for (_, child) in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
