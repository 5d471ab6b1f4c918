//! Matrix expansion, checked against the examples in GitHub's documentation.

use hoist_workflow::MatrixError;
use hoist_workflow::matrix::{expand, job_display_name};
use serde_json::json;

/// Expands `matrix` and renders each combination as compact JSON, one per line.
fn check(matrix: serde_json::Value, expect: &[&str]) {
    let combos = expand(&matrix).unwrap();
    let actual: Vec<String> = combos
        .iter()
        .map(|c| serde_json::to_string(c).unwrap())
        .collect();
    assert_eq!(actual, expect);
}

#[test]
fn cartesian_product_in_order() {
    check(
        json!({"os": ["linux", "mac"], "version": [10, 12]}),
        &[
            r#"{"os":"linux","version":10}"#,
            r#"{"os":"linux","version":12}"#,
            r#"{"os":"mac","version":10}"#,
            r#"{"os":"mac","version":12}"#,
        ],
    );
}

#[test]
fn include_extends_without_overwriting_originals() {
    // The fruit/animal example from GitHub's documentation.
    check(
        json!({
            "fruit": ["apple", "pear"],
            "animal": ["cat", "dog"],
            "include": [
                {"color": "green"},
                {"color": "pink", "animal": "cat"},
                {"fruit": "apple", "shape": "circle"},
                {"fruit": "banana"},
                {"fruit": "banana", "animal": "cat"}
            ]
        }),
        &[
            r#"{"fruit":"apple","animal":"cat","color":"pink","shape":"circle"}"#,
            r#"{"fruit":"apple","animal":"dog","color":"green","shape":"circle"}"#,
            r#"{"fruit":"pear","animal":"cat","color":"pink"}"#,
            r#"{"fruit":"pear","animal":"dog","color":"green"}"#,
            r#"{"fruit":"banana"}"#,
            r#"{"fruit":"banana","animal":"cat"}"#,
        ],
    );
}

#[test]
fn exclude_removes_partial_matches() {
    check(
        json!({
            "os": ["macos-latest", "windows-latest"],
            "version": [12, 14, 16],
            "environment": ["staging", "production"],
            "exclude": [
                {"os": "macos-latest", "version": 12, "environment": "production"},
                {"os": "windows-latest", "version": 16}
            ]
        }),
        &[
            r#"{"os":"macos-latest","version":12,"environment":"staging"}"#,
            r#"{"os":"macos-latest","version":14,"environment":"staging"}"#,
            r#"{"os":"macos-latest","version":14,"environment":"production"}"#,
            r#"{"os":"macos-latest","version":16,"environment":"staging"}"#,
            r#"{"os":"macos-latest","version":16,"environment":"production"}"#,
            r#"{"os":"windows-latest","version":12,"environment":"staging"}"#,
            r#"{"os":"windows-latest","version":12,"environment":"production"}"#,
            r#"{"os":"windows-latest","version":14,"environment":"staging"}"#,
            r#"{"os":"windows-latest","version":14,"environment":"production"}"#,
        ],
    );
}

#[test]
fn include_only_matrix_makes_one_job_per_entry() {
    check(
        json!({"include": [{"site": "production", "datacenter": "site-a"}, {"site": "staging", "datacenter": "site-b"}]}),
        &[
            r#"{"site":"production","datacenter":"site-a"}"#,
            r#"{"site":"staging","datacenter":"site-b"}"#,
        ],
    );
}

#[test]
fn include_adds_to_expanded_combinations_and_new_ones() {
    check(
        json!({"os": ["windows-latest", "ubuntu-latest"], "node": [14, 16],
               "include": [{"os": "windows-latest", "node": 16, "npm": 6}]}),
        &[
            r#"{"os":"windows-latest","node":14}"#,
            r#"{"os":"windows-latest","node":16,"npm":6}"#,
            r#"{"os":"ubuntu-latest","node":14}"#,
            r#"{"os":"ubuntu-latest","node":16}"#,
        ],
    );
}

#[test]
fn seed_service_matrix_and_job_names() {
    let services = json!(["api-router-service", "billing-service", "model-gateway"]);
    let combos = expand(&json!({"service": services, "os": ["linux"]})).unwrap();
    let names: Vec<String> = combos
        .iter()
        .map(|c| job_display_name("build", c))
        .collect();
    assert_eq!(
        names,
        [
            "build (api-router-service, linux)",
            "build (billing-service, linux)",
            "build (model-gateway, linux)"
        ]
    );
}

#[test]
fn the_256_job_limit_is_an_error() {
    let values: Vec<u32> = (0..16).collect();
    assert_eq!(
        expand(&json!({"a": values, "b": values})).unwrap().len(),
        256
    );
    let values17: Vec<u32> = (0..17).collect();
    assert_eq!(
        expand(&json!({"a": values17, "b": values})),
        Err(MatrixError::TooManyJobs {
            count: 272,
            limit: 256
        })
    );
    let huge: Vec<u32> = (0..1000).collect();
    assert!(matches!(
        expand(&json!({"a": huge, "b": huge, "c": huge})),
        Err(MatrixError::TooManyJobs { .. })
    ));
}

#[test]
fn malformed_matrices_are_errors() {
    assert_eq!(
        expand(&json!({"os": []})),
        Err(MatrixError::EmptyDimension("os".into()))
    );
    assert!(matches!(
        expand(&json!({"os": "linux"})),
        Err(MatrixError::NotAnArray { .. })
    ));
    assert!(matches!(
        expand(&json!({"include": "x"})),
        Err(MatrixError::InvalidList { .. })
    ));
    assert_eq!(
        expand(&json!({"os": ["a"], "exclude": [{"os": "a"}]})),
        Err(MatrixError::NoCombinations)
    );
    assert!(matches!(
        expand(&json!([1, 2])),
        Err(MatrixError::NotAnObject(_))
    ));
}
