//! `hoist scan secrets`.

use std::process::{Command, Stdio};

use crate::{stderr, stdout};

fn scan(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hoist"))
        .arg("scan")
        .arg("secrets")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let w = |p: &str, t: &[u8]| {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, t).unwrap();
    };
    w(
        "src/config.py",
        b"STRIPE = \"sk_live_4eC39HqLyjWDarjtT1zdp7dc\"\nok = 1\n",
    );
    w(
        "src/allowed.py",
        b"GH = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'  # hoist:allow\n",
    );
    w(
        "build/out.env",
        b"NPM=npm_abcdefghijklmnopqrstuvwxyz0123456789\n",
    );
    w(".gitignore", b"build/\n");
    w(
        "blob.bin",
        b"\x00\x01ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    );
    let init = Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(init.success());
    dir
}

#[test]
fn finds_redacts_and_respects_gitignore() {
    let dir = tree();
    let out = scan(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("src/config.py:1:11: stripe-key: REDACTED"),
        "{text}"
    );
    assert!(
        !text.contains("sk_live_4eC39"),
        "redacted by default: {text}"
    );
    assert!(
        !text.contains("allowed.py") && !text.contains("blob.bin") && !text.contains("build/"),
        "{text}"
    );
    assert!(
        stderr(&out).contains("1 secret(s) found"),
        "{}",
        stderr(&out)
    );
    let all = scan(dir.path(), &["--no-git-ignore", "--no-redact"]);
    let text = stdout(&all);
    assert!(
        text.contains("build/out.env:1:5: npm-token: npm_abcdefghijklmnopqrstuvwxyz0123456789"),
        "{text}"
    );
    assert!(text.contains("sk_live_4eC39HqLyjWDarjtT1zdp7dc"));
    let partial = scan(dir.path(), &["--redact", "50"]);
    assert!(
        stdout(&partial).contains("stripe-key: sk_live_4eC39HqL..."),
        "{}",
        stdout(&partial)
    );
}

#[test]
fn reports_in_every_format_and_exit_codes() {
    let dir = tree();
    for (format, check) in [
        ("json", "\"RuleID\": \"stripe-key\""),
        ("csv", "RuleID,Commit,File"),
        (
            "junit",
            "<testsuite name=\"hoist secrets\" tests=\"1\" failures=\"1\">",
        ),
        ("sarif", "\"version\": \"2.1.0\""),
    ] {
        let out = scan(dir.path(), &["-f", format, "-r", "report.out"]);
        assert_eq!(out.status.code(), Some(1));
        let report = std::fs::read_to_string(dir.path().join("report.out")).unwrap();
        assert!(report.contains(check), "{format}: {report}");
    }
    let sarif: serde_json::Value =
        serde_json::from_slice(&scan(dir.path(), &["-f", "sarif"]).stdout).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "stripe-key");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    assert_eq!(
        scan(dir.path(), &["--exit-code", "7"]).status.code(),
        Some(7)
    );
    let clean = tempfile::tempdir().unwrap();
    std::fs::write(clean.path().join("a.txt"), "nothing to see").unwrap();
    let out = scan(clean.path(), &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "");
}

#[test]
fn reads_standard_input_and_gitleaks_configs() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["scan", "secrets", "-", "--no-redact"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"x = 'glpat-abcdefghijklmnopqrst'\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("stdin:1:6: gitlab-token: glpat-abcdefghijklmnopqrst"),
        "{}",
        stdout(&out)
    );
    // A project's .gitleaks.toml is used as is.
    std::fs::write(
        dir.path().join(".gitleaks.toml"),
        "[[rules]]\nid = 'internal'\nregex = '''INTERNAL-[0-9]{6}'''\nkeywords = ['internal-']\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("a.txt"), "ref INTERNAL-123456\n").unwrap();
    let out = scan(dir.path(), &["--no-redact"]);
    assert!(
        stdout(&out).contains("a.txt:1:5: internal: INTERNAL-123456"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains(".gitleaks.toml` (1 rules)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bad_configuration_is_a_usage_error_naming_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "[[rules]]\nid = 'oops'\nregex = '''(unclosed'''\n",
    )
    .unwrap();
    let out = scan(dir.path(), &["--config", "bad.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("bad.toml:2: rule `oops`: invalid `regex`"),
        "{}",
        stderr(&out)
    );
    let missing = scan(dir.path(), &["nope"]);
    assert_eq!(missing.status.code(), Some(2));
}
