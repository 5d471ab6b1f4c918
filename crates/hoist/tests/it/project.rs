//! The test project: a git repository in a temp dir with its own Hoist data directory, shared
//! by the tests of every command that reads a repository.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

use crate::{stderr, stdout};

/// A git repository in a temp dir with its own Hoist data directory.
pub(crate) struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    pub(crate) fn new(workflows: &[(&str, &str)]) -> Self {
        let p = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        p.git(&["init", "-q", "-b", "main"]);
        p.git(&["config", "user.email", "dev@example.com"]);
        p.git(&["config", "user.name", "Dev"]);
        for (name, text) in workflows {
            p.write(&format!(".github/workflows/{name}"), text);
        }
        p.write("README.md", "hello\n");
        p.commit("initial");
        p
    }

    pub(crate) fn root(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    pub(crate) fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A path in the temp dir beside the repository, for what a test keeps out of it.
    pub(crate) fn beside(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn write(&self, rel: &str, text: &str) {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub(crate) fn git(&self, args: &[&str]) -> String {
        std::fs::create_dir_all(self.root()).unwrap();
        crate::git(&self.root(), args)
    }

    pub(crate) fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_hoist"));
        c.args(args)
            .current_dir(self.root())
            .env("HOIST_DATA_DIR", self.data())
            .env("CI", "true");
        c
    }

    pub(crate) fn hoist(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// The newest run, as `hoist runs view --json` prints it.
    pub(crate) fn last_run(&self) -> Value {
        let list = self.hoist(&["runs", "list", "--json", "--limit", "1"]);
        let runs: Value = serde_json::from_slice(&list.stdout).unwrap();
        let id = runs[0]["id"].as_i64().unwrap();
        self.view(id)
    }

    pub(crate) fn view(&self, id: i64) -> Value {
        let out = self.hoist(&["runs", "view", &id.to_string(), "--json"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    pub(crate) fn log(&self, id: i64) -> String {
        stdout(&self.hoist(&["runs", "view", &id.to_string(), "--log"]))
    }
}
