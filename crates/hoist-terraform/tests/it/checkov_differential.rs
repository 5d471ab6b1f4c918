//! The security rules against checkov (3.3.30, installed by `cargo xtask setup`, run with
//! `BC_SKIP_MAPPING=TRUE` so it needs no network): for every rule with a checkov
//! counterpart, both must flag the same resources of the corpus
//! (`tests/data/security-differential`, one module per directory, no suppressions), except
//! for the differences listed in `KNOWN`, each with its reason. A difference not listed
//! fails, and so does a listed one that has gone.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// (hoist rule, resource as `module/type.name`, which tool flags it alone, why).
const KNOWN: &[(&str, &str, &str, &str)] = &[
    (
        "aws-s3-no-public-access-block",
        "insecure/aws_s3_bucket.public",
        "checkov",
        "CKV2_AWS_6 also fails a bucket whose public access block is weak; hoist reports the weak block itself (aws-s3-public-access-allowed)",
    ),
    (
        "aws-sg-all-ports-open",
        "insecure/aws_security_group_rule.all",
        "hoist",
        "CKV_AWS_277 looks only at protocol `-1`; hoist also counts ports 0 to 65535 as every port",
    ),
    (
        "aws-iam-wildcard-action",
        "insecure/aws_iam_role_policy.s3_all",
        "hoist",
        "CKV_AWS_63 looks for the action `*` alone; hoist also flags a whole service, `s3:*`",
    ),
    (
        "aws-iam-wildcard-action",
        "insecure/data.aws_iam_policy_document.doc",
        "hoist",
        "the same: `dynamodb:*`, in a policy document",
    ),
    (
        "aws-lb-old-tls",
        "insecure/aws_lb_listener.http",
        "checkov",
        "CKV_AWS_103 fails every listener without a TLS 1.2 policy, plain-HTTP ones included; hoist reports those as aws-lb-http-listener",
    ),
];

fn checkov_failures(dir: &Path) -> BTreeSet<(String, String)> {
    let out = Command::new(hoist_testbed::program("checkov"))
        .args([
            "--framework",
            "terraform",
            "-o",
            "json",
            "--quiet",
            "--compact",
            "-d",
        ])
        .arg(dir)
        .env("BC_SKIP_MAPPING", "TRUE")
        .env("CHECKOV_RUN_SCA_PACKAGE_SCAN_V2", "false")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let report: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "checkov's output is not JSON ({e}): {text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let report = if report.is_array() {
        report[0].clone()
    } else {
        report
    };
    report["results"]["failed_checks"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["check_id"].as_str().unwrap_or_default().to_owned(),
                        f["resource"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn rules_with_a_checkov_counterpart_flag_the_same_resources() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/security-differential");
    let rules = hoist_terraform::security::rules();
    let mut ours: BTreeSet<(String, String)> = BTreeSet::new();
    let mut theirs: BTreeSet<(String, String)> = BTreeSet::new();
    let mut modules: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    modules.sort();
    for dir in &modules {
        let module = dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tf"))
            .collect();
        names.sort();
        let files: Vec<hoist_terraform::ModuleFile> = names
            .iter()
            .map(|n| hoist_terraform::ModuleFile {
                path: n.clone(),
                text: std::fs::read_to_string(dir.join(n)).unwrap(),
            })
            .collect();
        for (_, d) in hoist_terraform::check_module(&files) {
            if let Some(rule) = rules.iter().find(|r| r.id == d.code && r.checkov.is_some()) {
                // The message names the resource: "SEVERITY `type.name`: …".
                let resource = d.message.split('`').nth(1).unwrap_or_default().to_owned();
                ours.insert((rule.id.to_owned(), format!("{module}/{resource}")));
            }
        }
        for (check, resource) in checkov_failures(dir) {
            for rule in rules.iter().filter(|r| r.checkov == Some(check.as_str())) {
                theirs.insert((rule.id.to_owned(), format!("{module}/{resource}")));
            }
        }
    }
    let mut problems = Vec::new();
    for (rule, resource) in ours.difference(&theirs) {
        if !KNOWN
            .iter()
            .any(|k| k.0 == rule && k.1 == resource && k.2 == "hoist")
        {
            problems.push(format!("only hoist: {rule} on {resource}"));
        }
    }
    for (rule, resource) in theirs.difference(&ours) {
        if !KNOWN
            .iter()
            .any(|k| k.0 == rule && k.1 == resource && k.2 == "checkov")
        {
            problems.push(format!("only checkov: {rule} on {resource}"));
        }
    }
    for k in KNOWN {
        let pair = (k.0.to_owned(), k.1.to_owned());
        let still = if k.2 == "hoist" {
            ours.contains(&pair) && !theirs.contains(&pair)
        } else {
            theirs.contains(&pair) && !ours.contains(&pair)
        };
        if !still {
            problems.push(format!(
                "listed difference gone: {} on {} ({})",
                k.0, k.1, k.2
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n(agreeing: {})",
        problems.join("\n"),
        ours.intersection(&theirs).count()
    );
    assert!(
        ours.intersection(&theirs).count() >= 15,
        "the corpus exercises the rules"
    );
}
