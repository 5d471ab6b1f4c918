//! GitOps delivery's pure core: what an application is, what it renders to, in which order
//! its resources are applied, how healthy they are and how they differ from the cluster.
//!
//! Nothing here touches a cluster, a process or the file system: [`application`] and
//! [`appset`] read Argo CD's manifests from text, [`source`] decides how a source is rendered
//! (the `helm template` arguments, the kustomization overrides) without running anything,
//! [`manifest`] reads rendered objects, [`order`] sorts them into phases and waves,
//! [`health`] assesses live objects with Argo CD's rules, and [`diff`] compares desired
//! and live objects after normalising them. The adapters (`hoist-render` runs the tools,
//! `hoist-kube` talks to Kubernetes) feed these functions and act on their answers.

pub mod application;
pub mod appset;
pub mod diff;
mod errors;
mod gotemplate;
pub mod health;
pub mod manifest;
pub mod order;
pub mod source;
mod yaml_value;

pub use application::{Application, parse_applications};
pub use errors::TemplateError;
pub use manifest::{Resource, ResourceKey, TRACKING_ANNOTATION};
pub use yaml_value::{locate_path, to_yaml};
