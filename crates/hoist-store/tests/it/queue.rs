//! The job queue: claims under leases, lost runners, and many claimers at once.

use crate::backend::{Backend, TestDb};
use std::time::Duration;

use hoist_events::{Conclusion, EventInfo, JobOutcome, JobRequest, WorkflowFile};
use hoist_store::{MAX_ATTEMPTS, QueueState, Store};

use crate::store::{key, new_run};

pub(crate) fn job(id: &str, runs_on: &[&str]) -> JobRequest {
    JobRequest {
        version: hoist_events::WIRE_VERSION,
        run_id: 1,
        run_number: 1,
        run_attempt: 1,
        run_workflow_path: ".github/workflows/ci.yml".into(),
        workflow: WorkflowFile {
            path: ".github/workflows/ci.yml".into(),
            text: "on: push".into(),
        },
        job_id: id.into(),
        runs_on: runs_on.iter().map(|s| (*s).to_owned()).collect(),
        key: key(id),
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
    }
}

fn labels(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn success() -> JobOutcome {
    JobOutcome {
        result: Conclusion::Success,
        outputs: vec![("image".into(), "api:1".into())],
        reason: None,
        environment_url: None,
    }
}

const LEASE: Duration = Duration::from_secs(30);

fn a_job_goes_to_one_runner_whose_labels_cover_it(backend: Backend) {
    let db = TestDb::new(backend);
    let mut store = db.open();
    let (run, _) = store
        .create_run(&new_run(".github/workflows/ci.yml"))
        .unwrap();
    let first = store
        .enqueue_job(run, &job("build", &["self-hosted", "GPU"]))
        .unwrap();
    // The planner, started again, finds the job it queued.
    assert_eq!(
        store
            .enqueue_job(run, &job("build", &["self-hosted", "GPU"]))
            .unwrap(),
        first
    );
    assert_eq!(store.queue_depth().unwrap(), 1);

    assert!(
        store
            .claim_job("cpu-1", &labels(&["self-hosted", "linux"]), LEASE)
            .unwrap()
            .is_none()
    );
    let claimed = store
        .claim_job("gpu-1", &labels(&["Self-Hosted", "gpu", "linux"]), LEASE)
        .unwrap()
        .unwrap();
    assert_eq!((claimed.id, claimed.attempt), (first, 1));
    assert_eq!(claimed.request.key.id, "build");
    assert!(
        store
            .claim_job("gpu-2", &labels(&["self-hosted", "gpu"]), LEASE)
            .unwrap()
            .is_none()
    );
    assert_eq!(store.queue_depth().unwrap(), 0);

    assert!(store.renew_lease(first, "gpu-1", LEASE).unwrap());
    // Another runner cannot renew, report or finish it.
    assert!(!store.renew_lease(first, "gpu-2", LEASE).unwrap());
    assert!(!store.finish_job(first, "gpu-2", &success()).unwrap());
    assert!(store.finish_job(first, "gpu-1", &success()).unwrap());
    // Done stays done.
    assert!(!store.finish_job(first, "gpu-1", &success()).unwrap());
    let (state, outcome) = store.queued_job(first).unwrap().unwrap();
    assert_eq!(state, QueueState::Done);
    assert_eq!(outcome.unwrap(), success());
}

fn a_lost_runner_s_job_is_retried_once_then_failed_as_runner_lost(backend: Backend) {
    let db = TestDb::new(backend);
    let mut store = db.open();
    let (run, _) = store
        .create_run(&new_run(".github/workflows/ci.yml"))
        .unwrap();
    let id = store.enqueue_job(run, &job("test", &[])).unwrap();
    let any = labels(&["self-hosted"]);

    let claimed = store
        .claim_job("r1", &any, Duration::ZERO)
        .unwrap()
        .unwrap();
    assert_eq!(claimed.attempt, 1);
    std::thread::sleep(Duration::from_millis(5));
    let expired = store.expire_leases().unwrap();
    assert_eq!(expired.len(), 1);
    assert!(expired[0].requeued && expired[0].runner == "r1");
    // The lost runner learns it at its next renewal, and its late report is ignored.
    assert!(!store.renew_lease(id, "r1", LEASE).unwrap());
    assert!(!store.finish_job(id, "r1", &success()).unwrap());

    let retry = store
        .claim_job("r2", &any, Duration::ZERO)
        .unwrap()
        .unwrap();
    assert_eq!((retry.id, retry.attempt), (id, MAX_ATTEMPTS));
    std::thread::sleep(Duration::from_millis(5));
    let expired = store.expire_leases().unwrap();
    assert!(!expired[0].requeued);
    let (state, outcome) = store.queued_job(id).unwrap().unwrap();
    assert_eq!(state, QueueState::Done);
    let outcome = outcome.unwrap();
    assert_eq!(outcome.result, Conclusion::Failure);
    let reason = outcome.reason.unwrap();
    assert!(reason.starts_with("runner lost: `r2`"), "{reason}");
    assert!(store.claim_job("r3", &any, LEASE).unwrap().is_none());
    // Nothing else expires.
    assert!(store.expire_leases().unwrap().is_empty());
}

fn many_claimers_on_one_database_take_every_job_exactly_once(backend: Backend) {
    let db = TestDb::new(backend);
    let mut store = db.open();
    let (run, _) = store
        .create_run(&new_run(".github/workflows/ci.yml"))
        .unwrap();
    let total = 200;
    for i in 0..total {
        store
            .enqueue_job(run, &job(&format!("job-{i}"), &[]))
            .unwrap();
    }
    let claimers: Vec<_> = (0..4)
        .map(|n| {
            let location = db.location.clone();
            std::thread::spawn(move || {
                // Each claimer has its own connection, as separate servers would.
                let mut store = Store::open_at(&location).unwrap();
                let runner = format!("runner-{n}");
                let mut mine = Vec::new();
                while let Some(job) = store.claim_job(&runner, &[], LEASE).unwrap() {
                    assert!(store.finish_job(job.id, &runner, &success()).unwrap());
                    mine.push(job.request.key.id);
                }
                mine
            })
        })
        .collect();
    let mut all: Vec<String> = claimers
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    assert_eq!(all.len(), total);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), total, "a job was claimed twice");
    assert_eq!(store.queue_depth().unwrap(), 0);
}

fn a_cancel_is_read_by_the_holder_without_renewing(backend: Backend) {
    let db = TestDb::new(backend);
    let mut store = db.open();
    let (run, _) = store
        .create_run(&new_run(".github/workflows/ci.yml"))
        .unwrap();
    let id = store.enqueue_job(run, &job("test", &[])).unwrap();
    // Queued: nobody holds it.
    assert_eq!(store.cancel_asked(id, "r1").unwrap(), None);
    store
        .claim_job("r1", &labels(&["self-hosted"]), LEASE)
        .unwrap()
        .unwrap();
    assert_eq!(store.cancel_asked(id, "r1").unwrap(), Some(false));
    assert_eq!(store.cancel_asked(id, "r2").unwrap(), None);
    // Held: the cancel marks it, and the holder reads the mark.
    assert!(!store.cancel_job(id, "the run was cancelled").unwrap());
    assert_eq!(store.cancel_asked(id, "r1").unwrap(), Some(true));
    assert_eq!(store.renew(id, "r1", LEASE).unwrap(), Some(true));
    assert!(store.finish_job(id, "r1", &success()).unwrap());
    assert_eq!(store.cancel_asked(id, "r1").unwrap(), None);
}

crate::backend::both!(
    a_job_goes_to_one_runner_whose_labels_cover_it,
    a_lost_runner_s_job_is_retried_once_then_failed_as_runner_lost,
    many_claimers_on_one_database_take_every_job_exactly_once,
    a_cancel_is_read_by_the_holder_without_renewing,
);
