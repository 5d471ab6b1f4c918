//! hoist-metrics: JUnit counting on fixture files, the record format, summaries and their
//! Prometheus rendering.

mod junit;
mod records;
mod summary;
