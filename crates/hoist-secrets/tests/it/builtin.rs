//! Hoist's built-in rules against their true- and false-positive examples
//! (`tests/data/builtin/cases.txt`).

use std::collections::BTreeMap;

use hoist_secrets::Scanner;

/// Whether the built-in rule `rule` reports `text`, as `expect_finding` says.
fn check(scanner: &Scanner, rule: &str, text: &str, expect_finding: bool) -> Result<(), String> {
    let found: Vec<_> = scanner
        .scan("config/example.env", text, None)
        .into_iter()
        .filter(|f| f.rule_id == rule)
        .collect();
    if found.is_empty() == expect_finding {
        return Err(format!(
            "{rule}: expected {} in {text:?}, got {found:?}",
            if expect_finding { "a finding" } else { "none" }
        ));
    }
    Ok(())
}

#[test]
fn every_builtin_rule_meets_its_examples() {
    let scanner = Scanner::new(hoist_secrets::builtin_config());
    let cases = std::fs::read_to_string(crate::data_dir().join("builtin/cases.txt")).unwrap();
    let mut seen: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for (n, line) in cases.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut parts = line.splitn(3, ' ');
        let (Some(rule), Some(sign), Some(text)) = (parts.next(), parts.next(), parts.next())
        else {
            panic!("cases.txt:{}: expected `rule-id +|- text`", n + 1);
        };
        let expect = match sign {
            "+" => true,
            "-" => false,
            other => panic!("cases.txt:{}: sign `{other}` is not + or -", n + 1),
        };
        let counts = seen.entry(rule.to_owned()).or_default();
        if expect {
            counts.0 += 1;
        } else {
            counts.1 += 1;
        }
        if let Err(e) = check(&scanner, rule, &text.replace("\\n", "\n"), expect) {
            failures.push(format!("cases.txt:{}: {e}", n + 1));
        }
    }
    for rule in &scanner.config().rules {
        match seen.get(&rule.id) {
            Some((tp, fp)) if *tp > 0 && *fp > 0 => {}
            _ => failures.push(format!(
                "built-in rule `{}` needs a + and a - example in cases.txt",
                rule.id
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
