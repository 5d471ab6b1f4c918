//! Runs every case of GitHub's published expression tests (`data/github-expressions`, MIT, see
//! its LICENSE) and of Hoist's workflow-shaped suite (`data/hoist-expressions.json`).

use std::path::PathBuf;

use hoist_expr::{ErrorKind, Object, ParseOptions, Value, evaluate, parse, parse_template};
use serde_json::Value as Json;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn contexts_object(contexts: Option<&Json>) -> Object {
    match contexts.map(Value::from_json) {
        Some(Value::Object(o)) => (*o).clone(),
        _ => Object::new(),
    }
}

/// Deep equality where numbers compare by value (`123` equals `123.0`) and NaN equals NaN.
fn same_json(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64() == y.as_f64(),
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// Evaluates one case of GitHub's format and returns a description of the mismatch, if any.
fn check_github_case(case: &Json) -> Option<String> {
    let expr = case["expr"].as_str().unwrap_or_default();
    let contexts = contexts_object(case.get("contexts"));
    let names: Vec<&str> = contexts.iter().map(|(k, _)| k).collect();
    let options = ParseOptions {
        contexts: Some(&names),
        functions: &[],
    };
    let outcome = parse(expr, &options).and_then(|e| evaluate(e.as_ref(), &contexts));
    if let Some(err) = case.get("err") {
        let kind = err["kind"].as_str().unwrap_or_default();
        let message = err["value"].as_str().unwrap_or_default();
        return match outcome {
            Ok(v) => Some(format!(
                "expected {kind} error `{message}`, got {}",
                v.to_json()
            )),
            Err(e) if e.kind.as_str() != kind || !e.message.starts_with(message) => Some(format!(
                "expected {kind} error `{message}`, got {} error `{}`",
                e.kind.as_str(),
                e.message
            )),
            Err(_) => None,
        };
    }
    let expected_kind = case["result"]["kind"].as_str().unwrap_or_default();
    let expected = &case["result"]["value"];
    match outcome {
        Err(e) => Some(format!(
            "expected {expected_kind} {expected}, got error `{}`",
            e.message
        )),
        Ok(v) => {
            let kind_ok = v.kind().as_str() == expected_kind;
            let value_ok = match &v {
                Value::Number(n) if n.is_nan() => false,
                _ => same_json(&v.to_json(), expected),
            };
            (!kind_ok || !value_ok).then(|| {
                format!(
                    "expected {expected_kind} {expected}, got {} {}",
                    v.kind().as_str(),
                    v.to_json()
                )
            })
        }
    }
}

fn run_github_file(name: &str) {
    let path = data_dir().join("github-expressions").join(name);
    let text = std::fs::read_to_string(&path).expect("conformance file is readable");
    let groups: serde_json::Map<String, Json> =
        serde_json::from_str(&text).expect("conformance file is JSON");
    let mut failures = Vec::new();
    let mut count = 0;
    for (group, cases) in &groups {
        for case in cases.as_array().into_iter().flatten() {
            count += 1;
            if let Some(problem) = check_github_case(case) {
                failures.push(format!("{group}: `{}`: {problem}", case["expr"]));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

macro_rules! github_suite {
    ($($test:ident => $file:literal,)*) => {
        $( #[test] fn $test() { run_github_file($file); } )*

        #[test]
        fn every_github_file_is_covered() {
            let listed = [$($file),*];
            let mut total = 0;
            for entry in std::fs::read_dir(data_dir().join("github-expressions")).unwrap() {
                let name = entry.unwrap().file_name().into_string().unwrap();
                if name.ends_with(".json") {
                    assert!(listed.contains(&name.as_str()), "{name} is not run by a test");
                    let text = std::fs::read_to_string(data_dir().join("github-expressions").join(&name)).unwrap();
                    let groups: serde_json::Map<String, Json> = serde_json::from_str(&text).unwrap();
                    total += groups.values().map(|c| c.as_array().map_or(0, Vec::len)).sum::<usize>();
                }
            }
            assert_eq!(total, 1020, "GitHub's suite has 1,020 cases");
        }
    };
}

github_suite! {
    github_basic => "basic.json",
    github_case => "case.json",
    github_coerce_boolean => "coerce_boolean.json",
    github_coerce_number => "coerce_number.json",
    github_coerce_string => "coerce_string.json",
    github_contains => "contains.json",
    github_ends_with => "endsWith.json",
    github_format => "format.json",
    github_from_json => "fromJSON.json",
    github_join => "join.json",
    github_number => "number.json",
    github_op_and => "op_and.json",
    github_op_dot => "op_dot.json",
    github_op_eq => "op_eq.json",
    github_op_gt => "op_gt.json",
    github_op_gte => "op_gte.json",
    github_op_idx => "op_idx.json",
    github_op_idx_star => "op_idx_star.json",
    github_op_lt => "op_lt.json",
    github_op_lte => "op_lte.json",
    github_op_ne => "op_ne.json",
    github_op_not => "op_not.json",
    github_op_or => "op_or.json",
    github_operators_case_insensitive => "operators_case_insensitive.json",
    github_operators_precedence => "operators_precedence.json",
    github_starts_with => "startsWith.json",
    github_syntax_errors => "syntax-errors.json",
    github_to_json => "tojson.json",
}

/// `{"$number": "NaN"}` in Hoist's suite stands for a number JSON cannot hold.
fn expected_value(v: &Json) -> Value {
    if let Some(special) = v.get("$number").and_then(Json::as_str) {
        return Value::Number(match special {
            "NaN" => f64::NAN,
            "-Infinity" => f64::NEG_INFINITY,
            _ => f64::INFINITY,
        });
    }
    Value::from_json(v)
}

fn values_match(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Number(a), Value::Number(b)) => (a.is_nan() && b.is_nan()) || a == b,
        _ => actual.kind() == expected.kind() && same_json(&actual.to_json(), &expected.to_json()),
    }
}

#[test]
fn hoist_workflow_shaped_suite() {
    let text = std::fs::read_to_string(data_dir().join("hoist-expressions.json")).unwrap();
    let suite: Json = serde_json::from_str(&text).unwrap();
    let contexts = contexts_object(Some(&suite["contexts"]));
    let names: Vec<&str> = contexts.iter().map(|(k, _)| k).collect();
    let options = ParseOptions {
        contexts: Some(&names),
        functions: &[],
    };
    let mut failures = Vec::new();
    let cases = suite["cases"].as_array().unwrap();
    for case in cases {
        let wants_error = case.get("error").and_then(Json::as_bool).unwrap_or(false);
        let (label, outcome) = if let Some(t) = case.get("template").and_then(Json::as_str) {
            let r = parse_template(t, &options)
                .and_then(|tpl| tpl.evaluate_to_string(&contexts))
                .map(Value::from);
            (format!("template `{t}`"), r)
        } else {
            let e = case["expr"].as_str().unwrap();
            (
                format!("`{e}`"),
                parse(e, &options).and_then(|x| evaluate(x.as_ref(), &contexts)),
            )
        };
        let expected = case
            .get("value")
            .or_else(|| case.get("string"))
            .map(expected_value);
        match (outcome, wants_error, expected) {
            (Ok(v), true, _) => {
                failures.push(format!("{label}: expected an error, got {}", v.to_json()))
            }
            (Err(e), false, _) => {
                failures.push(format!("{label}: unexpected error `{}`", e.message))
            }
            (Err(e), true, _) => {
                // An error must say what is wrong, not be empty.
                if e.message.trim().is_empty()
                    || e.kind == ErrorKind::Evaluation && e.message.len() < 10
                {
                    failures.push(format!("{label}: unhelpful error `{}`", e.message));
                }
            }
            (Ok(v), false, Some(want)) => {
                if !values_match(&v, &want) {
                    failures.push(format!(
                        "{label}: expected {}, got {}",
                        want.to_json(),
                        v.to_json()
                    ));
                }
            }
            (Ok(_), false, None) => failures.push(format!("{label}: case has no expectation")),
        }
    }
    assert_eq!(cases.len(), 141, "Hoist's suite has 141 cases");
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
