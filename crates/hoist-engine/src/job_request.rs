//! Job instances as requests: the planner's side builds a [`JobRequest`] for each instance it
//! decides to run, a [`JobPlacement`] hands it to whoever runs it, and [`run_job_request`] is
//! the runner's side. Both sides share `job::run_job` with `hoist run`: one engine, whether
//! the job runs in this process or on another machine.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use hoist_events::{
    Admission, ConcurrencyClaim, JobOutcome, JobRequest, Observer, WIRE_VERSION, WorkflowFile,
};
use hoist_expr::{Object, Value};
use indexmap::IndexMap;
use tokio::sync::watch;

use crate::errors::EngineError;
use crate::executor::Executor;
use crate::job::{JobBase, run_job};
use crate::request::RunRequest;
use crate::run::Frame;
use crate::shared::Shared;

/// Where job instances run when not in the planning process: given a request, it runs the
/// job (reporting its events to the run's observer, directly or through a store) and
/// answers with the outcome. `cancel` turns true when the run is cancelled.
///
/// A job's `concurrency:` travels in its request (`JobRequest::concurrency`): `run` keeps it
/// out of the way until its group lets it go. The run's own group is `admit_run`'s, asked
/// before any job; by default (`hoist run`, one run alone) every run goes at once.
pub trait JobPlacement: Send + Sync {
    fn run(
        &self,
        request: JobRequest,
        cancel: watch::Receiver<bool>,
    ) -> Pin<Box<dyn Future<Output = JobOutcome> + Send + 'static>>;

    /// Waits until the run's concurrency group `claim` lets it run, or says why it will not.
    fn admit_run(
        &self,
        claim: ConcurrencyClaim,
        cancel: watch::Receiver<bool>,
    ) -> Pin<Box<dyn Future<Output = Admission> + Send + 'static>> {
        let _ = (claim, cancel);
        Box::pin(async { Admission::Go })
    }
}

/// The request for one instance: what the planner decided, nothing of this machine.
pub(crate) fn request<E: Executor>(
    shared: &Arc<Shared<E>>,
    frame: &Frame,
    job_id: &str,
    key: &hoist_events::JobKey,
    contexts: &Object,
    workflow_env: &IndexMap<String, String>,
) -> JobRequest {
    let req = &shared.req;
    // Only the secrets this job can see: a runner never learns another environment's.
    let masked = match contexts.get("secrets") {
        Some(Value::Object(secrets)) => secrets
            .iter()
            .filter_map(|(_, v)| match v {
                Value::String(s) if !s.is_empty() => Some(s.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    JobRequest {
        version: WIRE_VERSION,
        run_id: req.run_id,
        run_number: req.run_number,
        run_attempt: req.run_attempt,
        run_workflow_path: req.workflow.path.clone(),
        workflow: WorkflowFile {
            path: frame.workflow_path.clone(),
            text: frame.workflow_text.to_string(),
        },
        job_id: job_id.to_owned(),
        runs_on: frame
            .workflow
            .jobs
            .get(job_id)
            .and_then(|job| {
                let scope = crate::contexts::ExprScope {
                    contexts,
                    status: crate::contexts::Status::default(),
                    workspace: None,
                };
                crate::placement::wanted_labels(job, &scope).ok()
            })
            .unwrap_or_default(),
        key: key.clone(),
        event: req.event.clone(),
        contexts: Value::object(contexts.clone()).to_json(),
        workflow_env: workflow_env
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        masked,
        debug: req.debug,
        checkout: None,
        concurrency: None,
        environment: None,
        id_token_permission: frame
            .workflow
            .jobs
            .get(job_id)
            .is_some_and(|job| grants_id_token(job, &frame.workflow)),
        id_token: None,
    }
}

/// Whether the job's `permissions` (else the workflow's) give `id-token: write`, as GitHub
/// decides it: `write-all`, or the scope set to `write`. Without `permissions` anywhere the
/// default token has no `id-token` scope.
fn grants_id_token(job: &hoist_workflow::model::Job, workflow: &hoist_workflow::Workflow) -> bool {
    let Some(node) = job.permissions.as_ref().or(workflow.permissions.as_ref()) else {
        return false;
    };
    match node.as_str() {
        Some(all) => all == "write-all",
        None => node.get("id-token").and_then(|v| v.as_str()) == Some("write"),
    }
}

/// Runs one job instance from its request on this machine. `host` describes the machine:
/// its work directory (one per run: the event file and workspaces go there), caches, labels,
/// tool paths and checkout source; what it says about the run itself (workflow, event, run
/// numbers, secrets) is replaced by the request's.
pub async fn run_job_request<E: Executor>(
    request: JobRequest,
    host: RunRequest,
    executor: E,
    observer: Arc<dyn Observer>,
    cancel: watch::Receiver<bool>,
) -> Result<JobOutcome, EngineError> {
    if !request.is_supported() {
        return Err(EngineError::UnsupportedRequest {
            version: request.version,
            supported: WIRE_VERSION,
        });
    }
    let parsed = hoist_workflow::parse_workflow(&request.workflow.text);
    if parsed.has_errors() {
        return Err(EngineError::InvalidWorkflow {
            path: request.workflow.path.clone(),
        });
    }
    let workflow = parsed.workflow;
    let Some(job) = workflow.jobs.get(&request.job_id) else {
        return Err(EngineError::UnknownJob {
            job: request.job_id.clone(),
            path: request.workflow.path.clone(),
        });
    };
    let Value::Object(contexts) = Value::from_json(&request.contexts) else {
        return Err(EngineError::BadContexts);
    };
    let mut run = host;
    run.workflow = WorkflowFile {
        path: request.run_workflow_path.clone(),
        text: String::new(),
    };
    run.event = request.event.clone();
    run.run_id = request.run_id;
    run.run_number = request.run_number;
    run.run_attempt = request.run_attempt;
    run.debug = request.debug;
    run.secrets = IndexMap::new();
    run.environments = IndexMap::new();
    std::fs::create_dir_all(&run.work_dir).map_err(|source| EngineError::WorkDir {
        path: run.work_dir.clone(),
        source,
    })?;
    let event_path: PathBuf = run.work_dir.join("event.json");
    let payload = serde_json::to_vec_pretty(&request.event.payload).unwrap_or_default();
    std::fs::write(&event_path, payload).map_err(|source| EngineError::WorkDir {
        path: event_path.clone(),
        source,
    })?;
    let shared = Arc::new(Shared::new(run, executor, observer, event_path));
    for value in &request.masked {
        shared.masker.add(value);
    }
    let mut workflow_env: IndexMap<String, String> = request.workflow_env.iter().cloned().collect();
    // What `core.getIDToken()` and `curl "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=…"` use,
    // as GitHub's runner sets them, only for a job granted `id-token: write`.
    if let Some(grant) = &request.id_token {
        shared.masker.add(&grant.token);
        workflow_env.insert("ACTIONS_ID_TOKEN_REQUEST_URL".to_owned(), grant.url.clone());
        workflow_env.insert(
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN".to_owned(),
            grant.token.clone(),
        );
    }
    let base = JobBase {
        contexts: (*contexts).clone(),
        workflow_env,
    };
    let outcome = run_job(&shared, &workflow, job, &request.key, base, cancel).await;
    Ok(JobOutcome {
        result: outcome.result,
        outputs: outcome.outputs.into_iter().collect(),
        environment_url: outcome.environment_url,
        reason: None,
    })
}
