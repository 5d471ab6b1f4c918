//! Audit and keys: CloudTrail log validation, coverage and encryption; KMS key rotation.

use super::{Hit, Module, Resource, Rule, Severity, at, attr, on_block};

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "aws-cloudtrail-no-log-validation",
        severity: Severity::Medium,
        title: "CloudTrail without log file validation",
        hint: "set `enable_log_file_validation = true`",
        trivy: Some(("AVD-AWS-0016", "aws-cloudtrail-enable-log-validation")),
        checkov: Some("CKV_AWS_36"),
        types: &["aws_cloudtrail"],
        check: log_validation,
    },
    Rule {
        id: "aws-cloudtrail-single-region",
        severity: Severity::Medium,
        title: "CloudTrail that records one region only",
        hint: "set `is_multi_region_trail = true`",
        trivy: Some(("AVD-AWS-0014", "aws-cloudtrail-enable-all-regions")),
        checkov: Some("CKV_AWS_67"),
        types: &["aws_cloudtrail"],
        check: multi_region,
    },
    Rule {
        id: "aws-cloudtrail-unencrypted",
        severity: Severity::High,
        title: "CloudTrail logs not encrypted with a customer key",
        hint: "set `kms_key_id` to a KMS key",
        trivy: Some(("AVD-AWS-0015", "aws-cloudtrail-encryption-customer-key")),
        checkov: Some("CKV_AWS_35"),
        types: &["aws_cloudtrail"],
        check: trail_unencrypted,
    },
    Rule {
        id: "aws-kms-no-rotation",
        severity: Severity::Medium,
        title: "KMS key without automatic rotation",
        hint: "set `enable_key_rotation = true`",
        trivy: Some(("AVD-AWS-0065", "aws-kms-auto-rotate-keys")),
        checkov: Some("CKV_AWS_7"),
        types: &["aws_kms_key"],
        check: rotation,
    },
];

/// A boolean setting that must be true; unset counts as false.
fn must_be_true(r: &Resource<'_>, m: &Module<'_>, name: &str, what: &str) -> Vec<Hit> {
    match attr(r.block, name) {
        Some(a) if m.lit(&a.value).as_bool() == Some(true) => Vec::new(),
        Some(a) if m.lit(&a.value).as_bool() == Some(false) => {
            vec![at(a, format!("`{name} = false`: {what}"))]
        }
        Some(_) => Vec::new(),
        None => vec![on_block(r, format!("`{name}` is not set: {what}"))],
    }
}

fn log_validation(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    must_be_true(
        r,
        m,
        "enable_log_file_validation",
        "tampered logs would go unnoticed",
    )
}

fn multi_region(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    must_be_true(
        r,
        m,
        "is_multi_region_trail",
        "activity in other regions is not recorded",
    )
}

fn trail_unencrypted(r: &Resource<'_>, _: &Module<'_>) -> Vec<Hit> {
    if attr(r.block, "kms_key_id").is_some() {
        return Vec::new();
    }
    vec![on_block(r, "no `kms_key_id`")]
}

fn rotation(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    must_be_true(
        r,
        m,
        "enable_key_rotation",
        "the key material never changes",
    )
}
