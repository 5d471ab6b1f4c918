//! EC2: encrypted volumes and the instance metadata service.

use super::{Hit, Module, Resource, Rule, Severity, at, attr, blocks, on_block};

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "aws-ebs-unencrypted",
        severity: Severity::High,
        title: "EBS volume not encrypted",
        hint: "set `encrypted = true` (and a `kms_key_id`)",
        trivy: Some(("AVD-AWS-0026", "aws-ec2-enable-volume-encryption")),
        checkov: Some("CKV_AWS_3"),
        types: &["aws_ebs_volume"],
        check: ebs_unencrypted,
    },
    Rule {
        id: "aws-instance-unencrypted-volume",
        severity: Severity::High,
        title: "EC2 instance whose root or EBS block device is not encrypted",
        hint: "set `encrypted = true` in `root_block_device` and every `ebs_block_device`",
        trivy: Some(("AVD-AWS-0131", "aws-ec2-enable-at-rest-encryption")),
        checkov: Some("CKV_AWS_8"),
        types: &["aws_instance", "aws_launch_configuration"],
        check: instance_unencrypted,
    },
    Rule {
        id: "aws-instance-imdsv1",
        severity: Severity::High,
        title: "EC2 instance that allows IMDSv1 (metadata without a session token)",
        hint: "add `metadata_options { http_tokens = \"required\" }`",
        trivy: Some(("AVD-AWS-0028", "aws-ec2-enforce-http-token-imds")),
        checkov: Some("CKV_AWS_79"),
        types: &["aws_instance", "aws_launch_template"],
        check: imdsv1,
    },
];

fn ebs_unencrypted(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    match attr(r.block, "encrypted") {
        Some(a) if m.lit(&a.value).as_bool() == Some(false) => {
            vec![at(a, "`encrypted = false`")]
        }
        None => vec![on_block(
            r,
            "`encrypted` is not set (volumes are unencrypted by default)",
        )],
        _ => Vec::new(),
    }
}

fn instance_unencrypted(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    let roots: Vec<_> = blocks(r.block, "root_block_device").collect();
    if roots.is_empty() {
        hits.push(on_block(r, "no `root_block_device` with `encrypted = true` (the root volume is unencrypted by default)"));
    }
    for device in roots.into_iter().chain(blocks(r.block, "ebs_block_device")) {
        match attr(device, "encrypted") {
            Some(a) if m.lit(&a.value).as_bool() == Some(false) => {
                hits.push(at(
                    a,
                    format!(
                        "`{}` has `encrypted = false`",
                        device.ident.value().as_str()
                    ),
                ));
            }
            None => hits.push(at(
                device,
                format!(
                    "`{}` does not set `encrypted = true`",
                    device.ident.value().as_str()
                ),
            )),
            _ => {}
        }
    }
    hits
}

fn imdsv1(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    let Some(options) = blocks(r.block, "metadata_options").next() else {
        return vec![on_block(r, "no `metadata_options`: IMDSv1 is allowed")];
    };
    if m.value(options, "http_endpoint")
        .and_then(|l| l.as_str().map(str::to_owned))
        .as_deref()
        == Some("disabled")
    {
        return Vec::new();
    }
    match attr(options, "http_tokens") {
        Some(a) if m.lit(&a.value).as_str() == Some("required") => Vec::new(),
        Some(a) => vec![at(
            a,
            "`http_tokens` is not \"required\": IMDSv1 is allowed",
        )],
        None => vec![at(
            options,
            "`metadata_options` does not set `http_tokens = \"required\"`",
        )],
    }
}
