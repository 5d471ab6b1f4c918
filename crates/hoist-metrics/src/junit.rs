//! Test counts from JUnit XML, the report format most test runners write (cargo-nextest,
//! pytest, Maven Surefire, Jest, go-junit-report).
//!
//! Counting follows the `<testcase>` elements: a case holding `<failure>` or `<error>` failed,
//! one holding `<skipped>` was skipped. Files that carry only suite totals (no cases) are
//! counted from the `tests`, `failures`, `errors` and `skipped` attributes of their
//! outermost suites.

use quick_xml::events::{BytesStart, Event};
use serde::{Deserialize, Serialize};

use crate::MetricsError;

/// Test totals of a step or a job.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestCounts {
    pub total: u64,
    pub passed: u64,
    pub failed: u64,
    pub skipped: u64,
    /// The sum of the cases' (or suites') `time` attributes.
    pub duration_ms: u64,
}

impl TestCounts {
    pub fn add(&mut self, other: TestCounts) {
        self.total += other.total;
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
        self.duration_ms += other.duration_ms;
    }
}

#[derive(Default)]
struct Case {
    failed: bool,
    skipped: bool,
    millis: u64,
}

/// Counts the tests in one JUnit XML document.
pub fn parse(xml: &str) -> Result<TestCounts, MetricsError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut from_cases = TestCounts::default();
    let mut from_suites = TestCounts::default();
    let mut saw_case = false;
    let mut saw_root = false;
    let mut suite_depth = 0usize;
    let mut case: Option<Case> = None;
    loop {
        // Where the next event starts: errors in an element's attributes point at its `<`.
        let at = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| junit_error(xml, reader.error_position() as usize, &e.to_string()))?;
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => match e.local_name().as_ref() {
                b"testsuites" => saw_root = true,
                b"testsuite" => {
                    saw_root = true;
                    if suite_depth == 0 {
                        from_suites.add(suite_totals(xml, at, e)?);
                    }
                    if !empty {
                        suite_depth += 1;
                    }
                }
                b"testcase" => {
                    saw_root = saw_root || suite_depth == 0;
                    saw_case = true;
                    let millis = seconds_attr(xml, at, e, b"time")?;
                    let c = Case {
                        millis,
                        ..Case::default()
                    };
                    if empty {
                        count_case(&mut from_cases, &c);
                    } else {
                        case = Some(c);
                    }
                }
                b"failure" | b"error" => {
                    if let Some(c) = &mut case {
                        c.failed = true;
                    }
                }
                b"skipped" => {
                    if let Some(c) = &mut case {
                        c.skipped = true;
                    }
                }
                _ => {}
            },
            Event::End(ref e) => match e.local_name().as_ref() {
                b"testsuite" => suite_depth = suite_depth.saturating_sub(1),
                b"testcase" => {
                    if let Some(c) = case.take() {
                        count_case(&mut from_cases, &c);
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err(junit_error(
            xml,
            0,
            "no <testsuites>, <testsuite> or <testcase> element",
        ));
    }
    Ok(if saw_case { from_cases } else { from_suites })
}

fn count_case(counts: &mut TestCounts, case: &Case) {
    counts.total += 1;
    if case.failed {
        counts.failed += 1;
    } else if case.skipped {
        counts.skipped += 1;
    } else {
        counts.passed += 1;
    }
    counts.duration_ms += case.millis;
}

fn suite_totals(xml: &str, at: usize, e: &BytesStart<'_>) -> Result<TestCounts, MetricsError> {
    let total = count_attr(xml, at, e, b"tests")?;
    let failed = count_attr(xml, at, e, b"failures")? + count_attr(xml, at, e, b"errors")?;
    let skipped = count_attr(xml, at, e, b"skipped")? + count_attr(xml, at, e, b"disabled")?;
    Ok(TestCounts {
        total,
        passed: total.saturating_sub(failed + skipped),
        failed,
        skipped,
        duration_ms: seconds_attr(xml, at, e, b"time")?,
    })
}

fn attr(
    xml: &str,
    at: usize,
    e: &BytesStart<'_>,
    name: &[u8],
) -> Result<Option<String>, MetricsError> {
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|err| junit_error(xml, at, &err.to_string()))?;
        if a.key.local_name().as_ref() == name {
            let value = a
                .unescape_value()
                .map_err(|err| junit_error(xml, at, &err.to_string()))?;
            return Ok(Some(value.trim().to_owned()));
        }
    }
    Ok(None)
}

fn count_attr(xml: &str, at: usize, e: &BytesStart<'_>, name: &[u8]) -> Result<u64, MetricsError> {
    match attr(xml, at, e, name)? {
        None => Ok(0),
        Some(v) => v.parse().map_err(|_| {
            junit_error(
                xml,
                at,
                &format!(
                    "`{}` must be a whole number, found `{v}`",
                    String::from_utf8_lossy(name)
                ),
            )
        }),
    }
}

/// A `time` attribute in seconds (`1.25`, and `1,250.5` as some runners write it), in
/// milliseconds.
fn seconds_attr(
    xml: &str,
    at: usize,
    e: &BytesStart<'_>,
    name: &[u8],
) -> Result<u64, MetricsError> {
    match attr(xml, at, e, name)? {
        None => Ok(0),
        Some(v) if v.is_empty() => Ok(0),
        Some(v) => {
            let seconds: f64 = v.replace(',', "").parse().map_err(|_| {
                junit_error(xml, at, &format!("`time` must be seconds, found `{v}`"))
            })?;
            if !seconds.is_finite() || seconds < 0.0 {
                return Err(junit_error(
                    xml,
                    at,
                    &format!("`time` must be seconds, found `{v}`"),
                ));
            }
            Ok((seconds * 1000.0).round() as u64)
        }
    }
}

fn junit_error(xml: &str, offset: usize, message: &str) -> MetricsError {
    let before = &xml.as_bytes()[..offset.min(xml.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    MetricsError::Junit {
        line,
        column,
        message: message.to_owned(),
    }
}
