//! Remote actions and the action cache: fetched before any job starts (once, also with two
//! `hoist run`s at once), from a mirror first, imported with `hoist actions add`, filled with
//! `hoist actions pull`, and every missing one named at once. "Remote" repositories are git
//! repositories in temporary directories, served by path (`file://`).

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;

use crate::project::Project;
use crate::run::run_id;
use crate::{git, stderr, stdout};

const HELLO_ACTION: &str = "name: hello\ninputs:\n  to: {default: you}\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: echo \"remote hello to ${{ inputs.to }}\"\n";

/// A directory of bare repositories laid out as a forge serves them (`<owner>/<repo>.git`),
/// with `acme/hello` tagged `v1`; returns it, the source clone and the tagged commit.
fn remotes() -> (tempfile::TempDir, PathBuf, String) {
    let remotes = tempfile::tempdir().unwrap();
    let src = remotes.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("action.yml"), HELLO_ACTION).unwrap();
    git(&src, &["init", "-q", "-b", "main"]);
    git(&src, &["add", "-A"]);
    git(
        &src,
        &[
            "-c",
            "user.name=a",
            "-c",
            "user.email=a@b",
            "commit",
            "-q",
            "-m",
            "action",
        ],
    );
    git(&src, &["tag", "v1"]);
    let sha = git(&src, &["rev-parse", "HEAD"]).trim().to_owned();
    std::fs::create_dir_all(remotes.path().join("acme")).unwrap();
    let bare = remotes.path().join("acme/hello.git");
    git(
        remotes.path(),
        &[
            "clone",
            "-q",
            "--bare",
            src.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    (remotes, src, sha)
}

fn url_of(dir: &Path) -> String {
    format!("file://{}", dir.display())
}

fn hello_workflow(uses: &str, jobs: usize) -> String {
    let mut wf = String::from("on: push\njobs:\n");
    for j in 0..jobs {
        wf.push_str(&format!(
            "  r{j}:\n    runs-on: x\n    steps:\n      - uses: {uses}\n        with:\n          to: job{j}\n"
        ));
    }
    wf
}

#[test]
fn remote_actions_come_from_the_cache_or_are_fetched_with_git() {
    let (remotes, _src, _) = remotes();
    // Four jobs in parallel use the same action: it is fetched once, before they start.
    let p = Project::new(&[("remote.yml", &hello_workflow("acme/hello@v1", 4))]);
    let url = url_of(remotes.path());
    let out = p
        .command(&["run", "--jobs", "4"])
        .env("HOIST_ACTIONS_URL", &url)
        .output()
        .unwrap();
    crate::assert_succeeded(&out);
    assert!(
        stderr(&out).contains("fetched action `acme/hello@v1`"),
        "{}",
        stderr(&out)
    );
    let log = p.log(run_id(&p.last_run()));
    for j in 0..4 {
        assert!(log.contains(&format!("remote hello to job{j}")), "{log}");
    }
    assert!(p.data().join("actions/acme/hello@v1/action.yml").is_file());
    let leftovers: Vec<_> = std::fs::read_dir(p.data().join("actions/acme"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        1,
        "no temporary fetch directory is left: {leftovers:?}"
    );

    // Now from the cache, with the remote gone.
    drop(remotes);
    let out = p
        .command(&["run"])
        .env("HOIST_ACTIONS_URL", &url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Actions neither cached nor fetchable: named all at once, before any job starts.
    let wf = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo first\n      - uses: acme/missing@v9\n  b:\n    runs-on: x\n    steps:\n      - uses: acme/gone@v2\n      - uses: acme/hello@v1\n";
    p.write(".github/workflows/remote.yml", wf);
    let runs_before = p.hoist(&["runs", "list", "--json"]).stdout;
    let out = p
        .command(&["run"])
        .env("HOIST_ACTIONS_URL", &url)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("2 action(s) are not in the action cache"),
        "{err}"
    );
    assert!(
        err.contains("acme/missing@v9: ") && err.contains("acme/gone@v2: "),
        "{err}"
    );
    assert!(
        err.contains("hoist actions add OWNER/REPO@REF PATH|GIT-URL"),
        "{err}"
    );
    assert!(
        !err.contains("acme/hello@v1:"),
        "the cached one is not listed: {err}"
    );
    assert_eq!(
        p.hoist(&["runs", "list", "--json"]).stdout,
        runs_before,
        "no run was started"
    );
}

#[test]
fn two_runs_at_once_fetch_the_same_action_safely() {
    let (remotes, _src, _) = remotes();
    let url = url_of(remotes.path());
    let a = Project::new(&[("remote.yml", &hello_workflow("acme/hello@v1", 2))]);
    let b = Project::new(&[("remote.yml", &hello_workflow("acme/hello@v1", 2))]);
    // One action cache for both, as on a shared runner machine.
    let cache = tempfile::tempdir().unwrap();
    let config = format!("action-cache = \"{}\"\n", cache.path().display());
    a.write("hoist.toml", &config);
    b.write("hoist.toml", &config);
    let spawn = |p: &Project| {
        p.command(&["run"])
            .env("HOIST_ACTIONS_URL", &url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    for _ in 0..3 {
        let _ = std::fs::remove_dir_all(cache.path().join("acme"));
        let (first, second) = (spawn(&a), spawn(&b));
        for child in [first, second] {
            let out = child.wait_with_output().unwrap();
            crate::assert_succeeded(&out);
        }
        let entries: Vec<_> = std::fs::read_dir(cache.path().join("acme"))
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(entries, ["hello@v1"]);
    }
}

#[test]
fn actions_add_imports_from_a_local_clone_and_pull_uses_the_mirror() {
    let (remotes, src, sha) = remotes();
    // No network: GitHub's stand-in is a directory with nothing in it.
    let nowhere = tempfile::tempdir().unwrap();
    let nowhere_url = url_of(nowhere.path());
    let wf = format!(
        "on: push\njobs:\n  by-tag:\n    runs-on: x\n    steps:\n      - uses: acme/hello@v1\n  by-sha:\n    runs-on: x\n    steps:\n      - uses: acme/hello@{sha}\n        with:\n          to: sha\n"
    );
    let p = Project::new(&[("remote.yml", &wf)]);
    let hoist = |args: &[&str]| {
        p.command(args)
            .env("HOIST_ACTIONS_URL", &nowhere_url)
            .output()
            .unwrap()
    };

    // pull reports both as missing, with the fix; exit 1.
    let out = hoist(&["actions", "pull", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2, "{rows}");
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "failed"),
        "{rows}"
    );

    // add, from the local clone (a relative path), by tag and by commit.
    let rel = pathdiff(&src, &p.root());
    for action in ["acme/hello@v1".to_owned(), format!("acme/hello@{sha}")] {
        let out = hoist(&["actions", "add", &action, &rel]);
        crate::assert_succeeded(&out);
        assert!(stdout(&out).contains(&format!("added {action}")));
    }
    let out = hoist(&["actions", "add", "acme/hello@v1", &rel]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("already cached"), "{}", stderr(&out));
    let out = hoist(&["actions", "add", "acme/hello@nope", &rel]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot add `acme/hello@nope`"),
        "{}",
        stderr(&out)
    );
    let out = hoist(&["actions", "add", "hello", &rel]);
    assert_eq!(out.status.code(), Some(2));

    let out = hoist(&["run"]);
    crate::assert_succeeded(&out);
    let log = p.log(run_id(&p.last_run()));
    assert!(
        log.contains("remote hello to you") && log.contains("remote hello to sha"),
        "{log}"
    );
    let out = hoist(&["actions", "list", "--json"]);
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");

    // A mirror template is tried before GitHub: pull fills an empty cache from it.
    std::fs::remove_dir_all(p.data().join("actions")).unwrap();
    p.write(
        "hoist.toml",
        &format!(
            "[actions]\nmirror = \"{}/{{owner}}/{{repo}}.git\"\n",
            url_of(remotes.path())
        ),
    );
    let out = hoist(&["actions", "pull"]);
    crate::assert_succeeded(&out);
    let text = stdout(&out);
    assert!(
        text.contains("fetched  acme/hello@v1 from file://"),
        "{text}"
    );
    let out = hoist(&["actions", "pull"]);
    assert!(
        stdout(&out).contains("cached   acme/hello@v1"),
        "{}",
        stdout(&out)
    );
}

/// `path` relative to `base`, for a command line that names it relatively.
fn pathdiff(path: &Path, base: &Path) -> String {
    let depth = base.components().count();
    let up = "../".repeat(depth);
    format!("{up}{}", path.display().to_string().trim_start_matches('/'))
}
