//! The security rules on modules written for them: each directory of `tests/data/security`
//! against its `expected.txt` (`UPDATE_EXPECT=1` rewrites them after a reviewed change).
//! Only the security rules' findings are compared.

use std::path::Path;

fn check(case: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/security")
        .join(case);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tf") || n.ends_with(".tfvars"))
        .collect();
    names.sort();
    let files: Vec<hoist_terraform::ModuleFile> = names
        .iter()
        .map(|n| hoist_terraform::ModuleFile {
            path: n.clone(),
            text: std::fs::read_to_string(dir.join(n)).unwrap(),
        })
        .collect();
    let ids: Vec<&str> = hoist_terraform::security::rules()
        .iter()
        .map(|r| r.id)
        .collect();
    let mut lines: Vec<String> = hoist_terraform::check_module(&files)
        .into_iter()
        .filter(|(_, d)| ids.contains(&d.code))
        .map(|(file, d)| {
            format!(
                "{}:{}:{}: {}: {}",
                files[file].path, d.span.start.line, d.span.start.column, d.code, d.message
            )
        })
        .collect();
    lines.sort();
    let actual: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let expected_path = dir.join("expected.txt");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&expected_path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
    assert_eq!(
        actual, expected,
        "findings of `{case}` (UPDATE_EXPECT=1 to accept)"
    );
}

#[test]
fn every_planted_aws_weakness_is_found_and_suppressions_are_honoured() {
    check("aws-insecure");
}

#[test]
fn a_hardened_aws_module_has_no_security_findings() {
    check("aws-secure");
}

#[test]
fn linode_firewalls_clusters_buckets_and_instances() {
    check("linode");
}

#[test]
fn values_come_from_auto_loaded_tfvars_before_defaults() {
    check("tfvars");
}

#[test]
fn there_are_at_least_25_rules_each_with_an_id_a_hint_and_unique() {
    let rules = hoist_terraform::security::rules();
    assert!(rules.len() >= 25, "{} rules", rules.len());
    let mut ids: Vec<&str> = rules.iter().map(|r| r.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), rules.len(), "ids are unique");
    for r in &rules {
        assert!(!r.hint.is_empty() && !r.title.is_empty(), "{}", r.id);
    }
    // The seed's cloud, which trivy and checkov do not cover.
    assert!(rules.iter().filter(|r| r.id.starts_with("linode-")).count() >= 5);
}
