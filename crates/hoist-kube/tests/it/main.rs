//! hoist-kube's tests, against a real API server and controller manager
//! (`hoist-testcluster`). Each test starts its own cluster.

mod sync;
