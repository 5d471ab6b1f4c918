//! Commit statuses posted back to a forge: GitHub's commit-status API, played by a small
//! HTTP recorder on loopback (no forge is reachable from the tests), which refuses the
//! first post as a forge having a bad moment does.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

use crate::{Options, serve_with};

/// What the recorder was sent: (path, `Authorization`, body).
type Posts = Arc<Mutex<Vec<(String, String, Value)>>>;

async fn record(
    State(posts): State<Posts>,
    Path((owner, repo, sha)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: axum::Json<Value>,
) -> StatusCode {
    let mut posts = posts.lock().unwrap();
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    posts.push((
        format!("/repos/{owner}/{repo}/statuses/{sha}"),
        auth,
        body.0,
    ));
    if posts.len() == 1 {
        StatusCode::BAD_GATEWAY
    } else {
        StatusCode::CREATED
    }
}

static RECORDER: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn to_recorder(repo: &mut hoist_server::RepoConfig) {
    repo.status_api = RECORDER.get().cloned();
    repo.forge_name = Some("acme/platform".into());
    repo.status_token = Some("s3cret\n".into());
}

#[test]
fn statuses_go_to_the_forge_s_commit_status_api_once_each_and_after_a_failure() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let posts: Posts = Arc::default();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address = listener.local_addr().unwrap();
    RECORDER.set(format!("http://{address}/api/v3")).unwrap();
    let app = axum::Router::new()
        .route(
            "/api/v3/repos/{owner}/{repo}/statuses/{sha}",
            axum::routing::post(record),
        )
        .with_state(posts.clone());
    runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });

    let ci = "name: CI\non: workflow_dispatch\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ok\n";
    let served = serve_with(
        &[("ci.yml", ci)],
        Options {
            runners: 1,
            lease: Some(std::time::Duration::from_secs(2)),
            configure: Some(to_recorder),
            ..Options::default()
        },
    );
    let run = served.dispatch("ci.yml", &[]);
    let view = served.wait_for(run, "done", |v| v.status == "completed");
    let finals = |posts: &[(String, String, Value)]| {
        let mut last = std::collections::BTreeMap::new();
        for (_, _, body) in posts.iter().skip(1) {
            last.insert(
                body["context"].as_str().unwrap_or_default().to_owned(),
                body["state"].as_str().unwrap_or_default().to_owned(),
            );
        }
        last
    };
    let started = std::time::Instant::now();
    loop {
        let last = finals(&posts.lock().unwrap());
        if last.get("CI").map(String::as_str) == Some("success")
            && last.get("CI / lint").map(String::as_str) == Some("success")
        {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 30,
            "the statuses never reached the forge: {:#?}",
            posts.lock().unwrap()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Nothing is posted twice once accepted.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let posts = posts.lock().unwrap().clone();
    let accepted: Vec<(String, String)> = posts
        .iter()
        .skip(1)
        .map(|(_, _, b)| {
            (
                b["context"].as_str().unwrap().to_owned(),
                b["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut unique = accepted.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), accepted.len(), "posted twice: {accepted:?}");
    for (path, auth, body) in &posts {
        assert_eq!(path, &format!("/repos/acme/platform/statuses/{}", view.sha));
        assert_eq!(auth, "token s3cret");
        assert_eq!(
            body["target_url"],
            format!("http://{}/runs/{run}", served.address)
        );
    }
    let failures = served.audit("status.post_failed");
    assert_eq!(failures.len(), 1, "{failures:#?}");
    assert!(
        failures[0].detail["error"]
            .as_str()
            .unwrap()
            .contains("502"),
        "{failures:#?}"
    );
}
