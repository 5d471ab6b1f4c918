//! The run vocabulary shared by everything that takes part in a run: the engine that reports,
//! the store that records, and (over the wire) servers and runners. How a step, job or run
//! ended, which job instance an event is about, the events themselves, and the observer that
//! receives them.
//!
//! A leaf: no runtime, no I/O. The serde forms are the wire forms; [`WIRE_VERSION`] names
//! them, and a change that an older reader cannot take raises it.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

mod job_request;

pub use job_request::{
    Admission, Checkout, ConcurrencyClaim, EventInfo, IdTokenGrant, JobOutcome, JobRequest,
    WorkflowFile,
};

/// The version of the serialized forms of this crate's types.
pub const WIRE_VERSION: u32 = 1;

/// How a step, job or run ended, with GitHub's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Conclusion {
    Success,
    Failure,
    Cancelled,
    Skipped,
}

impl Conclusion {
    pub fn as_str(self) -> &'static str {
        match self {
            Conclusion::Success => "success",
            Conclusion::Failure => "failure",
            Conclusion::Cancelled => "cancelled",
            Conclusion::Skipped => "skipped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "success" => Some(Conclusion::Success),
            "failure" => Some(Conclusion::Failure),
            "cancelled" => Some(Conclusion::Cancelled),
            "skipped" => Some(Conclusion::Skipped),
            _ => None,
        }
    }
}

/// Severity of an annotation from `::error::`, `::warning::` or `::notice::`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnnotationLevel {
    Error,
    Warning,
    Notice,
}

impl AnnotationLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AnnotationLevel::Error => "error",
            AnnotationLevel::Warning => "warning",
            AnnotationLevel::Notice => "notice",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotation {
    pub level: AnnotationLevel,
    pub message: String,
    pub title: Option<String>,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

/// A job instance: one job, one matrix combination, within one (possibly nested) workflow.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct JobKey {
    /// Unique within the run: `build`, `build (api, linux)`, `call / make (api)`.
    pub id: String,
    /// The job id as written in the workflow (`build`).
    pub job_id: String,
    /// The job id qualified by the ids of the jobs that called its reusable workflow
    /// (`call / make`); the job id itself at the top level.
    pub path: String,
    /// The name shown to people.
    pub name: String,
    /// The matrix values the instance runs with, as a JSON object (its callers' included, its
    /// own winning), or null.
    pub matrix: serde_json::Value,
}

/// What happened in a run. Observers receive every event of a job instance in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RunEvent {
    RunStarted {
        workflow: String,
        workflow_path: String,
        run_id: u64,
    },
    /// A job instance is planned (known by name) but may wait for its dependencies.
    JobQueued {
        job: JobKey,
    },
    JobStarted {
        job: JobKey,
        at: SystemTime,
    },
    StepStarted {
        job: JobKey,
        index: usize,
        name: String,
        at: SystemTime,
    },
    /// A step's process started as the leader of process group `pgid` (with its start time,
    /// which tells it from a later process given the same number): recorded so that a later
    /// Hoist can end what a killed one left running.
    StepProcess {
        job: JobKey,
        index: usize,
        pgid: u32,
        start_ticks: u64,
    },
    /// One line of output, already masked. `step` is `None` for job set-up messages.
    Log {
        job: JobKey,
        step: Option<usize>,
        line: String,
    },
    Annotation {
        job: JobKey,
        step: Option<usize>,
        annotation: Annotation,
    },
    StepFinished {
        job: JobKey,
        index: usize,
        name: String,
        outcome: Conclusion,
        conclusion: Conclusion,
        exit_code: Option<i32>,
        duration: Duration,
        outputs: Vec<(String, String)>,
        summary: Option<String>,
    },
    /// Test counts from the JUnit XML a step wrote; sent just before its `StepFinished`.
    TestReport {
        job: JobKey,
        index: usize,
        counts: hoist_metrics::TestCounts,
    },
    /// The job instance is not run on this machine (another platform, a container), and why;
    /// sent just before its `JobFinished` with `Skipped`.
    JobNotRunHere {
        job: JobKey,
        reason: String,
    },
    /// The job's earlier attempt was lost with its runner: what that attempt recorded is
    /// dropped, and the job starts again (attempt 2 and on).
    JobRetried {
        job: JobKey,
        attempt: u32,
        reason: String,
    },
    JobFinished {
        job: JobKey,
        result: Conclusion,
        duration: Duration,
        outputs: Vec<(String, String)>,
    },
    /// A file uploaded by `actions/upload-artifact`.
    Artifact {
        job: JobKey,
        name: String,
        path: std::path::PathBuf,
        size: u64,
    },
    RunFinished {
        conclusion: Conclusion,
        duration: Duration,
    },
}

/// Receives events. Must be quick: it is called from the engine's tasks.
pub trait Observer: Send + Sync {
    fn on_event(&self, event: &RunEvent);
}

/// Discards events.
#[derive(Debug, Default)]
pub struct NoObserver;

impl Observer for NoObserver {
    fn on_event(&self, _event: &RunEvent) {}
}
