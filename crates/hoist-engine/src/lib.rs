//! Runs GitHub Actions workflows on this machine.
//!
//! Given a [`RunRequest`] (one workflow, the event, the source to check out), [`run`] schedules
//! the jobs by `needs`, expands matrices, evaluates conditions with GitHub's status rules and
//! runs each step as a process through an [`Executor`]. Progress is reported as [`RunEvent`]s
//! to an [`Observer`]; the engine itself prints nothing and stores nothing.

pub mod action_cache;
mod actions;
mod background;
mod builtin;
mod command_files;
mod concurrency;
mod contexts;
mod environment;
mod errors;
use hoist_events as events;
mod executor;
mod job;
mod job_request;
mod job_state;
mod mask;
mod placement;
mod request;
mod reusable;
mod run;
mod shared;
mod shell;
mod step;
mod step_process;
mod test_reports;
mod workflow_commands;

use std::sync::Arc;
use std::time::Instant;

use indexmap::IndexMap;
use tokio::sync::watch;

pub use command_files::parse_key_values;
pub use errors::EngineError;
pub use events::WIRE_VERSION;
pub use events::{
    Admission, Annotation, AnnotationLevel, Checkout, Conclusion, ConcurrencyClaim, IdTokenGrant,
    JobKey, JobOutcome, JobRequest, NoObserver, Observer, RunEvent,
};
pub use executor::{
    Executor, HostExecutor, ProcessEnd, ProcessMessage, ProcessSpec, end_orphaned_group,
    process_start_ticks,
};
pub use job_request::{JobPlacement, run_job_request};
pub use mask::Masker;
pub use placement::ContainerMode;
pub use request::{DeferredSource, EnvironmentScope, EventInfo, RunRequest, Source, WorkflowFile};
pub use workflow_commands::{WorkflowCommand, parse as parse_workflow_command};

/// The end of a run.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    pub conclusion: Conclusion,
    /// Each top-level job's result and outputs.
    pub jobs: IndexMap<String, (Conclusion, IndexMap<String, String>)>,
}

/// Runs one workflow to the end (or until `cancel` turns true), every job in this process.
pub async fn run<E: Executor>(
    request: RunRequest,
    executor: E,
    observer: Arc<dyn Observer>,
    cancel: watch::Receiver<bool>,
) -> Result<RunOutcome, EngineError> {
    run_with_placement(request, executor, observer, cancel, None).await
}

/// Runs one workflow, planning here and handing each job instance to `placement` as a
/// [`JobRequest`] (a runner elsewhere, say); `None` runs them in this process, as [`run`].
pub async fn run_with_placement<E: Executor>(
    request: RunRequest,
    executor: E,
    observer: Arc<dyn Observer>,
    cancel: watch::Receiver<bool>,
    placement: Option<Arc<dyn JobPlacement>>,
) -> Result<RunOutcome, EngineError> {
    let started = Instant::now();
    let parsed = hoist_workflow::parse_workflow(&request.workflow.text);
    if parsed.has_errors() {
        return Err(EngineError::InvalidWorkflow {
            path: request.workflow.path.clone(),
        });
    }
    let event_path = request.work_dir.join("event.json");
    // Steps read the payload from this file. With a placement no step runs here (each
    // runner writes its own), so a server planning thousands of runs writes none.
    if placement.is_none() {
        std::fs::create_dir_all(&request.work_dir).map_err(|source| EngineError::WorkDir {
            path: request.work_dir.clone(),
            source,
        })?;
        let payload = serde_json::to_vec_pretty(&request.event.payload).unwrap_or_default();
        std::fs::write(&event_path, payload).map_err(|source| EngineError::WorkDir {
            path: event_path.clone(),
            source,
        })?;
    }
    let workflow = parsed.workflow;
    let name = workflow
        .name
        .as_ref()
        .map_or_else(|| request.workflow.path.clone(), |n| n.value.clone());
    let frame = Arc::new(run::Frame {
        prefix: String::new(),
        id_prefix: String::new(),
        matrix: serde_json::Value::Null,
        workflow: Arc::new(workflow),
        workflow_path: request.workflow.path.clone(),
        workflow_text: request.workflow.text.as_str().into(),
        inputs: request.inputs.clone(),
        secrets: request.secrets.clone(),
        top: true,
    });
    observer.on_event(&RunEvent::RunStarted {
        workflow: name,
        workflow_path: request.workflow.path.clone(),
        run_id: request.run_id,
    });
    let mut shared = shared::Shared::new(request, executor, observer.clone(), event_path);
    shared.placement = placement;
    let shared = Arc::new(shared);
    // The workflow's concurrency group, where there is a placement to keep it (a server):
    // the run waits for its turn before any job, or ends cancelled without one.
    if let (Some(placement), Some(concurrency)) = (&shared.placement, &frame.workflow.concurrency) {
        let contexts = run::base_contexts(&shared, &frame);
        let admission =
            match concurrency::claim(concurrency, &contexts, concurrency::WORKFLOW_CONTEXTS) {
                Ok(None) => Admission::Go,
                Ok(Some(claim)) => placement.admit_run(claim, cancel.clone()).await,
                Err(message) => {
                    run::fail_job(&shared, run::pseudo_key("concurrency"), &message);
                    return Ok(finish_early(&observer, Conclusion::Failure, started));
                }
            };
        if let Admission::Cancelled { .. } = admission {
            return Ok(finish_early(&observer, Conclusion::Cancelled, started));
        }
    }
    let results = run::run_workflow(shared.clone(), frame, cancel.clone()).await;
    let cancelled = *cancel.borrow();
    let conclusion = if cancelled {
        Conclusion::Cancelled
    } else if results.values().any(|s| s.result == Conclusion::Failure) {
        Conclusion::Failure
    } else if results.values().any(|s| s.result == Conclusion::Cancelled) {
        Conclusion::Cancelled
    } else {
        Conclusion::Success
    };
    observer.on_event(&RunEvent::RunFinished {
        conclusion,
        duration: started.elapsed(),
    });
    let jobs = results
        .into_iter()
        .map(|(k, s)| (k, (s.result, s.outputs)))
        .collect();
    Ok(RunOutcome { conclusion, jobs })
}

/// The end of a run that never got to its jobs.
fn finish_early(
    observer: &Arc<dyn Observer>,
    conclusion: Conclusion,
    started: Instant,
) -> RunOutcome {
    observer.on_event(&RunEvent::RunFinished {
        conclusion,
        duration: started.elapsed(),
    });
    RunOutcome {
        conclusion,
        jobs: IndexMap::new(),
    }
}
