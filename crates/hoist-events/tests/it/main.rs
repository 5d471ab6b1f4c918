//! The wire forms of run events: what they look like (a change shows in review) and that they
//! read back as they were written.

#![allow(clippy::unwrap_used)] // a panic is how a test reports failure

use std::time::{Duration, UNIX_EPOCH};

use expect_test::{Expect, expect};
use hoist_events::{Annotation, AnnotationLevel, Conclusion, JobKey, RunEvent};

fn job() -> JobKey {
    JobKey {
        id: "build (api)".to_owned(),
        job_id: "build".to_owned(),
        path: "build".to_owned(),
        name: "build (api)".to_owned(),
        matrix: serde_json::json!({"service": "api"}),
    }
}

/// Serializes `event`, compares it with `expect`, and reads it back.
fn check(event: RunEvent, expect: Expect) {
    let text = serde_json::to_string(&event).unwrap();
    expect.assert_eq(&text);
    let back: RunEvent = serde_json::from_str(&text).unwrap();
    assert_eq!(back, event);
}

#[test]
fn events_have_a_tagged_json_form_that_reads_back() {
    check(
        RunEvent::StepStarted {
            job: job(),
            index: 2,
            name: "Run make test".to_owned(),
            at: UNIX_EPOCH + Duration::from_millis(1_764_600_000_123),
        },
        expect![[
            r#"{"type":"step_started","job":{"id":"build (api)","job_id":"build","path":"build","name":"build (api)","matrix":{"service":"api"}},"index":2,"name":"Run make test","at":{"secs_since_epoch":1764600000,"nanos_since_epoch":123000000}}"#
        ]],
    );
    check(
        RunEvent::Annotation {
            job: job(),
            step: None,
            annotation: Annotation {
                level: AnnotationLevel::Warning,
                message: "deprecated".to_owned(),
                title: None,
                file: Some("ci.yml".to_owned()),
                line: Some(3),
                column: None,
            },
        },
        expect![[
            r#"{"type":"annotation","job":{"id":"build (api)","job_id":"build","path":"build","name":"build (api)","matrix":{"service":"api"}},"step":null,"annotation":{"level":"warning","message":"deprecated","title":null,"file":"ci.yml","line":3,"column":null}}"#
        ]],
    );
    check(
        RunEvent::JobFinished {
            job: job(),
            result: Conclusion::Cancelled,
            duration: Duration::from_millis(1500),
            outputs: vec![("image".to_owned(), "api:1".to_owned())],
        },
        expect![[
            r#"{"type":"job_finished","job":{"id":"build (api)","job_id":"build","path":"build","name":"build (api)","matrix":{"service":"api"}},"result":"cancelled","duration":{"secs":1,"nanos":500000000},"outputs":[["image","api:1"]]}"#
        ]],
    );
}

#[test]
fn an_unknown_event_type_is_an_error_naming_it() {
    let err = serde_json::from_str::<RunEvent>(r#"{"type":"step_exploded"}"#).unwrap_err();
    assert!(err.to_string().contains("step_exploded"), "{err}");
}
