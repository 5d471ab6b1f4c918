//! `hoist terraform plan | approve | apply | unlock` end to end, with terraform 1.0.3 and
//! its S3 backend on a real S3 server (s3s-fs), which also holds Hoist's records: a plan per
//! environment, the lock between two pipelines, a stale plan and an altered one refused,
//! production applied only after an approval, and two applies at once.

use std::process::{Command, Output};

use hoist_testbed::S3Server;

use crate::{stderr, stdout};

const CONFIG: &str = r#"terraform {
  required_version = ">= 1.0"
  backend "s3" {
    bucket                      = "hoist-test"
    region                      = "us-east-1"
    force_path_style            = true
    skip_credentials_validation = true
    skip_region_validation      = true
    skip_metadata_api_check     = true
  }
}

variable "replicas" {
  type = number
}

variable "s3_endpoint" {
  type = string
}

variable "upstream" {
  type    = string
  default = ""
}

locals {
  message = "${var.replicas} replicas"
}

# Another environment's state, through terraform's built-in provider (nothing to download).
data "terraform_remote_state" "upstream" {
  count   = var.upstream == "" ? 0 : 1
  backend = "s3"
  config = {
    bucket                      = "hoist-test"
    key                         = "${var.upstream}/terraform.tfstate"
    region                      = "us-east-1"
    endpoint                    = var.s3_endpoint
    force_path_style            = true
    skip_credentials_validation = true
    skip_region_validation      = true
    skip_metadata_api_check     = true
  }
}

output "message" {
  value = local.message
}

output "upstream_message" {
  value = var.upstream == "" ? "" : data.terraform_remote_state.upstream[0].outputs.message
}
"#;

struct Setup {
    dir: tempfile::TempDir,
    s3: S3Server,
}

fn setup() -> Setup {
    let s3 = S3Server::start();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("infra/terraform/environments")).unwrap();
    std::fs::write(root.join("infra/terraform/main.tf"), CONFIG).unwrap();
    for (env, n, upstream) in [("staging", 2, ""), ("production", 5, "staging")] {
        std::fs::write(
            root.join(format!("infra/terraform/environments/{env}.tfvars")),
            format!(
                "replicas = {n}\ns3_endpoint = \"{}\"\nupstream = \"{upstream}\"\n",
                s3.endpoint()
            ),
        )
        .unwrap();
    }
    std::fs::write(
        root.join("hoist.toml"),
        format!(
            "[storage]\nurl = \"s3://{}/hoist\"\nendpoint = \"{}\"\naccess-key-id = \"{}\"\nsecret-access-key = \"{}\"\n",
            s3.bucket,
            s3.endpoint(),
            s3.access_key,
            s3.secret_key
        ),
    )
    .unwrap();
    crate::git(root, &["init", "-q", "-b", "main"]);
    Setup { dir, s3 }
}

impl Setup {
    fn hoist(&self, args: &[&str]) -> Output {
        let terraform = hoist_testbed::program("terraform");
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        if matches!(args.first(), Some(&"plan") | Some(&"apply")) {
            all.push("--terraform".into());
            all.push(terraform.display().to_string());
            all.push("--backend-config".into());
            all.push(format!("endpoint={}", self.s3.endpoint()));
        }
        Command::new(env!("CARGO_BIN_EXE_hoist"))
            .arg("terraform")
            .args(&all)
            .current_dir(self.dir.path())
            .env("AWS_ACCESS_KEY_ID", &self.s3.access_key)
            .env("AWS_SECRET_ACCESS_KEY", &self.s3.secret_key)
            .env("HOIST_ACTOR", "dana")
            .env_remove("HOIST_STORAGE_URL")
            .output()
            .unwrap()
    }

    fn object(&self, key: &str) -> std::path::PathBuf {
        self.s3.root.path().join(&self.s3.bucket).join(key)
    }
}

fn ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(out),
        stderr(out)
    );
}

#[test]
fn plans_are_locked_checked_approved_and_applied_per_environment() {
    let s = setup();
    // Plan staging: saved, and the environment locked until its apply.
    let out = s.hoist(&["plan", "--env", "staging"]);
    ok(&out);
    assert!(
        stdout(&out).contains("Plan: 0 to add, 0 to change, 0 to destroy; 2 output(s) change."),
        "{}",
        stdout(&out)
    );
    assert!(s.object("hoist/terraform/staging/plan.tfplan").is_file());
    let out = s.hoist(&["plan", "--env", "staging"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("`staging` is locked by dana@"),
        "{}",
        stderr(&out)
    );

    // Staging needs no approval: applied, then unlocked; the state is in the backend.
    let out = s.hoist(&["apply", "--env", "staging"]);
    ok(&out);
    assert!(
        stdout(&out).contains("message = \"2 replicas\""),
        "{}",
        stdout(&out)
    );
    assert!(s.object("staging/terraform.tfstate").is_file());
    assert!(!s.object("hoist/terraform/staging/lock.json").exists());

    // A stale plan: the state moves after the plan (here by a second plan and apply, which
    // the lock would refuse, so the first plan is kept aside and put back).
    ok(&s.hoist(&["plan", "--env", "staging"]));
    let kept: Vec<(std::path::PathBuf, Vec<u8>)> = ["lock.json", "plan.json", "plan.tfplan"]
        .iter()
        .map(|n| {
            let p = s.object(&format!("hoist/terraform/staging/{n}"));
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    let vars = s
        .dir
        .path()
        .join("infra/terraform/environments/staging.tfvars");
    let text = std::fs::read_to_string(&vars).unwrap();
    std::fs::write(&vars, text.replace("replicas = 2", "replicas = 3")).unwrap();
    ok(&s.hoist(&["unlock", "--env", "staging", "--reason", "test"]));
    ok(&s.hoist(&["plan", "--env", "staging"]));
    ok(&s.hoist(&["apply", "--env", "staging"]));
    for (p, b) in &kept {
        std::fs::write(p, b).unwrap();
    }
    let out = s.hoist(&["apply", "--env", "staging"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("is stale: the state moved from serial"),
        "{}",
        stderr(&out)
    );
    assert!(
        !s.object("hoist/terraform/staging/lock.json").exists(),
        "the lock is released"
    );

    // An altered plan is refused.
    ok(&s.hoist(&["plan", "--env", "staging"]));
    std::fs::write(
        s.object("hoist/terraform/staging/plan.tfplan"),
        b"not the plan",
    )
    .unwrap();
    let out = s.hoist(&["apply", "--env", "staging"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not the one planned"),
        "{}",
        stderr(&out)
    );
    ok(&s.hoist(&["unlock", "--env", "staging", "--reason", "altered plan"]));

    // Production: applied only once approved.
    ok(&s.hoist(&["plan", "--env", "production"]));
    let out = s.hoist(&["apply", "--env", "production"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("`production` needs an approval of plan"),
        "{}",
        stderr(&out)
    );
    let out = s.hoist(&["status", "--env", "production", "--json"]);
    ok(&out);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        status["lock"]["holder"]
            .as_str()
            .unwrap()
            .starts_with("dana@")
    );
    assert!(status["approval"].is_null());
    ok(&s.hoist(&["approve", "--env", "production", "--comment", "change 42"]));
    let out = s.hoist(&["apply", "--env", "production"]);
    ok(&out);
    assert!(
        stdout(&out).contains("message = \"5 replicas\""),
        "{}",
        stdout(&out)
    );

    // An approval bound to the plan's checksum, given on the command line.
    let vars = s
        .dir
        .path()
        .join("infra/terraform/environments/production.tfvars");
    let text = std::fs::read_to_string(&vars).unwrap();
    std::fs::write(&vars, text.replace("replicas = 5", "replicas = 6")).unwrap();
    ok(&s.hoist(&["plan", "--env", "production"]));
    let out = s.hoist(&["apply", "--env", "production", "--approve-plan", "deadbeef"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not the saved plan of `production`"),
        "{}",
        stderr(&out)
    );
    let status: serde_json::Value =
        serde_json::from_slice(&s.hoist(&["status", "--env", "production", "--json"]).stdout)
            .unwrap();
    let sha = status["plan"]["sha256"].as_str().unwrap().to_owned();
    let out = s.hoist(&["apply", "--env", "production", "--approve-plan", &sha]);
    ok(&out);
    assert!(
        stdout(&out).contains("message = \"6 replicas\""),
        "{}",
        stdout(&out)
    );

    // Every step left an audit record.
    let audit: Vec<String> = std::fs::read_dir(s.object("hoist/terraform/audit"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for action in [
        "-plan-",
        "-apply-",
        "-approve-",
        "-unlock-",
        "-apply-refused-",
    ] {
        assert!(
            audit.iter().any(|n| n.contains(action)),
            "{action} in {audit:?}"
        );
    }
}

#[test]
fn of_two_applies_of_one_plan_at_once_one_applies() {
    let s = setup();
    ok(&s.hoist(&["plan", "--env", "staging"]));
    let terraform = hoist_testbed::program("terraform");
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_hoist"))
            .args(["terraform", "apply", "--env", "staging", "--terraform"])
            .arg(&terraform)
            .arg("--backend-config")
            .arg(format!("endpoint={}", s.s3.endpoint()))
            .current_dir(s.dir.path())
            .env("AWS_ACCESS_KEY_ID", &s.s3.access_key)
            .env("AWS_SECRET_ACCESS_KEY", &s.s3.secret_key)
            .env_remove("HOIST_STORAGE_URL")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let outs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
    let applied = outs.iter().filter(|o| o.status.success()).count();
    assert_eq!(
        applied,
        1,
        "{:?}",
        outs.iter().map(stderr).collect::<Vec<_>>()
    );
    let refused = outs.iter().find(|o| !o.status.success()).unwrap();
    let why = stderr(refused);
    assert!(
        why.contains("is being applied by another pipeline") || why.contains("has no saved plan"),
        "{why}"
    );
}
