//! Metrics records, uploads to real object storage (a directory and an s3s-fs server),
//! reading logs back from wherever they are, retries, and importing records.

use crate::backend::{Backend, TestDb};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use hoist_events::{Conclusion, JobKey, Observer, RunEvent};
use hoist_metrics::{Kind, TestCounts};
use hoist_storage::{Storage, StorageCatalog, StorageError, StorageSettings};
use hoist_store::{Store, StoreError};
use hoist_testbed::S3Server;

use crate::store::new_run;

fn matrix_key(service: &str) -> JobKey {
    JobKey {
        id: format!("test ({service})"),
        job_id: "test".into(),
        path: "test".into(),
        name: format!("test ({service})"),
        matrix: serde_json::json!({ "service": service }),
    }
}

/// Records a finished run: a matrix job with a job-level log line, two steps with logs (the
/// second reporting tests and failing), and an artifact directory.
fn record_run(store: &mut Store, artifact_dir: &std::path::Path) -> i64 {
    let (id, _) = store
        .create_run(&new_run(".github/workflows/ci.yml"))
        .unwrap();
    let rec = Arc::new(store.recorder(id).unwrap());
    let j = matrix_key("billing");
    std::fs::create_dir_all(artifact_dir.join("sub")).unwrap();
    std::fs::write(artifact_dir.join("report.txt"), "coverage 81%").unwrap();
    std::fs::write(artifact_dir.join("sub/data.bin"), [0u8, 159, 146, 150]).unwrap();
    let mut events = vec![
        RunEvent::JobQueued { job: j.clone() },
        RunEvent::JobStarted {
            job: j.clone(),
            at: SystemTime::now(),
        },
        RunEvent::Log {
            job: j.clone(),
            step: None,
            line: "Set up job".into(),
        },
    ];
    for (index, name, lines, ok) in [
        (0, "Build", ["compiling", "done"], true),
        (1, "Test", ["running 3 tests", "1 failed"], false),
    ] {
        events.push(RunEvent::StepStarted {
            job: j.clone(),
            index,
            name: name.into(),
            at: SystemTime::now(),
        });
        for line in lines {
            events.push(RunEvent::Log {
                job: j.clone(),
                step: Some(index),
                line: line.into(),
            });
        }
        if !ok {
            events.push(RunEvent::TestReport {
                job: j.clone(),
                index,
                counts: TestCounts {
                    total: 3,
                    passed: 2,
                    failed: 1,
                    skipped: 0,
                    duration_ms: 40,
                },
            });
        }
        let c = if ok {
            Conclusion::Success
        } else {
            Conclusion::Failure
        };
        events.push(RunEvent::StepFinished {
            job: j.clone(),
            index,
            name: name.into(),
            outcome: c,
            conclusion: c,
            exit_code: Some(if ok { 0 } else { 1 }),
            duration: Duration::from_millis(5),
            outputs: vec![],
            summary: None,
        });
    }
    events.extend([
        RunEvent::Artifact {
            job: j.clone(),
            name: "coverage report".into(),
            path: artifact_dir.to_path_buf(),
            size: 16,
        },
        RunEvent::JobFinished {
            job: j.clone(),
            result: Conclusion::Failure,
            duration: Duration::from_millis(20),
            outputs: vec![],
        },
        RunEvent::RunFinished {
            conclusion: Conclusion::Failure,
            duration: Duration::from_millis(30),
        },
    ]);
    for e in &events {
        rec.on_event(e);
    }
    rec.finish().unwrap();
    id
}

fn logs(store: &Store, id: i64, storages: &StorageCatalog) -> Vec<(Option<i64>, String)> {
    let jobs = store.jobs(id).unwrap();
    store.job_log(&jobs[0], storages).unwrap()
}

fn expected_logs() -> Vec<(Option<i64>, String)> {
    vec![
        (None, "Set up job\n".into()),
        (Some(0), "compiling\ndone\n".into()),
        (Some(1), "running 3 tests\n1 failed\n".into()),
    ]
}

fn metrics_records_describe_run_jobs_and_steps(backend: Backend) {
    let db = TestDb::new(backend);
    let dir = &db.dir;
    let mut store = db.open();
    let id = record_run(&mut store, &dir.path().join("art"));
    let records = store.metrics_records(id).unwrap();
    let kinds: Vec<Kind> = records.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [Kind::Run, Kind::Job, Kind::Step, Kind::Step]);
    let (run, job, test_step) = (&records[0], &records[1], &records[3]);
    assert_eq!(
        (
            run.run.repo.as_str(),
            run.run.runner.as_str(),
            run.run.commit.as_str(),
            run.run.branch.as_str()
        ),
        ("acme/platform", "ci-1", "abc", "main")
    );
    assert_eq!(run.detail.conclusion.as_deref(), Some("failure"));
    assert!(
        run.detail.queued_at.is_some()
            && run.detail.started_at.is_some()
            && run.detail.finished_at.is_some()
    );
    assert_eq!(job.detail.service.as_deref(), Some("billing"));
    assert_eq!(job.detail.job.as_deref(), Some("test (billing)"));
    assert!(
        job.detail.queued_at.is_some(),
        "JobQueued sets the queue time"
    );
    assert_eq!(job.detail.tests.map(|t| (t.total, t.failed)), Some((3, 1)));
    assert_eq!(test_step.detail.step_name.as_deref(), Some("Test"));
    assert_eq!(test_step.detail.exit_code, Some(1));
    assert_eq!(test_step.detail.tests.map(|t| t.passed), Some(2));
    assert_eq!(records[2].detail.tests, None, "Build reported no tests");
    assert_eq!(
        test_step.detail.service.as_deref(),
        Some("billing"),
        "steps carry the job's context"
    );
}

fn check_uploaded(
    store: &Store,
    id: i64,
    storage: &Storage,
    storages: &StorageCatalog,
    art: &std::path::Path,
) {
    let objects = storage.list("").unwrap();
    let keys: Vec<&str> = objects.iter().map(|o| o.key.as_str()).collect();
    let started = store.run(id).unwrap().started_at.unwrap();
    let date = jiff::Timestamp::from_millisecond(started)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let metrics_key = format!("metrics/v1/dt={date}/acme_platform/{id}.ndjson");
    assert_eq!(
        keys,
        [
            format!("artifacts/acme_platform/{id}/coverage_report/report.txt"),
            format!("artifacts/acme_platform/{id}/coverage_report/sub/data.bin"),
            format!("logs/acme_platform/{id}.log.gz"),
            metrics_key.clone(),
        ]
    );
    let doc = String::from_utf8(storage.get(&metrics_key).unwrap()).unwrap();
    assert_eq!(
        hoist_metrics::parse_document(&doc).unwrap(),
        store.metrics_records(id).unwrap()
    );
    assert_eq!(
        storage
            .get(&format!(
                "artifacts/acme_platform/{id}/coverage_report/sub/data.bin"
            ))
            .unwrap(),
        [0u8, 159, 146, 150]
    );
    assert!(
        !art.exists(),
        "the local artifact copy is removed once uploaded"
    );
    assert!(store.pending_uploads().unwrap().is_empty());
    // Logs now come from storage, identical.
    assert_eq!(logs(store, id, storages), expected_logs());
    // The whole object is a valid multi-member gzip file: `zcat` shows every log in order.
    let mut text = String::new();
    use std::io::Read;
    flate2::read::MultiGzDecoder::new(
        storage
            .get(&format!("logs/acme_platform/{id}.log.gz"))
            .unwrap()
            .as_slice(),
    )
    .read_to_string(&mut text)
    .unwrap();
    assert_eq!(
        text,
        "##[hoist] test (billing)\nSet up job\n##[hoist] test (billing) / 1 Build\ncompiling\ndone\n##[hoist] test (billing) / 2 Test\nrunning 3 tests\n1 failed\n"
    );
    let artifacts = store.artifacts(id).unwrap();
    assert_eq!(
        artifacts[0].url.as_deref(),
        Some(
            format!(
                "{}/artifacts/acme_platform/{id}/coverage_report",
                storage.url()
            )
            .as_str()
        )
    );
}

fn uploads_to_a_directory_and_reads_logs_back(backend: Backend) {
    let db = TestDb::new(backend);
    let dir = &db.dir;
    let mut store = db.open();
    let art = dir.path().join("art");
    let id = record_run(&mut store, &art);
    let settings = StorageSettings {
        url: format!("file://{}/blobs", dir.path().display()),
        ..Default::default()
    };
    let storages = StorageCatalog::new(settings);
    assert_eq!(
        logs(&store, id, &storages),
        expected_logs(),
        "before upload, from the database"
    );
    assert_eq!(store.pending_uploads().unwrap().len(), 1);
    let storage = storages.current().unwrap();
    let report = store.flush_uploads(&storage, false, usize::MAX).unwrap();
    assert_eq!(report.uploaded, [id]);
    check_uploaded(&store, id, &storage, &storages, &art);
}

fn s3_settings(server: &S3Server) -> StorageSettings {
    StorageSettings {
        url: format!("s3://{}/ci", server.bucket),
        endpoint: Some(server.endpoint()),
        access_key_id: Some(server.access_key.clone()),
        secret_access_key: Some(server.secret_key.clone()),
        timeout: Some(Duration::from_secs(5)),
        ..StorageSettings::default()
    }
}

fn a_server_down_during_the_run_loses_nothing_and_the_next_flush_uploads(backend: Backend) {
    let db = TestDb::new(backend);
    let dir = &db.dir;
    let mut server = S3Server::start();
    let mut store = db.open();
    let art = dir.path().join("art");
    let id = record_run(&mut store, &art);
    let storages = StorageCatalog::new(s3_settings(&server));
    let storage = storages.current().unwrap();
    server.stop();
    let report = store.flush_uploads(&storage, false, usize::MAX).unwrap();
    assert!(report.uploaded.is_empty());
    assert!(
        matches!(
            report.failed[0].error,
            StoreError::Storage(StorageError::Unreachable { .. })
        ),
        "{:?}",
        report.failed
    );
    let pending = store.pending_uploads().unwrap();
    assert_eq!((pending[0].id, pending[0].attempts), (id, 1));
    assert!(
        pending[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("cannot reach storage")),
        "{pending:?}"
    );
    assert!(pending[0].retry_after.is_some());
    assert_eq!(
        logs(&store, id, &storages),
        expected_logs(),
        "still readable from the database"
    );
    assert!(
        art.join("report.txt").is_file(),
        "artifacts are kept until uploaded"
    );
    // Backoff: an ordinary flush does not retry yet; a forced one does.
    server.restart();
    let report = store.flush_uploads(&storage, false, usize::MAX).unwrap();
    assert_eq!((report.uploaded.len(), report.deferred), (0, 1));
    let report = store.flush_uploads(&storage, true, usize::MAX).unwrap();
    assert_eq!(report.uploaded, [id]);
    check_uploaded(&store, id, &storage, &storages, &art);
}

fn wrong_credentials_are_recorded_and_the_run_stays_pending(backend: Backend) {
    let db = TestDb::new(backend);
    let dir = &db.dir;
    let server = S3Server::start();
    let mut store = db.open();
    let id = record_run(&mut store, &dir.path().join("art"));
    let mut settings = s3_settings(&server);
    settings.access_key_id = Some("wrong".into());
    let storage = Storage::open(&settings).unwrap();
    let err = store.upload_run(&storage, id).unwrap_err();
    assert!(
        matches!(err, StoreError::Storage(StorageError::Denied { .. })),
        "{err:?}"
    );
    assert_eq!(
        store.run(id).unwrap().conclusion.as_deref(),
        Some("failure"),
        "the run's result is unchanged"
    );
    let pending = store.pending_uploads().unwrap();
    assert!(
        pending[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("refused the credentials")),
        "{pending:?}"
    );
}

fn imported_records_reproduce_the_run_once(backend: Backend) {
    let db = TestDb::new(backend);
    let dir = &db.dir;
    let mut store = db.open();
    let id = record_run(&mut store, &dir.path().join("art"));
    let records = store.metrics_records(id).unwrap();
    let mut other = db.other("other");
    let imported = other.import(&records).unwrap();
    assert_eq!(
        (
            imported.runs,
            imported.jobs,
            imported.steps,
            imported.already_present
        ),
        (1, 1, 2, 0)
    );
    let again = other.import(&records).unwrap();
    assert_eq!((again.runs, again.already_present), (0, 1));
    let new_id = other
        .list_runs(&hoist_store::RunFilter {
            limit: 10,
            ..Default::default()
        })
        .unwrap()[0]
        .id;
    let mut back = other.metrics_records(new_id).unwrap();
    for r in &mut back {
        r.run.run_id = id;
    }
    assert_eq!(back, records);
    assert!(
        other.pending_uploads().unwrap().is_empty(),
        "imported runs are not uploaded again"
    );
}

fn records_out_of_order_are_refused(backend: Backend) {
    let db = TestDb::new(backend);
    let dir = &db.dir;
    let mut store = db.open();
    let id = record_run(&mut store, &dir.path().join("art"));
    let records = store.metrics_records(id).unwrap();
    let mut other = db.other("other");
    let err = other.import(&records[1..]).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "cannot import metrics: job record of run `acme/platform#{id}` comes before the run's own record"
        )
    );
    assert!(
        other
            .list_runs(&hoist_store::RunFilter {
                limit: 10,
                ..Default::default()
            })
            .unwrap()
            .is_empty(),
        "nothing half-imported"
    );
}

fn a_flush_takes_at_most_its_limit_oldest_first(backend: Backend) {
    let db = TestDb::new(backend);
    let dir = &db.dir;
    let mut store = db.open();
    let ids: Vec<i64> = (0..3)
        .map(|i| record_run(&mut store, &dir.path().join(format!("art{i}"))))
        .collect();
    let storage = Storage::open(&StorageSettings {
        url: format!("file://{}/blobs", dir.path().display()),
        ..Default::default()
    })
    .unwrap();
    let report = store.flush_uploads(&storage, false, 2).unwrap();
    assert_eq!(
        (report.uploaded.as_slice(), report.deferred),
        (&ids[..2], 1)
    );
    assert_eq!(store.pending_uploads().unwrap()[0].id, ids[2]);
}

fn each_job_is_followed_by_its_own_steps(backend: Backend) {
    let db = TestDb::new(backend);
    let mut store = db.open();
    let (id, _) = store.create_run(&new_run("ci.yml")).unwrap();
    let rec = store.recorder(id).unwrap();
    let ok = Conclusion::Success;
    for (name, steps) in [("a", 1), ("b", 0), ("c", 2)] {
        let j = crate::store::key(name);
        rec.on_event(&RunEvent::JobStarted {
            job: j.clone(),
            at: SystemTime::now(),
        });
        for index in 0..steps {
            rec.on_event(&RunEvent::StepStarted {
                job: j.clone(),
                index,
                name: format!("{name}{index}"),
                at: SystemTime::now(),
            });
            rec.on_event(&RunEvent::StepFinished {
                job: j.clone(),
                index,
                name: format!("{name}{index}"),
                outcome: ok,
                conclusion: ok,
                exit_code: Some(0),
                duration: Duration::ZERO,
                outputs: vec![],
                summary: None,
            });
        }
        rec.on_event(&RunEvent::JobFinished {
            job: j,
            result: ok,
            duration: Duration::ZERO,
            outputs: vec![],
        });
    }
    rec.on_event(&RunEvent::RunFinished {
        conclusion: ok,
        duration: Duration::ZERO,
    });
    rec.finish().unwrap();
    let lines: Vec<String> = store
        .metrics_records(id)
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{:?} {}",
                r.kind,
                r.detail
                    .step_name
                    .as_deref()
                    .or(r.detail.job.as_deref())
                    .unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            "Run -", "Job a", "Step a0", "Job b", "Job c", "Step c0", "Step c1"
        ]
    );
    assert_eq!(
        store.metrics_document(id).unwrap(),
        hoist_metrics::to_ndjson(&store.metrics_records(id).unwrap())
    );
}

fn an_interrupted_run_keeps_its_lines_and_is_uploaded_by_the_next_flush(backend: Backend) {
    let db = TestDb::new(backend);
    let dir = &db.dir;
    let mut store = db.open();
    let (id, _) = store.create_run(&new_run("ci.yml")).unwrap();
    let rec = store.recorder(id).unwrap();
    let j = crate::store::key("build");
    rec.on_event(&RunEvent::JobStarted {
        job: j.clone(),
        at: SystemTime::now(),
    });
    rec.on_event(&RunEvent::Log {
        job: j.clone(),
        step: None,
        line: "Set up job".into(),
    });
    rec.on_event(&RunEvent::StepStarted {
        job: j.clone(),
        index: 0,
        name: "migrate".into(),
        at: SystemTime::now(),
    });
    for line in ["applying 001", "applying 002"] {
        rec.on_event(&RunEvent::Log {
            job: j.clone(),
            step: Some(0),
            line: line.into(),
        });
    }
    // The recorder writes what arrived; the step has not ended (its process is killed
    // after this), yet its lines are readable.
    rec.finish().unwrap();
    let settings = StorageSettings {
        url: format!("file://{}/blobs", dir.path().display()),
        ..Default::default()
    };
    let storages = StorageCatalog::new(settings.clone());
    let live = vec![
        (None, "Set up job\n".to_owned()),
        (Some(0), "applying 001\napplying 002\n".to_owned()),
    ];
    assert_eq!(logs(&store, id, &storages), live);
    // Not finished: nothing to upload yet.
    assert!(store.pending_uploads().unwrap().is_empty());
    // Its process is gone: the next start marks it interrupted, the lines become the
    // step's log, and the run is due.
    let marked = store.mark_interrupted(|_| false).unwrap();
    assert_eq!(marked.iter().map(|m| m.run_id).collect::<Vec<_>>(), [id]);
    assert_eq!(logs(&store, id, &storages), live);
    let storage = Storage::open(&settings).unwrap();
    let report = store.flush_uploads(&storage, false, usize::MAX).unwrap();
    assert_eq!(report.uploaded, [id]);
    // Read back from storage now.
    assert_eq!(logs(&store, id, &storages), live);
    let records = store.metrics_records(id).unwrap();
    assert_eq!(records[0].detail.conclusion.as_deref(), Some("interrupted"));
    assert_eq!(records[1].detail.conclusion.as_deref(), Some("interrupted"));
}

crate::backend::both!(
    metrics_records_describe_run_jobs_and_steps,
    uploads_to_a_directory_and_reads_logs_back,
    a_server_down_during_the_run_loses_nothing_and_the_next_flush_uploads,
    wrong_credentials_are_recorded_and_the_run_stays_pending,
    imported_records_reproduce_the_run_once,
    records_out_of_order_are_refused,
    a_flush_takes_at_most_its_limit_oldest_first,
    each_job_is_followed_by_its_own_steps,
    an_interrupted_run_keeps_its_lines_and_is_uploaded_by_the_next_flush,
);
