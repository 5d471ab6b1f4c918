//! Choosing and connecting to a cluster: a destination's `name` is a kubeconfig context,
//! its `server` is matched against the kubeconfig's clusters, and Argo CD's in-cluster
//! address (`https://kubernetes.default.svc`) is the Pod's own cluster when Hoist runs in
//! one, else the kubeconfig's current context.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::{Cluster, KubeError};

/// Argo CD's name for the cluster it runs in.
pub const IN_CLUSTER_SERVER: &str = "https://kubernetes.default.svc";

/// Which cluster to talk to, as an Application's destination says.
#[derive(Clone, Debug, Default)]
pub struct Target {
    pub server: Option<String>,
    pub name: Option<String>,
}

impl Target {
    /// How the cluster is shown in tables and messages.
    pub fn label(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.server.clone())
            .unwrap_or_else(|| "in-cluster".into())
    }
}

/// The kubeconfig file in effect: `explicit`, else the first file of `$KUBECONFIG`, else
/// `~/.kube/config`.
pub fn kubeconfig_path(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Some(v) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty())
        && let Some(first) = std::env::split_paths(&v).next()
    {
        return first;
    }
    std::env::var_os("HOME").map_or_else(
        || PathBuf::from(".kube/config"),
        |h| PathBuf::from(h).join(".kube/config"),
    )
}

fn in_pod() -> bool {
    std::env::var_os("KUBERNETES_SERVICE_HOST").is_some()
}

/// Connects to the cluster `target` names and checks that it answers.
pub async fn connect(target: &Target, kubeconfig: Option<&Path>) -> Result<Cluster, KubeError> {
    // rustls needs one crypto provider per process; a second install is a no-op error.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let label = target.label();
    let wants_in_cluster = target.name.as_deref() == Some("in-cluster")
        || target.server.as_deref().map(|s| s.trim_end_matches('/')) == Some(IN_CLUSTER_SERVER)
        || (target.name.is_none() && target.server.is_none());
    let mut config = if wants_in_cluster && in_pod() && kubeconfig.is_none() {
        kube::Config::incluster().map_err(|e| KubeError::Unreachable {
            cluster: label.clone(),
            message: e.to_string(),
        })?
    } else {
        let path = kubeconfig_path(kubeconfig);
        let file = Kubeconfig::read_from(&path).map_err(|e| KubeError::Kubeconfig {
            path: path.display().to_string(),
            message: format!(
                "{e}; set `[apps] kubeconfig`, `$KUBECONFIG`, or write ~/.kube/config"
            ),
        })?;
        let context = choose_context(&file, target, wants_in_cluster)?;
        let options = KubeConfigOptions {
            context: Some(context),
            ..Default::default()
        };
        kube::Config::from_custom_kubeconfig(file, &options)
            .await
            .map_err(|e| KubeError::Kubeconfig {
                path: path.display().to_string(),
                message: e.to_string(),
            })?
    };
    config.connect_timeout = Some(Duration::from_secs(5));
    config.read_timeout = Some(Duration::from_secs(30));
    let client = kube::Client::try_from(config.clone()).map_err(|e| KubeError::Unreachable {
        cluster: label.clone(),
        message: e.to_string(),
    })?;
    Cluster::new(client, label, config.cluster_url.to_string()).await
}

fn choose_context(
    file: &Kubeconfig,
    target: &Target,
    in_cluster: bool,
) -> Result<String, KubeError> {
    let contexts: Vec<String> = file.contexts.iter().map(|c| c.name.clone()).collect();
    if let Some(name) = &target.name
        && name != "in-cluster"
    {
        return if contexts.contains(name) {
            Ok(name.clone())
        } else {
            Err(KubeError::NoContext {
                name: name.clone(),
                known: contexts.join(", "),
            })
        };
    }
    if in_cluster {
        return file
            .current_context
            .clone()
            .or_else(|| contexts.first().cloned())
            .ok_or_else(|| KubeError::NoContext {
                name: "(current)".into(),
                known: "none".into(),
            });
    }
    let server = target
        .server
        .as_deref()
        .unwrap_or_default()
        .trim_end_matches('/');
    let cluster_of = |context: &str| -> Option<String> {
        let c = file
            .contexts
            .iter()
            .find(|c| c.name == context)?
            .context
            .as_ref()?
            .cluster
            .clone();
        file.clusters
            .iter()
            .find(|n| n.name == c)?
            .cluster
            .as_ref()?
            .server
            .clone()
    };
    // The current context first, so the user's choice wins when several point there.
    let mut order: Vec<String> = file.current_context.iter().cloned().collect();
    order.extend(contexts.iter().cloned());
    for context in order {
        if cluster_of(&context).is_some_and(|s| s.trim_end_matches('/') == server) {
            return Ok(context);
        }
    }
    let known: Vec<String> = file
        .clusters
        .iter()
        .filter_map(|c| c.cluster.as_ref()?.server.clone())
        .collect();
    Err(KubeError::NoServer {
        server: server.to_owned(),
        known: known.join(", "),
    })
}
