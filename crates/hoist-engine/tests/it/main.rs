//! The engine as a library: a run whose jobs go out as requests (serialized, as they would
//! travel to a runner) must end exactly as a run whose jobs run in place.

#![allow(clippy::unwrap_used)] // a panic is how a test reports failure

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hoist_engine::{
    ContainerMode, EventInfo, HostExecutor, JobOutcome, JobPlacement, JobRequest, Observer,
    RunEvent, RunRequest, Source, WorkflowFile, run, run_job_request, run_with_placement,
};
use indexmap::IndexMap;
use tokio::sync::watch;

const WORKFLOW: &str = r#"
on: push
env:
  GREETING: hello
jobs:
  build:
    strategy:
      # One leg after the other: the last leg's output wins, so the order must be fixed.
      max-parallel: 1
      matrix:
        service: [api, web]
    runs-on: ubuntu-latest
    outputs:
      image: ${{ steps.tag.outputs.image }}
    steps:
      - id: tag
        run: echo "image=${{ matrix.service }}:${{ github.sha }}" >> "$GITHUB_OUTPUT"
      - run: echo "$GREETING ${{ matrix.service }} token=${{ secrets.TOKEN }} job ${{ strategy.job-index }}"
  deploy:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: echo "deploying ${{ needs.build.outputs.image }} on ${{ github.event_name }} at $GITHUB_SHA"
      - run: echo "workflow ref $GITHUB_WORKFLOW_REF, run $GITHUB_RUN_ID"
"#;

fn request(work_dir: &Path) -> RunRequest {
    let mut secrets = IndexMap::new();
    secrets.insert("TOKEN".to_owned(), "s3cr3t-value".to_owned());
    RunRequest {
        workflow: WorkflowFile {
            path: ".github/workflows/ci.yml".to_owned(),
            text: WORKFLOW.to_owned(),
        },
        project_root: work_dir.to_path_buf(),
        source: Source::default(),
        event: EventInfo {
            name: "push".to_owned(),
            payload: serde_json::json!({"ref": "refs/heads/main"}),
            sha: "0123456789abcdef0123456789abcdef01234567".to_owned(),
            git_ref: "refs/heads/main".to_owned(),
            actor: "tester".to_owned(),
            repository: "acme/platform".to_owned(),
            ..EventInfo::default()
        },
        inputs: serde_json::Map::new(),
        secrets,
        vars: IndexMap::new(),
        environments: IndexMap::new(),
        run_id: 7,
        run_number: 3,
        run_attempt: 1,
        work_dir: work_dir.join("work"),
        job_filter: None,
        matrix_filter: Vec::new(),
        reuse: IndexMap::new(),
        parallelism: 2,
        kill_grace: Duration::from_secs(1),
        action_cache: None,
        cache_dir: work_dir.join("cache"),
        artifact_dir: work_dir.join("artifacts"),
        debug: false,
        runner_labels: Vec::new(),
        mapped_labels: Vec::new(),
        container_mode: ContainerMode::Skip,
        junit: Vec::new(),
        tool_paths: Vec::new(),
    }
}

/// Keeps every event.
#[derive(Default)]
struct Events(Mutex<Vec<RunEvent>>);

impl Observer for Events {
    fn on_event(&self, event: &RunEvent) {
        self.0.lock().unwrap().push(event.clone());
    }
}

impl Events {
    /// What a person would compare: each log line and each step's end, by job, sorted (jobs
    /// run in parallel, so the order between them is not fixed).
    fn transcript(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                RunEvent::Log { job, step, line } => Some(format!("{} [{step:?}] {line}", job.id)),
                RunEvent::StepFinished {
                    job,
                    index,
                    name,
                    conclusion,
                    outputs,
                    ..
                } => Some(format!(
                    "{} step {index} {name}: {} {outputs:?}",
                    job.id,
                    conclusion.as_str()
                )),
                RunEvent::JobFinished {
                    job,
                    result,
                    outputs,
                    ..
                } => Some(format!(
                    "{} finished {} {outputs:?}",
                    job.id,
                    result.as_str()
                )),
                _ => None,
            })
            .collect();
        lines.sort();
        lines
    }
}

/// A runner in the same process: each request is serialized to JSON and read back, as it
/// would cross the wire, then run by `run_job_request` on a machine of its own.
struct Loopback {
    host: RunRequest,
    observer: Arc<Events>,
    received: Arc<Mutex<Vec<String>>>,
}

impl JobPlacement for Loopback {
    fn run(
        &self,
        request: JobRequest,
        cancel: watch::Receiver<bool>,
    ) -> Pin<Box<dyn Future<Output = JobOutcome> + Send + 'static>> {
        let wire = serde_json::to_string(&request).unwrap();
        self.received.lock().unwrap().push(request.key.id.clone());
        let (host, observer) = (self.host.clone(), self.observer.clone());
        Box::pin(async move {
            let request: JobRequest = serde_json::from_str(&wire).unwrap();
            run_job_request(request, host, HostExecutor, observer, cancel)
                .await
                .unwrap()
        })
    }
}

#[test]
fn jobs_run_from_requests_end_as_jobs_run_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (_cancel_tx, cancel) = watch::channel(false);

    let in_place = Arc::new(Events::default());
    let local = runtime
        .block_on(run(
            request(&dir.path().join("local")),
            HostExecutor,
            in_place.clone(),
            cancel.clone(),
        ))
        .unwrap();

    let placed = Arc::new(Events::default());
    let received = Arc::new(Mutex::new(Vec::new()));
    // The runner's machine: its own directories, and it knows nothing of the run.
    let mut host = request(&dir.path().join("runner"));
    host.workflow.text = String::new();
    host.secrets = IndexMap::new();
    host.event = EventInfo::default();
    let loopback = Loopback {
        host,
        observer: placed.clone(),
        received: received.clone(),
    };
    let remote = runtime
        .block_on(run_with_placement(
            request(&dir.path().join("planner")),
            HostExecutor,
            placed.clone(),
            cancel,
            Some(Arc::new(loopback)),
        ))
        .unwrap();

    let mut received = received.lock().unwrap().clone();
    received.sort();
    assert_eq!(received, ["build (api)", "build (web)", "deploy"]);
    assert_eq!(remote.conclusion, local.conclusion);
    assert_eq!(format!("{:?}", remote.jobs), format!("{:?}", local.jobs));
    let transcript = in_place.transcript();
    assert!(
        transcript
            .iter()
            .any(|l| l.contains("deploying web:0123456789abcdef0123456789abcdef01234567 on push")),
        "{transcript:#?}"
    );
    assert!(
        transcript.iter().any(|l| l.contains("token=*** job 1")),
        "{transcript:#?}"
    );
    assert!(
        !transcript.iter().any(|l| l.contains("s3cr3t-value")),
        "{transcript:#?}"
    );
    assert_eq!(placed.transcript(), transcript);
}

#[test]
fn a_request_from_a_newer_planner_is_refused_with_the_versions() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let request = JobRequest {
        version: hoist_engine::WIRE_VERSION + 1,
        run_id: 1,
        run_number: 1,
        run_attempt: 1,
        run_workflow_path: ".github/workflows/ci.yml".to_owned(),
        workflow: WorkflowFile {
            path: ".github/workflows/ci.yml".to_owned(),
            text: WORKFLOW.to_owned(),
        },
        job_id: "deploy".to_owned(),
        runs_on: vec!["ubuntu-latest".to_owned()],
        key: hoist_engine::JobKey {
            id: "deploy".to_owned(),
            job_id: "deploy".to_owned(),
            path: "deploy".to_owned(),
            name: "deploy".to_owned(),
            matrix: serde_json::Value::Null,
        },
        event: EventInfo::default(),
        contexts: serde_json::json!({}),
        workflow_env: Vec::new(),
        masked: Vec::new(),
        debug: false,
        checkout: None,
        concurrency: None,
        environment: None,
        id_token_permission: false,
        id_token: None,
    };
    let (_tx, cancel) = watch::channel(false);
    let err = runtime
        .block_on(run_job_request(
            request,
            self::request(dir.path()),
            HostExecutor,
            Arc::new(Events::default()),
            cancel,
        ))
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("version 2") && message.contains("up to 1"),
        "{message}"
    );
}

#[test]
fn a_step_env_over_ten_mebibytes_fails_with_the_runner_s_message() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut req = request(dir.path());
    req.workflow.text = "on: push\njobs:\n  big:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo small\n        env:\n          SMALL: ${{ vars.SMALL }}\n      - run: echo never\n        env:\n          BIG: ${{ vars.BIG }}\n".to_owned();
    req.vars.insert("SMALL".to_owned(), "ok".to_owned());
    // 6 million characters weigh 12 MB by GitHub's measure (two bytes each).
    req.vars.insert("BIG".to_owned(), "a".repeat(6_000_000));
    let events = Arc::new(Events::default());
    let (_tx, cancel) = watch::channel(false);
    let outcome = runtime
        .block_on(run(req, HostExecutor, events.clone(), cancel))
        .unwrap();
    assert_eq!(outcome.conclusion, hoist_engine::Conclusion::Failure);
    let transcript = events.transcript();
    assert!(
        transcript
            .iter()
            .any(|l| l
                .contains("Maximum object size exceeded: the step's `env:` evaluates to 12000")),
        "{transcript:#?}"
    );
    assert!(
        transcript
            .iter()
            .any(|l| l.contains("step 0") && l.contains("success"))
    );
    assert!(!transcript.iter().any(|l| l.ends_with(" never")));
}

/// A deferred source is prepared only by the first step that reads it, once, however many
/// steps check out; a job that checks nothing out never prepares it.
#[tokio::test]
async fn a_deferred_source_is_prepared_once_by_the_first_checkout() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(files.join("hello.txt"), "hi").unwrap();
    for (steps, prepared) in [
        ("      - run: echo no checkout\n", 0),
        (
            "      - uses: actions/checkout@v4\n      - uses: actions/checkout@v4\n        with:\n          path: again\n      - run: cat hello.txt again/hello.txt\n",
            1,
        ),
    ] {
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut req = request(dir.path());
        req.workflow.text =
            format!("on: push\njobs:\n  one:\n    runs-on: ubuntu-latest\n    steps:\n{steps}");
        let (counted, root) = (calls.clone(), files.clone());
        req.source = Source::deferred(move || {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(Source {
                root: root.clone(),
                files: vec!["hello.txt".into()],
                ..Source::default()
            })
        });
        let events = Arc::new(Events::default());
        let (_cancel, cancelled) = watch::channel(false);
        let outcome = run(req, HostExecutor, events.clone(), cancelled)
            .await
            .unwrap();
        assert_eq!(
            outcome.conclusion.as_str(),
            "success",
            "{:#?}",
            events.transcript()
        );
        assert_eq!(
            calls.load(std::sync::atomic::Ordering::SeqCst),
            prepared,
            "{steps}"
        );
    }
}
