//! RDS: public databases, unencrypted storage, no backups.

use super::{Hit, Module, Resource, Rule, Severity, at, attr, on_block};

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "aws-rds-public",
        severity: Severity::Critical,
        title: "RDS instance reachable from the internet",
        hint: "set `publicly_accessible = false` and reach it from inside the VPC",
        trivy: Some(("AVD-AWS-0180", "aws-rds-no-public-db-access")),
        checkov: Some("CKV_AWS_17"),
        types: &["aws_db_instance", "aws_rds_cluster_instance"],
        check: public,
    },
    Rule {
        id: "aws-rds-unencrypted",
        severity: Severity::High,
        title: "RDS storage not encrypted",
        hint: "set `storage_encrypted = true` (and a `kms_key_id`)",
        trivy: Some(("AVD-AWS-0080", "aws-rds-encrypt-instance-storage-data")),
        checkov: Some("CKV_AWS_16"),
        types: &["aws_db_instance", "aws_rds_cluster"],
        check: unencrypted,
    },
    Rule {
        id: "aws-rds-no-backups",
        severity: Severity::Medium,
        title: "RDS instance with automated backups turned off",
        hint: "set `backup_retention_period` to 7 days or more",
        trivy: Some(("AVD-AWS-0077", "aws-rds-specify-backup-retention")),
        checkov: None,
        types: &["aws_db_instance", "aws_rds_cluster"],
        check: no_backups,
    },
];

fn public(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    match attr(r.block, "publicly_accessible") {
        Some(a) if m.lit(&a.value).as_bool() == Some(true) => {
            vec![at(a, "`publicly_accessible = true`")]
        }
        _ => Vec::new(),
    }
}

fn unencrypted(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    match attr(r.block, "storage_encrypted") {
        Some(a) if m.lit(&a.value).as_bool() == Some(false) => {
            vec![at(a, "`storage_encrypted = false`")]
        }
        None => vec![on_block(
            r,
            "`storage_encrypted` is not set (storage is unencrypted by default)",
        )],
        _ => Vec::new(),
    }
}

fn no_backups(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    match attr(r.block, "backup_retention_period") {
        Some(a) if m.lit(&a.value).as_num() == Some(0.0) => {
            vec![at(
                a,
                "`backup_retention_period = 0` turns automated backups off",
            )]
        }
        _ => Vec::new(),
    }
}
