//! hoist-deploy's tests: data-driven, one module per area.

mod applications;
mod appset;
mod diff;
mod health;
mod order;

/// The directory of this crate's test fixtures.
pub(crate) fn data_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}
