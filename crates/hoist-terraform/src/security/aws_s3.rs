//! S3 buckets: public ACLs, public access blocks, encryption and versioning.

use super::{Hit, Module, Resource, Rule, Severity, at, attr, blocks, on_block, refers_to};

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "aws-s3-public-acl",
        severity: Severity::High,
        title: "S3 bucket with a public canned ACL",
        hint: "use `acl = \"private\"` and grant access through policies",
        trivy: Some(("AVD-AWS-0092", "aws-s3-no-public-access-with-acl")),
        checkov: Some("CKV_AWS_20"),
        types: &["aws_s3_bucket", "aws_s3_bucket_acl"],
        check: public_acl,
    },
    Rule {
        id: "aws-s3-no-public-access-block",
        severity: Severity::Medium,
        title: "S3 bucket without a public access block",
        hint: "add an `aws_s3_bucket_public_access_block` for the bucket with all four settings true",
        trivy: Some(("AVD-AWS-0094", "aws-s3-specify-public-access-block")),
        checkov: Some("CKV2_AWS_6"),
        types: &["aws_s3_bucket"],
        check: no_public_access_block,
    },
    Rule {
        id: "aws-s3-public-access-allowed",
        severity: Severity::High,
        title: "S3 public access block that lets public access through",
        hint: "set `block_public_acls`, `block_public_policy`, `ignore_public_acls` and `restrict_public_buckets` to true",
        trivy: Some(("AVD-AWS-0086", "aws-s3-block-public-acls")),
        checkov: Some("CKV_AWS_53"),
        types: &["aws_s3_bucket_public_access_block"],
        check: public_access_allowed,
    },
    Rule {
        id: "aws-s3-unencrypted",
        severity: Severity::High,
        title: "S3 bucket without server-side encryption configured",
        hint: "add an `aws_s3_bucket_server_side_encryption_configuration` (aws:kms) for the bucket",
        trivy: Some(("AVD-AWS-0088", "aws-s3-enable-bucket-encryption")),
        checkov: Some("CKV_AWS_145"),
        types: &["aws_s3_bucket"],
        check: unencrypted,
    },
    Rule {
        id: "aws-s3-no-versioning",
        severity: Severity::Medium,
        title: "S3 bucket without versioning",
        hint: "add an `aws_s3_bucket_versioning` with `status = \"Enabled\"`",
        trivy: Some(("AVD-AWS-0090", "aws-s3-enable-versioning")),
        checkov: Some("CKV_AWS_21"),
        types: &["aws_s3_bucket"],
        check: no_versioning,
    },
];

const PUBLIC_ACLS: &[&str] = &["public-read", "public-read-write", "authenticated-read"];

fn public_acl(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    let Some(a) = attr(r.block, "acl") else {
        return Vec::new();
    };
    match m.lit(&a.value).as_str() {
        Some(acl) if PUBLIC_ACLS.contains(&acl) => {
            vec![at(
                a,
                format!("`acl = \"{acl}\"` opens the bucket to everyone"),
            )]
        }
        _ => Vec::new(),
    }
}

/// Whether some resource of type `ty` names bucket `r` in its `bucket` attribute.
fn has_companion(r: &Resource<'_>, m: &Module<'_>, ty: &str) -> bool {
    m.of_type(ty)
        .any(|c| attr(c.block, "bucket").is_some_and(|b| refers_to(&b.value, &r.ty, r.name)))
}

fn no_public_access_block(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    if has_companion(r, m, "aws_s3_bucket_public_access_block") {
        return Vec::new();
    }
    vec![on_block(
        r,
        "no `aws_s3_bucket_public_access_block` names this bucket",
    )]
}

fn public_access_allowed(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for setting in [
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ] {
        match attr(r.block, setting) {
            Some(a) if m.lit(&a.value).as_bool() == Some(false) => {
                hits.push(at(
                    a,
                    format!("`{setting} = false` lets public access through"),
                ));
            }
            None => hits.push(on_block(
                r,
                format!("`{setting}` is not set (it defaults to false)"),
            )),
            _ => {}
        }
    }
    hits
}

fn unencrypted(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    if blocks(r.block, "server_side_encryption_configuration")
        .next()
        .is_some()
        || has_companion(r, m, "aws_s3_bucket_server_side_encryption_configuration")
    {
        return Vec::new();
    }
    vec![on_block(
        r,
        "no server-side encryption configuration names this bucket",
    )]
}

fn no_versioning(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    let inline = blocks(r.block, "versioning").next();
    if let Some(v) = inline {
        return match m.value(v, "enabled").and_then(|l| l.as_bool()) {
            Some(false) => vec![on_block(r, "versioning is disabled")],
            _ => Vec::new(),
        };
    }
    let enabled = m.of_type("aws_s3_bucket_versioning").any(|c| {
        attr(c.block, "bucket").is_some_and(|b| refers_to(&b.value, &r.ty, r.name))
            && blocks(c.block, "versioning_configuration").any(|vc| {
                m.value(vc, "status")
                    .and_then(|s| s.as_str().map(str::to_owned))
                    .as_deref()
                    != Some("Suspended")
                    && m.value(vc, "status")
                        .and_then(|s| s.as_str().map(str::to_owned))
                        .as_deref()
                        != Some("Disabled")
            })
    });
    if enabled {
        Vec::new()
    } else {
        vec![on_block(r, "versioning is not enabled for this bucket")]
    }
}
