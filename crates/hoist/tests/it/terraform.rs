//! `hoist fmt terraform` and `hoist check terraform` on real directories.

use std::process::{Command, Stdio};

use crate::{hoist, stderr, stdout};

const UNFORMATTED: &str =
    "resource \"aws_instance\" \"web\" {\nami = \"ami-1\"\n  instance_type=\"t3.micro\"\n}\n";
const FORMATTED: &str = "resource \"aws_instance\" \"web\" {\n  ami           = \"ami-1\"\n  instance_type = \"t3.micro\"\n}\n";

fn configuration() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), UNFORMATTED).unwrap();
    // Formatted already, and another resource (the same one twice would be an error).
    std::fs::write(
        dir.path().join("ok.tf"),
        FORMATTED.replace("\"web\"", "\"api\""),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("modules/net")).unwrap();
    std::fs::write(dir.path().join("modules/net/vars.tfvars"), "a=1\n").unwrap();
    // What terraform skips: its own directory, and other files.
    std::fs::create_dir_all(dir.path().join(".terraform")).unwrap();
    std::fs::write(dir.path().join(".terraform/x.tf"), "a=1\n").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "a=1\n").unwrap();
    dir
}

#[test]
fn fmt_lists_rewrites_and_checks_like_terraform_fmt() {
    let dir = configuration();
    let root = dir.path();
    let out = hoist(&["fmt", "terraform", "--check"], root);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), "./main.tf\n");
    assert_eq!(
        std::fs::read_to_string(root.join("main.tf")).unwrap(),
        UNFORMATTED,
        "--check writes nothing"
    );

    let out = hoist(&["fmt", "terraform", "--recursive", "--diff"], root);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("./main.tf\n--- old/./main.tf\n+++ new/./main.tf\n@@ -1,4 +1,4 @@\n"),
        "{text}"
    );
    assert!(
        text.contains("-ami = \"ami-1\"\n+  ami           = \"ami-1\"\n"),
        "{text}"
    );
    assert!(text.contains("./modules/net/vars.tfvars"), "{text}");
    assert_eq!(
        std::fs::read_to_string(root.join("main.tf")).unwrap(),
        FORMATTED
    );
    assert_eq!(
        std::fs::read_to_string(root.join("modules/net/vars.tfvars")).unwrap(),
        "a = 1\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join(".terraform/x.tf")).unwrap(),
        "a=1\n",
        "skipped"
    );
    let out = hoist(&["fmt", "terraform", "--check", "--recursive"], root);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    // Standard input to standard output.
    let mut child = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["fmt", "terraform", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(UNFORMATTED.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(stdout(&out), FORMATTED);

    // A file that does not scan is left alone, and named with its position.
    std::fs::write(root.join("broken.tf"), "a = \"open\nb = 1\n").unwrap();
    let out = hoist(&["fmt", "terraform"], root);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("./broken.tf:1:"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(root.join("broken.tf")).unwrap(),
        "a = \"open\nb = 1\n"
    );
}

#[test]
fn check_terraform_reports_each_file_on_its_line_in_every_format() {
    let dir = configuration();
    let root = dir.path();
    std::fs::write(root.join("broken.tf"), "locals {\n  a = [1, 2\n}\n").unwrap();
    let out = hoist(&["check", "terraform", ".", "--diff"], root);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("./main.tf:2:1: error: not formatted as `terraform fmt` formats it (2 line(s) differ) [terraform-fmt]"), "{text}");
    assert!(
        text.contains("./modules/net/vars.tfvars:1:1: error"),
        "{text}"
    );
    assert!(
        text.contains(
            "./broken.tf:3:1: error: the file does not parse: expected `]` [terraform-syntax]"
        ),
        "{text}"
    );
    // The module checks run too; warnings do not fail the gate.
    assert!(
        text.contains("./main.tf:1:1: warning: the module does not say which Terraform versions it works with [terraform_required_version]"),
        "{text}"
    );
    assert!(
        text.contains("+  ami           = \"ami-1\""),
        "the diff: {text}"
    );
    assert!(!text.contains("ok.tf:1:1: error: not formatted"), "{text}");
    // And the security rules: the instances have no IMDSv2 nor encrypted root volume.
    assert!(
        text.contains("./ok.tf:1:1: error: HIGH `aws_instance.api`: no `metadata_options`: IMDSv1 is allowed [aws-instance-imdsv1]"),
        "{text}"
    );
    assert!(
        text.contains(
            "trivy AVD-AWS-0028 / tfsec aws-ec2-enforce-http-token-imds, checkov CKV_AWS_79"
        ),
        "{text}"
    );
    assert!(
        stderr(&out).contains("checked 4 Terraform file(s)"),
        "{}",
        stderr(&out)
    );

    let out = hoist(
        &["check", "terraform", ".", "--fmt", "--format", "sarif"],
        root,
    );
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        3,
        "only layout and syntax with --fmt: {sarif:#}"
    );
    assert!(results.iter().any(|r| r["ruleId"] == "terraform-syntax"));
    let out = hoist(&["check", "terraform", ".", "--format", "junit"], root);
    assert!(
        stdout(&out).contains("hoist check terraform"),
        "{}",
        stdout(&out)
    );

    std::fs::remove_file(root.join("broken.tf")).unwrap();
    assert_eq!(
        hoist(&["fmt", "terraform", "-r"], root).status.code(),
        Some(0)
    );
    let out = hoist(&["check", "terraform", "--fmt"], root);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = hoist(&["check", "terraform"], root);
    assert_eq!(
        out.status.code(),
        Some(1),
        "security errors remain: {}",
        stdout(&out)
    );
    let out = hoist(&["check", "terraform", "nosuch"], root);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn full_adds_what_terraform_validate_knows_and_leaves_the_tree_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // No provider: terraform 1.0.3 validates it offline.
    std::fs::write(
        root.join("main.tf"),
        "terraform {\n  required_version = \">= 1.0\"\n}\n\nlocals {\n  a = upperr(\"x\")\n  b = var.nope\n}\n\noutput \"a\" {\n  value = local.a\n}\n\noutput \"b\" {\n  value = local.b\n}\n",
    )
    .unwrap();
    let terraform = hoist_testbed::program("terraform");
    let out = hoist(
        &[
            "check",
            "terraform",
            ".",
            "--full",
            "--terraform",
            terraform.to_str().unwrap(),
        ],
        root,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    // Only terraform knows its functions.
    assert!(
        text.contains("./main.tf:6:7: error: terraform validate: Call to unknown function [terraform-validate]"),
        "{text}"
    );
    assert!(text.contains("Did you mean \"upper\"?"), "{text}");
    // Both see the undeclared variable; it is reported once, by hoist.
    assert_eq!(text.matches("./main.tf:7:7: error").count(), 1, "{text}");
    assert!(text.contains("[undeclared-reference]"), "{text}");
    assert!(!root.join(".terraform").exists() && !root.join(".terraform.lock.hcl").exists());

    // A module whose providers cannot be fetched: a warning says validate did not run.
    std::fs::write(
        root.join("providers.tf"),
        "terraform {\n  required_providers {\n    nosuch = {\n      source  = \"example.invalid/acme/nosuch\"\n      version = \"1.0.0\"\n    }\n  }\n}\n",
    )
    .unwrap();
    let out = hoist(
        &[
            "check",
            "terraform",
            ".",
            "--full",
            "--terraform",
            terraform.to_str().unwrap(),
        ],
        root,
    );
    assert!(
        stdout(&out)
            .contains("warning: `terraform init` failed here, so `terraform validate` did not run"),
        "{}",
        stdout(&out)
    );
}
