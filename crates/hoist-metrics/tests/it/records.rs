//! The NDJSON document: keys, round trips and version checks.

use hoist_metrics::{
    Detail, DocumentWriter, Kind, Record, RunContext, document_key, parse_document, to_ndjson,
};

pub(crate) fn record(kind: Kind) -> Record {
    Record {
        version: hoist_metrics::SCHEMA_VERSION,
        kind,
        run: RunContext {
            repo: "acme/platform".into(),
            run_id: 7,
            run_number: 3,
            attempt: 1,
            workflow: "CI".into(),
            workflow_path: ".github/workflows/ci.yml".into(),
            event: "push".into(),
            commit: "0123abc".into(),
            branch: "main".into(),
            actor: "dev".into(),
            runner: "ci-1".into(),
        },
        detail: Detail {
            conclusion: Some("success".into()),
            ..Detail::default()
        },
    }
}

#[test]
fn document_keys_are_date_partitioned_and_safe() {
    let started: jiff::Timestamp = "2026-11-26T23:59:59.999Z".parse().expect("timestamp");
    assert_eq!(
        document_key("acme/platform", 42, started),
        "metrics/v1/dt=2026-11-26/acme_platform/42.ndjson"
    );
    assert_eq!(
        document_key("..", 1, started),
        "metrics/v1/dt=2026-11-26/_/1.ndjson"
    );
}

#[test]
fn documents_round_trip() {
    let mut job = record(Kind::Job);
    job.detail.job = Some("test (api)".into());
    job.detail.matrix = Some(serde_json::json!({"service": "api"}));
    job.detail.service = Some("api".into());
    job.detail.started_at = Some("2026-11-26T10:00:00.250Z".parse().expect("ts"));
    job.detail.duration_ms = Some(1500);
    job.detail.tests = Some(hoist_metrics::TestCounts {
        total: 3,
        passed: 2,
        failed: 1,
        skipped: 0,
        duration_ms: 10,
    });
    let records = vec![record(Kind::Run), job];
    let text = to_ndjson(&records);
    assert_eq!(text.lines().count(), 2);
    assert!(
        text.lines()
            .next()
            .is_some_and(|l| l.starts_with(r#"{"version":1,"kind":"run""#)),
        "{text}"
    );
    assert!(
        text.contains(r#""started_at":"2026-11-26T10:00:00.25Z""#),
        "{text}"
    );
    assert_eq!(parse_document(&text).expect("parse"), records);
}

#[test]
fn other_versions_and_bad_lines_are_refused_with_their_line() {
    let good = to_ndjson(&[record(Kind::Run)]);
    let future = good.replace(r#""version":1"#, r#""version":2"#);
    let err = parse_document(&format!("{good}\n{future}")).expect_err("version 2");
    assert_eq!(
        err.to_string(),
        "line 3: metrics record has schema version 2; this Hoist reads version 1"
    );
    let err = parse_document("{\"kind\":\"run\"}").expect_err("no version");
    assert_eq!(
        err.to_string(),
        "line 1: invalid metrics record: missing field `version`"
    );
    let err = parse_document(r#"{"version":1,"kind":"build"}"#).expect_err("bad kind");
    assert!(
        err.to_string()
            .starts_with("line 1: invalid metrics record: unknown variant `build`"),
        "{err}"
    );
}

#[test]
fn the_document_writer_writes_what_serialising_each_record_gives() {
    let mut job = record(Kind::Job);
    job.detail.job = Some("test \"quoted\" (api)".into());
    job.detail.matrix = Some(serde_json::json!({"service": "api", "os": ["a", 1]}));
    job.detail.tests = Some(hoist_metrics::TestCounts {
        total: 1,
        ..Default::default()
    });
    let mut step = job.clone();
    step.kind = Kind::Step;
    step.detail.step_index = Some(0);
    step.detail.exit_code = Some(-1);
    let mut bare = record(Kind::Run);
    bare.detail = Detail::default();
    let records = vec![record(Kind::Run), job, step, bare];
    let mut writer = DocumentWriter::new(&records[0].run);
    for r in &records {
        writer.push(r.kind, &r.detail);
    }
    assert_eq!(writer.finish(), to_ndjson(&records));
    // A step written with its job's fields serialised once gives the same line.
    let mut writer = DocumentWriter::new(&records[0].run);
    let fields = DocumentWriter::job_fields(&records[1].detail);
    let own = Detail {
        job: None,
        job_id: None,
        job_name: None,
        matrix: None,
        service: None,
        ..records[2].detail.clone()
    };
    writer.push_step(&fields, &own);
    assert_eq!(writer.finish(), to_ndjson(&records[2..3]));
    // And a job without job fields adds none.
    let mut writer = DocumentWriter::new(&records[0].run);
    writer.push_step(&DocumentWriter::job_fields(&Detail::default()), &own);
    let mut bare_step = records[2].clone();
    bare_step.detail = own.clone();
    assert_eq!(writer.finish(), to_ndjson(&[bare_step]));
}
