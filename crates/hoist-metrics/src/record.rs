//! The metrics document: one JSON record per line for the run, each job and each step.
//!
//! Every record repeats the run's context (workflow, commit, branch, event, runner, attempt)
//! so that a line can be queried on its own, for example by a query engine reading the
//! bucket's `metrics/v1/dt=.../` partitions. The schema is documented in the README; fields
//! are only ever added within a version.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{MetricsError, TestCounts};

/// The `version` field of every record this Hoist writes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Run,
    Job,
    Step,
}

/// One line of a metrics document: the run's context, then what is particular to the run,
/// job or step. Serialised flat, in this field order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub version: u32,
    pub kind: Kind,
    #[serde(flatten)]
    pub run: RunContext,
    #[serde(flatten)]
    pub detail: Detail,
}

/// What every record of a run repeats, so that a line can be read on its own.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunContext {
    /// The repository (or project directory) name.
    pub repo: String,
    pub run_id: i64,
    pub run_number: i64,
    pub attempt: i64,
    pub workflow: String,
    pub workflow_path: String,
    pub event: String,
    pub commit: String,
    pub branch: String,
    pub actor: String,
    pub runner: String,
}

/// The part of a record particular to the run, job or step.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Detail {
    /// The job instance's key, unique in the run: `test (billing-service)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// The job id as written in the workflow (`test`), qualified by the ids of the jobs that
    /// called its reusable workflow (`test / make`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_name: Option<String>,
    /// The matrix values, the calling jobs' included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrix: Option<serde_json::Value>,
    /// The matrix value `service` (the calling jobs' matrices included), when there is one:
    /// per-service figures group on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_index: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<i64>,
    /// success, failure, cancelled, skipped or interrupted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conclusion: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    /// Test counts from JUnit XML the step (or the job's steps) produced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tests: Option<TestCounts>,
}

impl Detail {
    /// A step's detail with its job's fields (`job` … `service`) taken from `job`, as its
    /// record carries them.
    pub fn with_job_of(self, job: &Detail) -> Detail {
        Detail {
            job: job.job.clone(),
            job_id: job.job_id.clone(),
            job_name: job.job_name.clone(),
            matrix: job.matrix.clone(),
            service: job.service.clone(),
            ..self
        }
    }
}

/// Writes one run's document line by line. The run's context is serialised once and spliced
/// into every line, so a run of thousands of steps costs one context, not thousands; a job's
/// fields are serialised once for all its steps ([`DocumentWriter::job_fields`]). The lines
/// are exactly what serialising each [`Record`] gives.
#[derive(Debug)]
pub struct DocumentWriter {
    /// `{"version":1,"kind":"`: how every line starts.
    head: Vec<u8>,
    /// `,"repo":…,"runner":"…"`: the context's fields without braces.
    context: Vec<u8>,
    out: Vec<u8>,
}

/// The fields a step's record repeats from its job's (`job` … `service`, which come first in
/// a [`Detail`]), serialised once.
#[derive(Debug)]
pub struct JobFields(Vec<u8>);

/// The leading fields of a [`Detail`] that a step shares with its job, in their order there.
#[derive(Serialize)]
struct SharedFields<'d> {
    #[serde(skip_serializing_if = "Option::is_none")]
    job: Option<&'d String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    job_id: Option<&'d String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    job_name: Option<&'d String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    matrix: Option<&'d serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<&'d String>,
}

impl DocumentWriter {
    pub fn new(run: &RunContext) -> Self {
        let mut context = Vec::new();
        append_fields(&mut context, run);
        Self {
            head: format!("{{\"version\":{SCHEMA_VERSION},\"kind\":\"").into_bytes(),
            context,
            out: Vec::new(),
        }
    }

    pub fn push(&mut self, kind: Kind, detail: &Detail) {
        self.start_line(kind);
        append_fields(&mut self.out, detail);
        self.out.extend_from_slice(b"}\n");
    }

    /// `job`'s fields that its steps repeat, for [`DocumentWriter::push_step`].
    pub fn job_fields(job: &Detail) -> JobFields {
        let mut fields = Vec::new();
        append_fields(
            &mut fields,
            &SharedFields {
                job: job.job.as_ref(),
                job_id: job.job_id.as_ref(),
                job_name: job.job_name.as_ref(),
                matrix: job.matrix.as_ref(),
                service: job.service.as_ref(),
            },
        );
        JobFields(fields)
    }

    /// A step's line: its job's `fields`, then `step`'s own (its job fields left empty).
    pub fn push_step(&mut self, fields: &JobFields, step: &Detail) {
        self.start_line(Kind::Step);
        self.out.extend_from_slice(&fields.0);
        append_fields(&mut self.out, step);
        self.out.extend_from_slice(b"}\n");
    }

    fn start_line(&mut self, kind: Kind) {
        let kind = match kind {
            Kind::Run => "run",
            Kind::Job => "job",
            Kind::Step => "step",
        };
        self.out.extend_from_slice(&self.head);
        self.out.extend_from_slice(kind.as_bytes());
        self.out.push(b'"');
        self.out.extend_from_slice(&self.context);
    }

    pub fn finish(self) -> String {
        String::from_utf8(self.out).unwrap_or_default()
    }
}

/// Appends a struct's JSON fields to `out` as `,"a":1,"b":2` (nothing for no fields).
fn append_fields(out: &mut Vec<u8>, value: &impl Serialize) {
    let at = out.len();
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.truncate(at);
        return;
    }
    // `{…}` → `,…`; `{}` → nothing.
    out.pop();
    if out.len() == at + 1 {
        out.truncate(at);
    } else {
        out[at] = b',';
    }
}

/// Where a run's document goes in object storage:
/// `metrics/v1/dt=YYYY-MM-DD/<repo>/<run-id>.ndjson`, dated by the run's start (UTC).
pub fn document_key(repo: &str, run_id: i64, started: Timestamp) -> String {
    let date = started.to_zoned(jiff::tz::TimeZone::UTC).date();
    format!(
        "metrics/v{SCHEMA_VERSION}/dt={date}/{}/{run_id}.ndjson",
        key_segment(repo)
    )
}

/// A repository name made safe as one key segment: letters, digits, `-`, `_` and `.` stay,
/// anything else (a `/` in `owner/repo` included) becomes `_`.
pub fn key_segment(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match cleaned.trim_matches('.') {
        "" => "_".to_owned(),
        s => s.to_owned(),
    }
}

/// The document: one record per line, each ending with a newline.
pub fn to_ndjson(records: &[Record]) -> String {
    let mut out = Vec::with_capacity(records.len() * 512);
    for record in records {
        // A record holds only strings, numbers and JSON values: it always serialises.
        if serde_json::to_writer(&mut out, record).is_ok() {
            out.push(b'\n');
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Reads a document back, refusing records of another schema version. Blank lines are
/// allowed.
pub fn parse_document(text: &str) -> Result<Vec<Record>, MetricsError> {
    let mut records = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| MetricsError::Record {
                line: line_no,
                message: e.to_string(),
            })?;
        let version = value.get("version").and_then(serde_json::Value::as_u64);
        match version {
            Some(v) if v == u64::from(SCHEMA_VERSION) => {}
            Some(found) => {
                return Err(MetricsError::Version {
                    line: line_no,
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
            None => {
                return Err(MetricsError::Record {
                    line: line_no,
                    message: "missing field `version`".to_owned(),
                });
            }
        }
        let record = serde_json::from_value(value).map_err(|e| MetricsError::Record {
            line: line_no,
            message: e.to_string(),
        })?;
        records.push(record);
    }
    Ok(records)
}
