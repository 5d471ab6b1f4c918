//! `cargo xtask` as a user runs it: a cache in a temporary directory and stand-ins for the
//! pinned tools on `PATH` (small scripts that print a version), so these tests install
//! nothing from a registry. What a stand-in proves is the finding, linking and reporting;
//! the real installs are what every `.ci/run` does on its first run.

#![allow(clippy::unwrap_used)] // a panic is how a test reports failure

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hoist_testbed::tools::{CORPORA, SYSTEM, TOOLS};

/// A temporary cache and a directory of stand-in programs.
struct Sandbox {
    cache: tempfile::TempDir,
    fakes: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        Self {
            cache: tempfile::tempdir().unwrap(),
            fakes: tempfile::tempdir().unwrap(),
        }
    }

    /// A stand-in `program` that prints `output` whatever it is asked.
    fn fake(&self, program: &str, output: &str) -> PathBuf {
        let path = self.fakes.path().join(program);
        std::fs::write(&path, format!("#!/bin/sh\necho '{output}'\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    /// Stand-ins for every pinned tool, each reporting its pinned version, and for every
    /// system command (so that no test ever reaches for apt-get).
    fn fake_all(&self) {
        for tool in TOOLS {
            self.fake(
                tool.programs[0].0,
                &format!("{} {}", tool.name, tool.version),
            );
        }
        for command in SYSTEM {
            self.fake(command.command, "system");
        }
        for corpus in CORPORA {
            let dir = self
                .cache
                .path()
                .join("sources")
                .join(format!("{}-{}", corpus.name, corpus.version));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(".installed"), corpus.version).unwrap();
        }
    }

    /// Runs `xtask` with only the stand-ins on PATH, so a developer's own copies of the tools
    /// do not change the outcome.
    fn xtask(&self, args: &[&str]) -> Output {
        let path = self.fakes.path().display().to_string();
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(args)
            .env("HOIST_DEV_CACHE", self.cache.path())
            .env("PATH", path)
            .output()
            .unwrap()
    }

    /// `xtask setup` with `cargo` standing in for Cargo.
    fn setup_with_cargo(&self, cargo: &Path) -> Output {
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .arg("setup")
            .env("HOIST_DEV_CACHE", self.cache.path())
            .env("PATH", self.fakes.path())
            .env("CARGO", cargo)
            .output()
            .unwrap()
    }

    fn doctor(&self) -> serde_json::Value {
        let out = self.xtask(&["doctor", "--json"]);
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn status_of(doc: &serde_json::Value, name: &str) -> (String, String) {
    let row = doc["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("{name} is listed: {doc}"));
    (
        row["status"].as_str().unwrap().to_owned(),
        row["path"].as_str().unwrap().to_owned(),
    )
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn doctor_tells_found_from_missing_and_from_another_version() {
    let sandbox = Sandbox::new();
    sandbox.fake("gitleaks", "8.30.1");
    sandbox.fake("s3s-fs", "s3s-fs 0.14.10");
    let out = sandbox.xtask(&["doctor", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (status, path) = status_of(&doc, "gitleaks");
    assert_eq!(status, "found");
    assert!(
        path.starts_with(sandbox.fakes.path().to_str().unwrap()),
        "{path}"
    );
    let (status, path) = status_of(&doc, "s3s-fs");
    assert_eq!(status, "other version");
    assert!(path.contains("0.14.10"), "{path}");
    // Something is missing or wrong: the checked thing failed.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(doc["ok"], false);

    let table = sandbox.xtask(&["doctor"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("run `cargo xtask setup`"), "{text}");
}

#[test]
fn setup_links_what_is_present_and_installs_nothing_twice() {
    let sandbox = Sandbox::new();
    sandbox.fake_all();
    let first = sandbox.xtask(&["setup"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let all = format!("all {} present", TOOLS.len() + SYSTEM.len() + CORPORA.len());
    assert!(stderr(&first).contains(&all), "{}", stderr(&first));
    for tool in TOOLS {
        let link = sandbox.cache.path().join("bin").join(tool.programs[0].0);
        assert_eq!(
            std::fs::read_link(&link).unwrap(),
            sandbox.fakes.path().join(tool.programs[0].0)
        );
    }
    assert!(
        !sandbox.cache.path().join("tools").exists(),
        "nothing was installed"
    );

    let second = sandbox.xtask(&["setup"]);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert!(
        !stderr(&second).contains("installing"),
        "{}",
        stderr(&second)
    );
    assert_eq!(sandbox.doctor()["ok"], true);
}

#[test]
fn an_unfinished_install_is_not_taken_as_present() {
    let sandbox = Sandbox::new();
    let gitleaks = TOOLS.iter().find(|t| t.name == "gitleaks").unwrap();
    // What an install killed half-way leaves: the program, but no stamp.
    let dir = sandbox
        .cache
        .path()
        .join("tools")
        .join(format!("gitleaks-{}", gitleaks.version));
    let program = dir.join(gitleaks.programs[0].1);
    std::fs::create_dir_all(program.parent().unwrap()).unwrap();
    std::fs::write(&program, "#!/bin/sh\necho 8.30.1\n").unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(status_of(&sandbox.doctor(), "gitleaks").0, "missing");

    std::fs::write(dir.join(".installed"), "8.30.1\n").unwrap();
    let (status, path) = status_of(&sandbox.doctor(), "gitleaks");
    assert_eq!(status, "found");
    assert_eq!(Path::new(&path), program);
}

#[test]
fn a_failed_install_names_the_tool_its_log_and_the_command_by_hand() {
    let sandbox = Sandbox::new();
    sandbox.fake_all();
    std::fs::remove_file(sandbox.fakes.path().join("s3s-fs")).unwrap();
    // `cargo install` that fails at once, as it does without a registry.
    let cargo = sandbox.fake("cargo", "error: no matching package named `s3s-fs` found");
    let out = sandbox.setup_with_cargo(&cargo);
    // The stand-in exits 0, so the install "succeeds" but provides no program: setup must
    // still refuse it.
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("s3s-fs 0.14.1"), "{err}");
    assert!(
        err.contains("cargo install s3s-fs --version 0.14.1 --locked --features binary"),
        "{err}"
    );
    assert_eq!(status_of(&sandbox.doctor(), "s3s-fs").0, "missing");

    std::fs::write(
        &cargo,
        "#!/bin/sh\necho 'error: no matching package' >&2\nexit 101\n",
    )
    .unwrap();
    let out = sandbox.setup_with_cargo(&cargo);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("installing s3s-fs 0.14.1 failed"), "{err}");
    assert!(err.contains("| error: no matching package"), "{err}");
    assert!(err.contains("logs/s3s-fs-0.14.1.log"), "{err}");
}

#[test]
fn a_corpus_that_cannot_be_fetched_is_named_with_the_cause() {
    let sandbox = Sandbox::new();
    sandbox.fake_all();
    let corpus = &CORPORA[0];
    let stamp = sandbox
        .cache
        .path()
        .join("sources")
        .join(format!("{}-{}", corpus.name, corpus.version))
        .join(".installed");
    std::fs::remove_file(stamp).unwrap();
    // Only the stand-ins are on PATH: no apt-cache to ask for the source package.
    let out = sandbox.xtask(&["setup"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("error: {} {}", corpus.name, corpus.version))
            && err.contains("apt-cache"),
        "{err}"
    );
    let doctor = sandbox.doctor();
    assert_eq!(status_of(&doctor, corpus.name).0, "missing");
}
