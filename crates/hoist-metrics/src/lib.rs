//! Pipeline metrics, as pure functions: the versioned NDJSON record schema written for every
//! run, JUnit XML test counts, summaries over a window (success rates, percentiles, slowest
//! steps, flaky jobs) and the Prometheus text rendering of a summary. No IO: callers hand in
//! records and text.

mod errors;
pub mod junit;
pub mod prometheus;
mod record;
pub mod summary;

pub use errors::MetricsError;
pub use junit::TestCounts;
pub use record::{
    Detail, DocumentWriter, JobFields, Kind, Record, RunContext, SCHEMA_VERSION, document_key,
    key_segment, parse_document, to_ndjson,
};
pub use summary::{Summary, Window, summarise};
