//! Errors of talking to Kubernetes.

/// Why a cluster operation failed. Messages name the cluster or the object.
#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    #[error("cannot read the kubeconfig `{path}`: {message}")]
    Kubeconfig { path: String, message: String },
    #[error("no kubeconfig context `{name}` (contexts: {known})")]
    NoContext { name: String, known: String },
    #[error("no kubeconfig context points at the server `{server}` (servers: {known})")]
    NoServer { server: String, known: String },
    #[error("cannot reach the cluster `{cluster}`: {message}")]
    Unreachable { cluster: String, message: String },
    #[error(
        "the cluster has no kind `{kind}` in `{api_version}`; is its CustomResourceDefinition installed?"
    )]
    UnknownKind { api_version: String, kind: String },
    #[error("`{object}`: {message}")]
    Rejected { object: String, message: String },
    #[error("`{object}` is namespaced but has no namespace, and the destination names none")]
    NoNamespace { object: String },
}
