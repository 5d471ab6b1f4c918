//! Secrets at rest on the server: set through the API (admins only), listed without
//! values, sealed in the database (no value in its files), opened only for the runs of their
//! repository, an environment's only for jobs that target it, masked in logs, and still
//! there after the key is rotated twice (the first key then gone from the key file).

use hoist_server::{SecretScope, TokenRequest};

use crate::{Served, serve};

/// The values it expects are split in two (`"a""b"` is `ab` to the shell), so that the
/// workflow's own text, which the queue keeps, does not hold them.
const WORKFLOW: &str = r#"on: workflow_dispatch
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "token=${{ secrets.NPM_TOKEN }}"
          test "$T" = "npm-s3cr3t""-value"
          test "$ORG" = "org-wide""-value"
          test -z "$DEPLOY"
        env:
          T: ${{ secrets.NPM_TOKEN }}
          ORG: ${{ secrets.ORG_WIDE }}
          DEPLOY: ${{ secrets.DEPLOY_KEY }}
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: |
          test "$DEPLOY" = "deploy-key""-value"
          test "$T" = "npm-s3cr3t""-value"
          echo "deploy=$DEPLOY"
        env:
          DEPLOY: ${{ secrets.DEPLOY_KEY }}
          T: ${{ secrets.NPM_TOKEN }}
"#;

const VALUES: &[&str] = &[
    "npm-s3cr3t-value",
    "org-wide-value",
    "deploy-key-value",
    "org-npm-value",
];

fn scope(repo: Option<&str>, environment: Option<&str>) -> SecretScope {
    SecretScope {
        repo: repo.map(str::to_owned),
        environment: environment.map(str::to_owned),
    }
}

fn set(served: &Served, name: &str, scope: &SecretScope, value: &str) -> bool {
    served
        .runtime
        .block_on(served.client.set_secret(name, scope, value))
        .unwrap()
}

/// Dispatches the workflow and waits for it; returns the two jobs' logs.
fn run_it(served: &Served) -> (String, String) {
    let id = served.dispatch("secrets.yml", &[]);
    let view = served.wait_for(id, "completed", |v| v.status == "completed");
    let (build, deploy) = (served.log(id, "build"), served.log(id, "deploy"));
    assert_eq!(
        view.conclusion.as_deref(),
        Some("success"),
        "{view:#?}\n{build}\n{deploy}"
    );
    (build, deploy)
}

/// Every byte the database keeps on disk: the file and its write-ahead log.
fn database_bytes(served: &Served) -> Vec<u8> {
    let data = served.dir.path().join("data");
    let mut bytes = Vec::new();
    for name in ["hoist.db", "hoist.db-wal"] {
        if let Ok(b) = std::fs::read(data.join(name)) {
            bytes.extend(b);
        }
    }
    assert!(!bytes.is_empty());
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn key_ids(served: &Served) -> Vec<String> {
    std::fs::read_to_string(served.dir.path().join("data/secret-key"))
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("v1 "))
        .map(|l| l.split_whitespace().nth(1).unwrap().to_owned())
        .collect()
}

#[test]
fn secrets_are_sealed_at_rest_scoped_masked_and_survive_key_rotation() {
    use std::os::unix::fs::PermissionsExt;
    let served = serve(&[("secrets.yml", WORKFLOW)], 1);
    let key_file = served.dir.path().join("data/secret-key");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the key file is created private");

    // The organisation's secret, one the repository overrides, the repository's own, and
    // an environment's; names are case-insensitive.
    assert!(set(
        &served,
        "ORG_WIDE",
        &scope(None, None),
        "org-wide-value"
    ));
    assert!(set(
        &served,
        "NPM_TOKEN",
        &scope(None, None),
        "org-npm-value"
    ));
    assert!(set(
        &served,
        "npm_token",
        &scope(Some("repo"), None),
        "first-npm-value"
    ));
    assert!(!set(
        &served,
        "NPM_TOKEN",
        &scope(Some("repo"), None),
        "npm-s3cr3t-value"
    ));
    assert!(set(
        &served,
        "DEPLOY_KEY",
        &scope(Some("repo"), Some("production")),
        "deploy-key-value"
    ));

    let (build, deploy) = run_it(&served);
    assert!(build.contains("token=***"), "{build}");
    assert!(deploy.contains("deploy=***"), "{deploy}");
    for value in VALUES {
        assert!(
            !build.contains(value) && !deploy.contains(value),
            "{value} in a log"
        );
    }

    // Listed by name, never by value.
    let listed = served
        .runtime
        .block_on(served.client.secrets(&scope(Some("repo"), None)))
        .unwrap();
    let names: Vec<_> = listed
        .iter()
        .map(|s| format!("{}:{}", s.environment.as_deref().unwrap_or("-"), s.name))
        .collect();
    assert_eq!(names, ["-:NPM_TOKEN", "production:DEPLOY_KEY"]);
    let shown = serde_json::to_string(&listed).unwrap();
    assert!(VALUES.iter().all(|v| !shown.contains(v)), "{shown}");

    // The database keeps no value in the clear, not even in the queue's job requests.
    let bytes = database_bytes(&served);
    for value in VALUES.iter().chain(&["first-npm-value"]) {
        assert!(
            !contains(&bytes, value),
            "`{value}` is in the database files"
        );
    }
    assert!(contains(&bytes, "hoist:v1:"), "sealed values are there");
    // The audit log says who set which secret, never the value.
    let audit = served.audit("secret.set");
    assert_eq!(audit.len(), 5);
    assert!(
        audit
            .iter()
            .all(|e| !e.detail.to_string().contains("value"))
    );

    // Only admins set secrets; developers may list them.
    let developer = served
        .runtime
        .block_on(served.client.create_token(&TokenRequest {
            name: "dev".into(),
            role: "developer".into(),
            repos: None,
        }))
        .unwrap();
    let as_developer =
        hoist_server::Client::new(&format!("http://{}", served.address), &developer.token);
    let refused = served
        .runtime
        .block_on(as_developer.set_secret("X", &scope(Some("repo"), None), "v"))
        .unwrap_err()
        .to_string();
    assert!(refused.contains("needs the `admin` role"), "{refused}");
    assert_eq!(
        served
            .runtime
            .block_on(as_developer.secrets(&scope(Some("repo"), None)))
            .unwrap()
            .len(),
        2
    );
    // Bad names and scopes say what is wrong.
    for (name, scope, expect) in [
        ("GITHUB_X", scope(Some("repo"), None), "reserved"),
        (
            "1X",
            scope(Some("repo"), None),
            "must not start with a digit",
        ),
        (
            "A-B",
            scope(Some("repo"), None),
            "only letters, digits and `_`",
        ),
        (
            "X",
            scope(None, Some("production")),
            "`environment` needs `repo`",
        ),
        ("X", scope(Some("nope"), None), "no repository `nope`"),
    ] {
        let e = served
            .runtime
            .block_on(served.client.set_secret(name, &scope, "v"))
            .unwrap_err()
            .to_string();
        assert!(e.contains(expect), "{e} lacks {expect}");
    }

    // Rotation: a new key seals everything; the one before it stays in the file until the
    // next rotation, and then the first key is gone; runs still see every secret.
    let first = key_ids(&served);
    assert_eq!(first.len(), 1);
    let rotation = served
        .runtime
        .block_on(served.client.rotate_secret_key())
        .unwrap();
    assert_eq!(rotation.previous, first[0]);
    assert_eq!(
        rotation.resealed, 5,
        "four secrets and the OIDC signing key; no job is queued"
    );
    assert_eq!(key_ids(&served), [rotation.key.clone(), first[0].clone()]);
    run_it(&served);
    let second = served
        .runtime
        .block_on(served.client.rotate_secret_key())
        .unwrap();
    assert_eq!(second.dropped, [first[0].clone()]);
    assert_eq!(key_ids(&served), [second.key.clone(), rotation.key.clone()]);
    run_it(&served);
    assert_eq!(served.audit("secret.rotate_key").len(), 2);

    // Deleted, a secret is gone from the runs too.
    served
        .runtime
        .block_on(
            served
                .client
                .delete_secret("DEPLOY_KEY", &scope(Some("repo"), Some("production"))),
        )
        .unwrap();
    let id = served.dispatch("secrets.yml", &[]);
    let view = served.wait_for(id, "completed", |v| v.status == "completed");
    assert_eq!(view.conclusion.as_deref(), Some("failure"));
    let gone = served
        .runtime
        .block_on(
            served
                .client
                .delete_secret("DEPLOY_KEY", &scope(Some("repo"), Some("production"))),
        )
        .unwrap_err()
        .to_string();
    assert!(gone.contains("no secret `DEPLOY_KEY`"), "{gone}");
}

/// A job waiting in the queue carries its secrets sealed: its request in the database holds
/// none; a rotation reseals them with the stored secrets; after a restart a runner gets
/// them back and the job sees every value.
#[test]
fn a_queued_job_s_secrets_are_sealed_and_resealed_until_a_runner_claims_it() {
    let served = serve(&[("secrets.yml", WORKFLOW)], 0);
    set(&served, "ORG_WIDE", &scope(None, None), "org-wide-value");
    set(
        &served,
        "NPM_TOKEN",
        &scope(Some("repo"), None),
        "npm-s3cr3t-value",
    );
    let production = scope(Some("repo"), Some("production"));
    set(&served, "DEPLOY_KEY", &production, "deploy-key-value");
    let id = served.dispatch("secrets.yml", &[]);
    // Both jobs wait for a runner.
    let queue = |served: &Served| -> Vec<(String, Option<String>)> {
        let db = rusqlite::Connection::open(served.dir.path().join("data/hoist.db")).unwrap();
        let mut query = db
            .prepare("SELECT request, sealed FROM queue ORDER BY id")
            .unwrap();
        query
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let started = std::time::Instant::now();
    while queue(&served).len() < 2 {
        assert!(
            started.elapsed().as_secs() < 30,
            "the jobs are never queued"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    for (request, sealed) in queue(&served) {
        assert!(VALUES.iter().all(|v| !request.contains(v)), "{request}");
        let request: serde_json::Value = serde_json::from_str(&request).unwrap();
        assert_eq!(request["contexts"]["secrets"], serde_json::json!({}));
        assert_eq!(request["masked"], serde_json::json!([]));
        assert!(sealed.unwrap().starts_with("hoist:v1:"));
    }
    let rotation = served
        .runtime
        .block_on(served.client.rotate_secret_key())
        .unwrap();
    assert_eq!(
        rotation.resealed,
        3 + 1 + 2,
        "three secrets, the OIDC signing key and two queued jobs"
    );
    let resealed: Vec<_> = queue(&served)
        .into_iter()
        .map(|(_, s)| s.unwrap())
        .collect();
    assert!(
        resealed
            .iter()
            .all(|s| s.starts_with(&format!("hoist:v1:{}:", rotation.key))),
        "{resealed:?}"
    );

    let mut stopped = served.stop();
    stopped.options.runners = 1;
    let served = stopped.start();
    let view = served.wait_for(id, "completed", |v| v.status == "completed");
    let (build, deploy) = (served.log(id, "build"), served.log(id, "deploy"));
    assert_eq!(
        view.conclusion.as_deref(),
        Some("success"),
        "{view:#?}\n{build}\n{deploy}"
    );
    assert!(build.contains("token=***") && deploy.contains("deploy=***"));
    // Done, the jobs keep no secrets.
    assert!(queue(&served).iter().all(|(_, sealed)| sealed.is_none()));
}
