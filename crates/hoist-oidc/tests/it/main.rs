//! The issuer's pieces: a generated key signs RS256 tokens that its JWK verifies (and that a
//! changed byte breaks), the discovery document, and subjects as GitHub builds them.

#![allow(clippy::unwrap_used)] // a panic is how a test reports failure

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use expect_test::expect;
use hoist_oidc::{JobClaims, SigningKey, TOKEN_LIFETIME_SECONDS, discovery, jwks};
use serde_json::Value;

fn verify(jwk: &Value, jwt: &str) -> bool {
    let (input, signature) = jwt.rsplit_once('.').unwrap();
    let n = B64URL.decode(jwk["n"].as_str().unwrap()).unwrap();
    let e = B64URL.decode(jwk["e"].as_str().unwrap()).unwrap();
    let key = ring::signature::RsaPublicKeyComponents { n, e };
    key.verify(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        input.as_bytes(),
        &B64URL.decode(signature).unwrap(),
    )
    .is_ok()
}

fn part(jwt: &str, index: usize) -> Value {
    let segment = jwt.split('.').nth(index).unwrap();
    serde_json::from_slice(&B64URL.decode(segment).unwrap()).unwrap()
}

fn push_to_main() -> JobClaims {
    JobClaims {
        repository: "acme/platform".into(),
        git_ref: "refs/heads/main".into(),
        ref_protected: true,
        sha: "abc123".into(),
        workflow_path: ".github/workflows/deploy.yml".into(),
        workflow: "Deploy".into(),
        job_workflow_path: ".github/workflows/deploy.yml".into(),
        run_id: 7,
        run_number: 3,
        run_attempt: 1,
        actor: "dana".into(),
        event_name: "push".into(),
        ..JobClaims::default()
    }
}

#[test]
fn a_generated_key_signs_tokens_its_jwk_verifies() {
    let key = SigningKey::generate().unwrap();
    let claims =
        push_to_main().to_claims("https://ci.example", "sts.amazonaws.com", 1000, "j1", None);
    let jwt = key.sign(&claims).unwrap();
    let header = part(&jwt, 0);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["kid"], key.kid());
    assert_eq!(part(&jwt, 1), claims);
    let jwk = key.jwk();
    assert_eq!(
        (jwk["kty"].as_str(), jwk["alg"].as_str()),
        (Some("RSA"), Some("RS256"))
    );
    assert!(verify(&jwk, &jwt));
    // Another key's JWK does not verify it; a changed claim breaks the signature.
    let other = SigningKey::generate().unwrap();
    assert!(!verify(&other.jwk(), &jwt));
    let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
    let mut forged = claims.clone();
    forged["sub"] = "repo:acme/platform:environment:production".into();
    parts[1] = B64URL.encode(forged.to_string());
    assert!(!verify(&jwk, &parts.join(".")));
    // Read back from its PKCS#8 form it is the same key.
    let again = SigningKey::from_pkcs8(key.kid().to_owned(), key.pkcs8().to_vec()).unwrap();
    assert_eq!(again.jwk(), jwk);
    assert_eq!(jwks([&key, &other])["keys"].as_array().unwrap().len(), 2);
    assert!(SigningKey::from_pkcs8("x".into(), b"not a key".to_vec()).is_err());
}

#[test]
fn claims_and_subjects_are_github_s() {
    let claims =
        push_to_main().to_claims("https://ci.example", "sts.amazonaws.com", 1000, "j1", None);
    assert_eq!(claims["sub"], "repo:acme/platform:ref:refs/heads/main");
    assert_eq!(claims["repository_owner"], "acme");
    assert_eq!(
        claims["workflow_ref"],
        "acme/platform/.github/workflows/deploy.yml@refs/heads/main"
    );
    assert_eq!(claims["run_id"], "7");
    assert_eq!(claims["ref_protected"], "true");
    assert_eq!(claims["runner_environment"], "self-hosted");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        TOKEN_LIFETIME_SECONDS
    );
    assert!(claims.get("environment").is_none());

    let deploy = JobClaims {
        environment: Some("production".into()),
        ..push_to_main()
    };
    let sub = |c: &JobClaims, keys: Option<&[String]>| {
        c.to_claims("https://ci.example", "aud", 0, "j", keys)["sub"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    expect!["repo:acme/platform:environment:production"].assert_eq(&sub(&deploy, None));
    let pr = JobClaims {
        event_name: "pull_request".into(),
        git_ref: "refs/pull/4/merge".into(),
        ..push_to_main()
    };
    expect!["repo:acme/platform:pull_request"].assert_eq(&sub(&pr, None));
    let tag = JobClaims {
        git_ref: "refs/tags/v1.2".into(),
        ..push_to_main()
    };
    let tagged = tag.to_claims("i", "a", 0, "j", None);
    assert_eq!(tagged["ref_type"], "tag");
    // A repository's own list: GitHub's customisation of the subject.
    let keys: Vec<String> = ["repo", "context", "job_workflow_ref"]
        .map(String::from)
        .to_vec();
    expect!["repo:acme/platform:environment:production:job_workflow_ref:acme/platform/.github/workflows/deploy.yml@refs/heads/main"]
        .assert_eq(&sub(&deploy, Some(&keys)));
    let keys: Vec<String> = ["repository_owner", "workflow"].map(String::from).to_vec();
    expect!["repository_owner:acme:workflow:Deploy"].assert_eq(&sub(&deploy, Some(&keys)));
}

#[test]
fn the_discovery_document_points_at_the_jwks() {
    let doc = discovery("https://ci.example");
    assert_eq!(doc["issuer"], "https://ci.example");
    assert_eq!(doc["jwks_uri"], "https://ci.example/.well-known/jwks");
    assert_eq!(doc["id_token_signing_alg_values_supported"][0], "RS256");
    let claims = doc["claims_supported"].as_array().unwrap();
    assert!(claims.iter().any(|c| c == "job_workflow_ref"));
}
