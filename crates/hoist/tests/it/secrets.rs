//! `hoist secret` against a `hoist serve` process: a value piped in reaches the run (masked
//! in its log), listing shows names only, rotation and deletion work from the CLI, the key
//! file named by `--secret-key-file` is created private, and a server whose keys come from
//! `HOIST_SECRET_KEY` refuses to rotate them, saying why.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::project::Project;
use crate::server::http_get;
use crate::server_processes::*;
use crate::{stderr, stdout};

const DEPLOY: &str = r#"on: workflow_dispatch
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: |
          echo "key=$KEY"
          test "$KEY" = "prod-deploy""-key"
        env:
          KEY: ${{ secrets.DEPLOY_KEY }}
"#;

/// `hoist ARGS` against `url` as the admin, with `stdin` piped in.
fn hoist_with_stdin(p: &Project, url: &str, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(args)
        .env("HOIST_SERVER", url)
        .env("HOIST_TOKEN", token(p))
        .env_remove("HOIST_REPO")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn hoist_at(p: &Project, url: &str, args: &[&str]) -> std::process::Output {
    hoist_with_stdin(p, url, args, "")
}

#[test]
fn secrets_set_from_the_cli_reach_runs_masked_and_rotate() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::new(&[("deploy.yml", DEPLOY)]);
    let name = p.root().file_name().unwrap().to_str().unwrap().to_owned();
    let keys = p.beside("keys/secret-key");
    std::fs::create_dir_all(keys.parent().unwrap()).unwrap();
    let mut processes = Processes(Vec::new());
    let url = start_server_with(
        &p,
        &mut processes,
        1,
        &["--secret-key-file", keys.to_str().unwrap()],
    );
    let mode = std::fs::metadata(&keys).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    let set = hoist_with_stdin(
        &p,
        &url,
        &[
            "secret",
            "set",
            "deploy_key",
            "--repo",
            &name,
            "--env",
            "production",
        ],
        "prod-deploy-key\n",
    );
    assert_eq!(set.status.code(), Some(0), "{}", stderr(&set));
    assert!(
        stderr(&set).contains(&format!(
            "secret `DEPLOY_KEY` of `{name}` environment `production` created"
        )),
        "{}",
        stderr(&set)
    );
    // `--env` without `--repo` is a usage error.
    let usage = hoist_at(&p, &url, &["secret", "set", "X", "--env", "production"]);
    assert_eq!(usage.status.code(), Some(2), "{}", stderr(&usage));
    // Nothing on stdin: refused, with the way to give it.
    let empty = hoist_at(&p, &url, &["secret", "set", "X", "--repo", &name]);
    assert_eq!(empty.status.code(), Some(2), "{}", stderr(&empty));
    assert!(
        stderr(&empty).contains("no value on stdin"),
        "{}",
        stderr(&empty)
    );

    let out = dispatch(&p, &url, &["deploy.yml", "--watch"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );

    let list = hoist_at(&p, &url, &["secret", "list", "--repo", &name]);
    assert_eq!(list.status.code(), Some(0), "{}", stderr(&list));
    let table = stdout(&list);
    assert!(
        table.contains("DEPLOY_KEY")
            && table.contains("production")
            && !table.contains("prod-deploy"),
        "{table}"
    );
    let json = hoist_at(&p, &url, &["secret", "list", "--repo", &name, "--json"]);
    let listed: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(listed[0]["name"], "DEPLOY_KEY");
    assert!(listed[0].get("value").is_none());

    let rotate = hoist_at(&p, &url, &["secret", "rotate-key", "--json"]);
    assert_eq!(rotate.status.code(), Some(0), "{}", stderr(&rotate));
    let rotation: Value = serde_json::from_slice(&rotate.stdout).unwrap();
    assert_eq!(
        rotation["resealed"], 2,
        "the secret and the OIDC signing key"
    );
    let file = std::fs::read_to_string(&keys).unwrap();
    assert!(
        file.contains(rotation["key"].as_str().unwrap())
            && file.contains(rotation["previous"].as_str().unwrap()),
        "{file}"
    );
    let out = dispatch(&p, &url, &["deploy.yml", "--watch"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );

    // The OIDC issuer's key rotates from the CLI too; the previous one stays published.
    let oidc = hoist_at(&p, &url, &["oidc", "rotate-key", "--json"]);
    assert_eq!(oidc.status.code(), Some(0), "{}", stderr(&oidc));
    let answer: Value = serde_json::from_slice(&oidc.stdout).unwrap();
    let jwks = http_get(&url, "/.well-known/jwks");
    assert!(
        jwks.contains(answer["key"].as_str().unwrap())
            && jwks.contains(answer["previous"].as_str().unwrap()),
        "{jwks}"
    );

    let delete = hoist_at(
        &p,
        &url,
        &[
            "secret",
            "delete",
            "DEPLOY_KEY",
            "--repo",
            &name,
            "--env",
            "production",
        ],
    );
    assert_eq!(delete.status.code(), Some(0), "{}", stderr(&delete));
    let none = hoist_at(&p, &url, &["secret", "list", "--repo", &name]);
    assert!(stderr(&none).contains("no secrets"), "{}", stderr(&none));
}

#[test]
fn keys_from_the_environment_work_but_are_not_rotated_by_the_server() {
    let p = Project::new(&[("deploy.yml", DEPLOY)]);
    let name = p.root().file_name().unwrap().to_str().unwrap().to_owned();
    // A keyring written by a first server, handed to the second through the environment.
    let keys = p.beside("keys/secret-key");
    std::fs::create_dir_all(keys.parent().unwrap()).unwrap();
    {
        let mut processes = Processes(Vec::new());
        start_server_with(
            &p,
            &mut processes,
            0,
            &["--secret-key-file", keys.to_str().unwrap()],
        );
    }
    let text = std::fs::read_to_string(&keys).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_hoist"));
    command
        .args([
            "serve",
            "--runners",
            "1",
            "--listen",
            "127.0.0.1:0",
            "--repo",
        ])
        .arg(p.root())
        .arg("--data-dir")
        .arg(p.beside("server"))
        .env("HOIST_SECRET_KEY", &text);
    let mut processes = Processes(Vec::new());
    let (url, _) = spawn_server(command, &mut processes);
    assert!(
        !p.beside("server/secret-key").exists(),
        "no key file is made when the keys come from the environment"
    );
    let set = hoist_with_stdin(
        &p,
        &url,
        &[
            "secret",
            "set",
            "DEPLOY_KEY",
            "--repo",
            &name,
            "--env",
            "production",
        ],
        "prod-deploy-key",
    );
    assert_eq!(set.status.code(), Some(0), "{}", stderr(&set));
    let out = dispatch(&p, &url, &["deploy.yml", "--watch"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let rotate = hoist_at(&p, &url, &["secret", "rotate-key"]);
    assert_eq!(rotate.status.code(), Some(2), "{}", stderr(&rotate));
    assert!(
        stderr(&rotate).contains("HOIST_SECRET_KEY"),
        "{}",
        stderr(&rotate)
    );
}
