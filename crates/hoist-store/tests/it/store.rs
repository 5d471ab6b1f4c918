//! Recording a run and reading it back; concurrent opening; interrupted runs.

use crate::backend::{Backend, TestDb};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use hoist_events::{Annotation, AnnotationLevel, Conclusion, JobKey, Observer, RunEvent};
use hoist_store::{NewRun, RunFilter, Store};

pub(crate) fn new_run(path: &str) -> NewRun {
    NewRun {
        workflow_name: "CI".into(),
        workflow_path: path.into(),
        event: "push".into(),
        git_ref: "refs/heads/main".into(),
        branch: "main".into(),
        sha: "abc".into(),
        actor: "dev".into(),
        repo: "acme/platform".into(),
        runner: "ci-1".into(),
        project_root: "/p".into(),
        attempt: 1,
        number: None,
        request: serde_json::json!({"event": "push"}),
        planner: None,
        head_sha: None,
    }
}

pub(crate) fn key(id: &str) -> JobKey {
    JobKey {
        id: id.into(),
        job_id: id.into(),
        path: id.into(),
        name: id.into(),
        matrix: serde_json::Value::Null,
    }
}

fn records_and_reads_back_a_run(backend: Backend) {
    let db = TestDb::new(backend);
    let mut store = db.open();
    let (id, number) = store
        .create_run(&new_run(".github/workflows/ci.yml"))
        .unwrap();
    assert_eq!(number, 1);
    let rec = Arc::new(store.recorder(id).unwrap());
    let j = key("build");
    let events = vec![
        RunEvent::JobQueued { job: j.clone() },
        RunEvent::JobStarted {
            job: j.clone(),
            at: SystemTime::now(),
        },
        RunEvent::StepStarted {
            job: j.clone(),
            index: 0,
            name: "compile".into(),
            at: SystemTime::now(),
        },
        RunEvent::Log {
            job: j.clone(),
            step: Some(0),
            line: "line 1".into(),
        },
        RunEvent::Log {
            job: j.clone(),
            step: Some(0),
            line: "line 2".into(),
        },
        RunEvent::Annotation {
            job: j.clone(),
            step: Some(0),
            annotation: Annotation {
                level: AnnotationLevel::Error,
                message: "bad".into(),
                title: None,
                file: Some("a.rs".into()),
                line: Some(3),
                column: None,
            },
        },
        RunEvent::StepFinished {
            job: j.clone(),
            index: 0,
            name: "compile".into(),
            outcome: Conclusion::Failure,
            conclusion: Conclusion::Failure,
            exit_code: Some(2),
            duration: Duration::from_millis(1500),
            outputs: vec![("k".into(), "v".into())],
            summary: Some("# summary".into()),
        },
        RunEvent::JobFinished {
            job: j.clone(),
            result: Conclusion::Failure,
            duration: Duration::from_secs(2),
            outputs: vec![("out".into(), "1".into())],
        },
        RunEvent::RunFinished {
            conclusion: Conclusion::Failure,
            duration: Duration::from_secs(2),
        },
    ];
    for e in &events {
        rec.on_event(e);
    }
    rec.finish().unwrap();
    let run = store.run(id).unwrap();
    assert_eq!(
        (run.status.as_str(), run.conclusion.as_deref()),
        ("completed", Some("failure"))
    );
    let jobs = store.jobs(id).unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].conclusion.as_deref(), Some("failure"));
    assert_eq!(jobs[0].outputs["out"], "1");
    let step = &jobs[0].steps[0];
    assert_eq!(
        (step.name.as_str(), step.exit_code, step.summary.as_deref()),
        ("compile", Some(2), Some("# summary"))
    );
    assert_eq!(step.outputs["k"], "v");
    let storages = hoist_storage::StorageCatalog::new(hoist_storage::StorageSettings::default());
    let log = store.job_log(&jobs[0], &storages).unwrap();
    assert_eq!(log, vec![(Some(0), "line 1\nline 2\n".to_owned())]);
    let annotations = store.annotations(id).unwrap();
    assert_eq!(
        (annotations[0].file.as_deref(), annotations[0].line),
        (Some("a.rs"), Some(3))
    );
    // Numbers count per workflow.
    assert_eq!(
        store
            .create_run(&new_run(".github/workflows/ci.yml"))
            .unwrap()
            .1,
        2
    );
    assert_eq!(
        store
            .create_run(&new_run(".github/workflows/other.yml"))
            .unwrap()
            .1,
        1
    );
    let listed = store
        .list_runs(&RunFilter {
            status: Some("failure".into()),
            limit: 10,
            ..RunFilter::default()
        })
        .unwrap();
    assert_eq!(listed.len(), 1);
}

fn runs_of_dead_processes_become_interrupted(backend: Backend) {
    let db = TestDb::new(backend);
    let mut store = db.open();
    let (id, _) = store.create_run(&new_run("w.yml")).unwrap();
    assert!(store.mark_interrupted(|_| true).unwrap().is_empty());
    let marked = store.mark_interrupted(|_| false).unwrap();
    assert_eq!(marked.iter().map(|m| m.run_id).collect::<Vec<_>>(), [id]);
    assert_eq!(
        store.run(id).unwrap().conclusion.as_deref(),
        Some("interrupted")
    );
}

fn an_interrupted_run_hands_back_the_process_groups_of_its_running_steps(backend: Backend) {
    let db = TestDb::new(backend);
    let mut store = db.open();
    let (id, _) = store.create_run(&new_run("w.yml")).unwrap();
    let rec = store.recorder(id).unwrap();
    let j = key("build");
    let step = |index: usize| RunEvent::StepStarted {
        job: j.clone(),
        index,
        name: format!("step {index}"),
        at: SystemTime::now(),
    };
    let process = |index: usize, pgid: u32| RunEvent::StepProcess {
        job: j.clone(),
        index,
        pgid,
        start_ticks: 1000 + u64::from(pgid),
    };
    for e in [
        RunEvent::JobQueued { job: j.clone() },
        RunEvent::JobStarted {
            job: j.clone(),
            at: SystemTime::now(),
        },
        // A step that finished: its group is not handed back.
        step(0),
        process(0, 41),
        RunEvent::StepFinished {
            job: j.clone(),
            index: 0,
            name: "step 0".into(),
            outcome: Conclusion::Success,
            conclusion: Conclusion::Success,
            exit_code: Some(0),
            duration: Duration::ZERO,
            outputs: Vec::new(),
            summary: None,
        },
        // One still running when its Hoist died.
        step(1),
        process(1, 42),
    ] {
        rec.on_event(&e);
    }
    // Wrote what it had, as a killed Hoist's recorder has by the time of the kill.
    rec.finish().unwrap();
    let marked = store.mark_interrupted(|_| false).unwrap();
    assert_eq!(
        marked,
        [hoist_store::Interrupted {
            run_id: id,
            process_groups: vec![hoist_store::ProcessGroup {
                pgid: 42,
                leader_start: 1042
            }],
        }]
    );
}

fn many_processes_can_open_a_new_database_at_once(backend: Backend) {
    let db = TestDb::new(backend);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let location = db.location.clone();
            std::thread::spawn(move || Store::open_at(&location).map(|_| ()))
        })
        .collect();
    for t in threads {
        t.join().unwrap().unwrap();
    }
}

fn a_newer_schema_is_refused(backend: Backend) {
    let db = TestDb::new(backend);
    drop(db.open());
    db.run_sql(match backend {
        Backend::Sqlite => "PRAGMA user_version = 99",
        Backend::Postgres => "UPDATE hoist_schema SET version = 99",
    });
    let err = Store::open_at(&db.location).unwrap_err().to_string();
    assert!(err.contains("schema version 99"), "{err}");
}

/// The recorders of one store share one writer thread (a server planning a thousand runs
/// must not hold a thousand connections), and a run whose events cannot be written (here:
/// a run that does not exist) fails alone, its batch's other runs written in full.
fn recorders_share_one_writer_and_a_failing_run_fails_alone(backend: Backend) {
    let threads = || std::fs::read_dir("/proc/self/task").unwrap().count();
    let db = TestDb::new(backend);
    let mut store = db.open();
    let ids: Vec<i64> = (0..30)
        .map(|_| store.create_run(&new_run("w.yml")).unwrap().0)
        .collect();
    let before = threads();
    let mut recorders: Vec<_> = ids
        .iter()
        .map(|&id| (id, store.recorder(id).unwrap()))
        .collect();
    let missing = store.recorder(i64::from(i32::MAX)).unwrap();
    assert!(
        threads() <= before + 1,
        "{} threads for 31 recorders, {before} before",
        threads()
    );
    let j = key("build");
    // Interleaved, so that every run, and the missing one, is in the same batches.
    for line in 0..3 {
        for (i, (_, rec)) in recorders.iter().enumerate() {
            if line == 0 {
                rec.on_event(&RunEvent::JobQueued { job: j.clone() });
            }
            rec.on_event(&RunEvent::Log {
                job: j.clone(),
                step: None,
                line: format!("run {i} line {line}"),
            });
            if i == 10 {
                missing.on_event(&RunEvent::JobQueued { job: j.clone() });
            }
        }
    }
    let refused = missing.finish();
    assert!(refused.is_err(), "{refused:?}");
    for (_, rec) in &recorders {
        rec.on_event(&RunEvent::RunFinished {
            conclusion: Conclusion::Success,
            duration: Duration::ZERO,
        });
    }
    let storages = hoist_storage::StorageCatalog::new(hoist_storage::StorageSettings::default());
    for (i, (id, rec)) in recorders.drain(..).enumerate() {
        rec.finish().unwrap();
        assert_eq!(
            store.run(id).unwrap().conclusion.as_deref(),
            Some("success")
        );
        let jobs = store.jobs(id).unwrap();
        let log = store.job_log(&jobs[0], &storages).unwrap();
        let expected: String = (0..3).map(|l| format!("run {i} line {l}\n")).collect();
        assert_eq!(log, vec![(None, expected)], "run {id}");
    }
}

crate::backend::both!(
    recorders_share_one_writer_and_a_failing_run_fails_alone,
    records_and_reads_back_a_run,
    runs_of_dead_processes_become_interrupted,
    an_interrupted_run_hands_back_the_process_groups_of_its_running_steps,
    many_processes_can_open_a_new_database_at_once,
    a_newer_schema_is_refused,
);
