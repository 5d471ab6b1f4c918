//! The OIDC issuer, checked by an independent verifier (PyJWT): a job granted `id-token:
//! write` gets a token with `curl "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=…"` as on GitHub,
//! signed by a key of the issuer's JWKS, with GitHub's claims; a job without the grant gets
//! no request URL; a job's request token stops working when the job ends; after a key
//! rotation old tokens still verify and new ones use the new key, and a second rotation
//! drops the first key.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{Options, Served, serve_with};

fn workflow(out: &Path) -> String {
    let out = out.display();
    format!(
        r#"name: Deploy
on: workflow_dispatch
jobs:
  cloud:
    runs-on: ubuntu-latest
    environment: production
    permissions:
      id-token: write
      contents: read
    steps:
      - run: |
          curl -sSf -H "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" \
            "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=sts.amazonaws.com" > {out}/token.json
          echo "$ACTIONS_ID_TOKEN_REQUEST_URL" > {out}/url
          echo "$ACTIONS_ID_TOKEN_REQUEST_TOKEN" > {out}/request-token
          echo "request token: $ACTIONS_ID_TOKEN_REQUEST_TOKEN"
  plain:
    runs-on: ubuntu-latest
    steps:
      - run: test -z "$ACTIONS_ID_TOKEN_REQUEST_URL" && test -z "$ACTIONS_ID_TOKEN_REQUEST_TOKEN"
"#
    )
}

/// PyJWT's verdict on `token`: the claims (JSON), verified against the issuer's JWKS, its
/// audience and issuer; or its error.
fn pyjwt(issuer: &str, token: &str) -> Result<Value, String> {
    pyjwt_for(issuer, token, "sts.amazonaws.com")
}

/// [`pyjwt`] for another audience.
fn pyjwt_for(issuer: &str, token: &str, audience: &str) -> Result<Value, String> {
    let python = hoist_testbed::program("pyjwt-python");
    // The virtualenv's interpreter only finds PyJWT when run at its own path.
    let python: PathBuf = std::fs::read_link(&python)
        .map(|target| {
            if target.is_absolute() {
                target
            } else {
                python.parent().unwrap().join(target)
            }
        })
        .unwrap_or(python);
    let script = r#"
import json, sys, jwt
issuer, token, audience = sys.argv[1], sys.argv[2], sys.argv[3]
config = json.load(__import__("urllib.request").request.urlopen(issuer + "/.well-known/openid-configuration"))
assert config["issuer"] == issuer, config
client = jwt.PyJWKClient(config["jwks_uri"])
key = client.get_signing_key_from_jwt(token)
claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=audience, issuer=issuer)
print(json.dumps(claims))
"#;
    let out = std::process::Command::new(python)
        .args(["-c", script, issuer, token, audience])
        .output()
        .unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn jwks_kids(served: &Served) -> Vec<String> {
    let jwks: Value = served.runtime.block_on(async {
        reqwest::get(format!("http://{}/.well-known/jwks", served.address))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

fn run_once(served: &Served, out: &Path) -> (String, String, String) {
    let _ = std::fs::remove_file(out.join("token.json"));
    let id = served.dispatch("deploy.yml", &[]);
    let view = served.wait_for(id, "completed", |v| v.status == "completed");
    assert_eq!(
        view.conclusion.as_deref(),
        Some("success"),
        "{view:#?}\n{}\n{}",
        served.log(id, "cloud"),
        served.log(id, "plain")
    );
    let log = served.log(id, "cloud");
    assert!(log.contains("request token: ***"), "{log}");
    let answer: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("token.json")).unwrap()).unwrap();
    (
        answer["value"].as_str().unwrap().to_owned(),
        std::fs::read_to_string(out.join("url"))
            .unwrap()
            .trim()
            .to_owned(),
        std::fs::read_to_string(out.join("request-token"))
            .unwrap()
            .trim()
            .to_owned(),
    )
}

#[test]
fn jobs_granted_id_token_write_get_tokens_pyjwt_verifies() {
    let out = tempfile::tempdir().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let clock = std::sync::Arc::new(crate::TestClock(std::sync::atomic::AtomicI64::new(now)));
    let served = serve_with(
        &[("deploy.yml", &workflow(out.path()))],
        Options {
            runners: 1,
            clock: Some(clock.clone()),
            configure: Some(|repo| repo.forge_name = Some("acme/platform".into())),
            ..Options::default()
        },
    );
    let issuer = format!("http://{}", served.address);
    let (token, url, request_token) = run_once(&served, out.path());
    let claims = pyjwt(&issuer, &token).unwrap();
    assert_eq!(claims["sub"], "repo:acme/platform:environment:production");
    assert_eq!(claims["aud"], "sts.amazonaws.com");
    assert_eq!(claims["iss"], issuer);
    assert_eq!(claims["repository"], "acme/platform");
    assert_eq!(claims["repository_owner"], "acme");
    assert_eq!(claims["ref"], "refs/heads/main");
    assert_eq!(claims["ref_type"], "branch");
    assert_eq!(claims["environment"], "production");
    assert_eq!(claims["event_name"], "workflow_dispatch");
    assert_eq!(claims["workflow"], "Deploy");
    assert_eq!(
        claims["job_workflow_ref"],
        "acme/platform/.github/workflows/deploy.yml@refs/heads/main"
    );
    assert_eq!(claims["runner_environment"], "self-hosted");
    assert!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap() <= 300);

    // The verifier refuses it for another audience.
    let wrong = pyjwt_for(&issuer, &token, "api://other").unwrap_err();
    assert!(wrong.contains("InvalidAudienceError"), "{wrong}");

    // The job is over: its request token gets nothing more.
    let late = served.runtime.block_on(async {
        reqwest::Client::new()
            .get(format!("{url}&audience=sts.amazonaws.com"))
            .bearer_auth(&request_token)
            .send()
            .await
            .unwrap()
    });
    assert_eq!(late.status(), reqwest::StatusCode::FORBIDDEN);
    // A wrong token for the same URL: refused.
    let wrong = served.runtime.block_on(async {
        reqwest::Client::new()
            .get(&url)
            .bearer_auth("hoist_not-it")
            .send()
            .await
            .unwrap()
    });
    assert_eq!(wrong.status(), reqwest::StatusCode::UNAUTHORIZED);

    // Rotation: the old token still verifies, the new one is signed by the new key.
    let first = jwks_kids(&served);
    assert_eq!(first.len(), 1);
    let rotate = |served: &Served| -> Value {
        served.runtime.block_on(async {
            reqwest::Client::new()
                .post(format!("http://{}/api/v1/oidc/rotate-key", served.address))
                .bearer_auth(&served.token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        })
    };
    let rotated = rotate(&served);
    assert_eq!(rotated["previous"], first[0].as_str());
    let kids = jwks_kids(&served);
    assert_eq!(kids, [rotated["key"].as_str().unwrap(), first[0].as_str()]);
    pyjwt(&issuer, &token).unwrap();
    let (newer, _, _) = run_once(&served, out.path());
    let header: Value = {
        use base64::Engine as _;
        let segment = newer.split('.').next().unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(segment)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(header["kid"], rotated["key"]);
    pyjwt(&issuer, &newer).unwrap();
    // A second rotation drops the first key: tokens it signed no longer verify.
    let again = rotate(&served);
    assert_eq!(again["dropped"][0], first[0].as_str());
    let refused = pyjwt(&issuer, &token).unwrap_err();
    assert!(
        refused.contains(&first[0]) || refused.contains("Unable to find"),
        "{refused}"
    );
    assert_eq!(served.audit("oidc.rotate_key").len(), 2);

    // A token issued ten minutes ago (by the server's clock) has expired: refused.
    clock
        .0
        .store(now - 10 * 60_000, std::sync::atomic::Ordering::SeqCst);
    let (old, _, _) = run_once(&served, out.path());
    let expired = pyjwt(&issuer, &old).unwrap_err();
    assert!(expired.contains("ExpiredSignatureError"), "{expired}");
}
