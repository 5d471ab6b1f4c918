//! `hoist scan secrets`.

use std::process::{Command, Stdio};

use crate::{git, stderr, stdout};

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
fn finds_secrets_behind_encodings_and_hides_the_encoded_form() {
    let dir = tempfile::tempdir().unwrap();
    // base64 of "token: ghp_…", as a CI variable might hold it.
    let token = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
    let encoded = "dG9rZW46IGdocF9BMWIyQzNkNEU1ZjZHN2g4STlqMEsxbDJNM240TzVwNlE3cjg=";
    std::fs::write(
        dir.path().join("ci.env"),
        format!("BOOTSTRAP=\"{encoded}\"\n"),
    )
    .unwrap();
    let out = scan(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("ci.env:1:12: github-token: REDACTED (entropy")
            && text.contains("decoded from base64"),
        "{text}"
    );
    assert!(
        !text.contains(token) && !text.contains(encoded),
        "neither the secret nor its encoding is shown: {text}"
    );
    let json = scan(dir.path(), &["-f", "json", "--no-redact"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report[0]["Secret"], token);
    let tags = report[0]["Tags"].as_array().unwrap();
    assert_eq!(
        tags[tags.len() - 2..],
        [
            serde_json::json!("decoded:base64"),
            serde_json::json!("decode-depth:1")
        ]
    );
    // The match is what the rule matched in the decoded text.
    assert_eq!(report[0]["Match"], token);
    // SARIF says so too, and carries the tags.
    let sarif: serde_json::Value =
        serde_json::from_slice(&scan(dir.path(), &["-f", "sarif"]).stdout).unwrap();
    crate::assert_valid_sarif(&sarif);
    let result = &sarif["runs"][0]["results"][0];
    assert!(
        result["message"]["text"]
            .as_str()
            .unwrap()
            .ends_with("(decoded from base64)"),
        "{result}"
    );
    assert!(
        result["properties"]["tags"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("decode-depth:1")),
        "{result}"
    );
    let plain = scan(dir.path(), &["--max-decode-depth", "0"]);
    assert_eq!(plain.status.code(), Some(0), "{}", stdout(&plain));
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
    crate::assert_valid_sarif(&sarif);
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

/// A history that adds the corpus of planted secrets over several commits, then changes one.
fn history() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    git(d, &["config", "user.email", "dev@example.com"]);
    git(d, &["config", "user.name", "Dev"]);
    let corpus = crate::workspace_root().join("crates/hoist-secrets/tests/data/corpus");
    let mut names: Vec<_> = std::fs::read_dir(&corpus)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    for (i, chunk) in names.chunks(5).enumerate() {
        for f in chunk {
            std::fs::copy(f, d.join(f.file_name().unwrap())).unwrap();
        }
        git(d, &["add", "-A"]);
        git(d, &["commit", "-q", "-m", &format!("batch {i}")]);
    }
    let stripe = std::fs::read_to_string(d.join("stripe.rb")).unwrap();
    std::fs::write(
        d.join("stripe.rb"),
        format!("{stripe}LATER = \"sk_live_Zq81kPz3Lm0Qw7Xc4Vb6Nn2R\"\n"),
    )
    .unwrap();
    // A secret behind base64 added in the middle of a file: the added lines start below line 1.
    let encoded = std::fs::read_to_string(d.join("encoded.py")).unwrap();
    let mut lines: Vec<&str> = encoded.lines().collect();
    // base64 of "STRIPE_KEY=sk_live_Zq81kPz3Lm0Qw7Xc4Vb6Nn2R".
    lines.insert(
        5,
        "rotated = \"U1RSSVBFX0tFWT1za19saXZlX1pxODFrUHozTG0wUXc3WGM0VmI2Tm4yUg==\"",
    );
    std::fs::write(d.join("encoded.py"), lines.join("\n") + "\n").unwrap();
    git(d, &["commit", "-q", "-am", "later"]);
    dir
}

type GitKey = (String, String, u64, String, String);

fn keys(json: &str) -> std::collections::BTreeSet<GitKey> {
    let v: Vec<serde_json::Value> = serde_json::from_str(json).unwrap();
    v.iter()
        .map(|f| {
            (
                f["Commit"].as_str().unwrap().to_owned(),
                f["File"].as_str().unwrap().to_owned(),
                f["StartLine"].as_u64().unwrap(),
                f["RuleID"].as_str().unwrap().to_owned(),
                f["Secret"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn git_history_findings_match_gitleaks() {
    let repo = history();
    let config =
        crate::workspace_root().join("crates/hoist-secrets/tests/data/gitleaks/gitleaks.toml");
    let theirs = Command::new(hoist_testbed::program("gitleaks"))
        .args([
            "git",
            ".",
            "--no-banner",
            "--exit-code",
            "0",
            "-f",
            "json",
            "-r",
            "gitleaks.json",
            "--config",
        ])
        .arg(&config)
        .current_dir(repo.path())
        .output()
        .expect("run gitleaks");
    assert!(
        theirs.status.success(),
        "{}",
        String::from_utf8_lossy(&theirs.stderr)
    );
    let theirs = keys(&std::fs::read_to_string(repo.path().join("gitleaks.json")).unwrap());
    let ours = scan(
        repo.path(),
        &[
            "--git",
            "--no-redact",
            "-f",
            "json",
            "--config",
            config.to_str().unwrap(),
        ],
    );
    assert_eq!(ours.status.code(), Some(1), "{}", stderr(&ours));
    let ours = keys(&stdout(&ours));
    assert!(theirs.len() >= 30, "{} findings", theirs.len());
    assert_eq!(ours, theirs);
    // Only the last commit.
    let last = scan(repo.path(), &["--git", "--since", "HEAD~1", "--no-redact"]);
    let text = stdout(&last);
    assert_eq!(
        text.lines()
            .filter(|l| l.contains(": stripe-key: "))
            .count(),
        2,
        "{text}"
    );
    assert!(
        text.contains("stripe.rb:3:10: stripe-key: sk_live_Zq81kPz3Lm0Qw7Xc4Vb6Nn2R")
            && text.contains("commit "),
        "{text}"
    );
    assert!(
        text.contains("encoded.py:6:12: stripe-key: sk_live_Zq81kPz3Lm0Qw7Xc4Vb6Nn2R (entropy")
            && text.contains("decoded from base64"),
        "{text}"
    );
    let none = scan(repo.path(), &["--git", "--range", "HEAD..HEAD"]);
    assert_eq!(none.status.code(), Some(0));
    let bad = scan(repo.path(), &["--git", "--range", "nope..HEAD"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("`git` failed"), "{}", stderr(&bad));
}

#[test]
fn staged_changes_and_the_pre_commit_hook() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    git(d, &["config", "user.email", "dev@example.com"]);
    git(d, &["config", "user.name", "Dev"]);
    std::fs::write(d.join("ok.txt"), "fine\n").unwrap();
    git(d, &["add", "ok.txt"]);
    assert_eq!(scan(d, &["--staged"]).status.code(), Some(0));
    let installed = scan(d, &["--install-hook"]);
    assert_eq!(installed.status.code(), Some(0), "{}", stderr(&installed));
    git(d, &["commit", "-q", "-m", "clean commit passes the hook"]);
    std::fs::write(d.join("leak.env"), "TOKEN=glpat-abcdefghijklmnopqrst\n").unwrap();
    git(d, &["add", "leak.env"]);
    let staged = scan(d, &["--staged"]);
    assert_eq!(staged.status.code(), Some(1));
    assert!(
        stdout(&staged).contains("leak.env:1:7: gitlab-token: REDACTED"),
        "{}",
        stdout(&staged)
    );
    let commit = Command::new("git")
        .args(["commit", "-q", "-m", "leak"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(!commit.status.success(), "the hook blocks the commit");
    // Git passes a hook's output on through its own standard error.
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&commit.stdout),
        String::from_utf8_lossy(&commit.stderr)
    );
    assert!(said.contains("gitlab-token"), "{said}");
    assert_eq!(git(d, &["rev-list", "--count", "HEAD"]).trim(), "1");
    // A second install is a no-op; someone else's hook is not overwritten.
    assert_eq!(scan(d, &["--install-hook"]).status.code(), Some(0));
    std::fs::write(d.join(".git/hooks/pre-commit"), "#!/bin/sh\necho mine\n").unwrap();
    let refused = scan(d, &["--install-hook"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("already exists"));
}

#[test]
fn baselines_and_gitleaksignore_leave_known_findings_out() {
    let dir = tree();
    // A baseline taken now (redacted, as by default) covers the current finding...
    let out = scan(dir.path(), &["-f", "json", "-r", "baseline.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        scan(dir.path(), &["--baseline", "baseline.json"])
            .status
            .code(),
        Some(0)
    );
    // ...even when the line moves, but not a new secret.
    let config = dir.path().join("src/config.py");
    let old = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!("# moved down\n{old}NEW = \"rk_live_aZ3xQ9pL2mK8vB4nC7dE1fG6\"\n"),
    )
    .unwrap();
    let out = scan(dir.path(), &["--baseline", "baseline.json"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("src/config.py:4:") && !text.contains("src/config.py:2:"),
        "{text}"
    );
    // .gitleaksignore with gitleaks fingerprints.
    std::fs::write(
        dir.path().join(".gitleaksignore"),
        "src/config.py:stripe-key:2\nsrc/config.py:stripe-key:4 # rotated\n",
    )
    .unwrap();
    assert_eq!(scan(dir.path(), &[]).status.code(), Some(0));
    let bad = scan(dir.path(), &["--baseline", "missing.json"]);
    assert_eq!(bad.status.code(), Some(2));
}
