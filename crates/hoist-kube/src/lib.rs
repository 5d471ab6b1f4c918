//! The only place Hoist talks to Kubernetes (through kube-rs, never `kubectl`): clusters
//! chosen from the kubeconfig as Argo CD chooses destinations, discovery, server-side apply
//! with field manager `hoist`, reading and pruning the objects an application tracks, and
//! the sync operation that drives them through phases and waves until they are healthy.

mod cluster;
mod connect;
mod errors;
pub mod live;
pub mod sync;
pub mod watch;

pub use cluster::{Cluster, Kind};
pub use connect::{IN_CLUSTER_SERVER, Target, connect, kubeconfig_path};
pub use errors::KubeError;

/// The field manager of every apply.
pub const FIELD_MANAGER: &str = "hoist";

/// The label that finds an application's objects with one list per kind; the tracking
/// annotation then confirms each one (see `hoist_deploy::manifest::is_tracked_by`).
pub const APP_LABEL: &str = "hoist.dev/app";
