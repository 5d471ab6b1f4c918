//! Every health fixture gives the health and message written in its header.

use hoist_deploy::health::{self, Health};

#[test]
fn fixtures_match_argo_cds_rules() {
    let dir = crate::data_dir().join("health");
    let mut checked = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("health fixtures") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let expected_health = header(&text, "health").expect("a `# health:` line");
        let expected_message = header(&text, "message");
        let object = hoist_yaml::parse(&text).root.expect("an object").to_json();
        let got = health::assess(&object);
        let (got_health, got_message) = match &got {
            Some(s) => (s.health.as_str().to_owned(), s.message.clone()),
            None => ("None".to_owned(), String::new()),
        };
        if got_health != expected_health
            || expected_message.as_ref().is_some_and(|m| *m != got_message)
        {
            failures.push(format!(
                "{}: expected {expected_health} {expected_message:?}, got {got_health} {got_message:?}",
                path.display()
            ));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 60, "only {checked} fixtures");
}

fn header(text: &str, name: &str) -> Option<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# "))
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .map(str::to_owned)
}

#[test]
fn application_health_is_the_worst() {
    use Health::*;
    assert_eq!(
        health::aggregate(&[Healthy, Progressing, Suspended]),
        Progressing
    );
    assert_eq!(health::aggregate(&[Healthy, Missing, Progressing]), Missing);
    assert_eq!(health::aggregate(&[Degraded, Missing]), Degraded);
    assert_eq!(health::aggregate(&[Degraded, Unknown]), Unknown);
    assert_eq!(health::aggregate(&[]), Healthy);
}
