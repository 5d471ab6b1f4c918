//! Environments on the server: a job whose environment needs a review waits (`waiting` in
//! the run's view and in `/metrics`), only its reviewers may answer (self-review refused
//! when the environment says so; refusals audited), an approval lets it run with the
//! environment's secrets and records the deployment with its URL, a rejection fails it with
//! the reason; branch policies refuse other refs with GitHub's message; wait timers hold a
//! job for their minutes (by the server's clock); an unanswered review expires.

use std::sync::Arc;
use std::time::Duration;

use hoist_server::{Client, ReviewRequest, SecretScope, TokenRequest};
use hoist_store::EnvironmentSettings;

use crate::{Options, Served, TestClock, serve, serve_with};

const DEPLOY: &str = r#"on: workflow_dispatch
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo built
  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: production
      url: https://prod.example/${{ steps.ship.outputs.version }}
    steps:
      - id: ship
        run: |
          test "$KEY" = "prod""-key"
          echo "version=42" >> "$GITHUB_OUTPUT"
        env:
          KEY: ${{ secrets.DEPLOY_KEY }}
"#;

fn user(served: &Served, name: &str, role: &str) -> Client {
    let token = served
        .runtime
        .block_on(served.client.create_token(&TokenRequest {
            name: name.into(),
            role: role.into(),
            repos: None,
        }))
        .unwrap()
        .token;
    Client::new(&format!("http://{}", served.address), &token)
}

fn protect(served: &Served, env: &str, settings: EnvironmentSettings) {
    served
        .runtime
        .block_on(served.client.protect_environment("repo", env, &settings))
        .unwrap();
}

fn dispatch_as(served: &Served, client: &Client, file: &str) -> i64 {
    served
        .runtime
        .block_on(client.dispatch("repo", file, &hoist_server::DispatchRequest::default()))
        .unwrap()
        .workflow_run_id
}

fn review(
    served: &Served,
    client: &Client,
    run: i64,
    state: &str,
    comment: &str,
) -> Result<(), String> {
    let body = ReviewRequest {
        environments: vec!["production".into()],
        state: state.into(),
        comment: comment.into(),
        ..ReviewRequest::default()
    };
    served
        .runtime
        .block_on(client.review_deployments(run, &body))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn waiting(served: &Served, run: i64) {
    served.wait_for(run, "the deploy job waiting", |v| {
        v.jobs
            .iter()
            .any(|j| j.key == "deploy" && j.status == "waiting")
    });
}

#[test]
fn a_protected_environment_waits_for_a_reviewer_who_is_not_the_author() {
    let served = serve(&[("deploy.yml", DEPLOY)], 1);
    served
        .runtime
        .block_on(served.client.set_secret(
            "DEPLOY_KEY",
            &SecretScope {
                repo: Some("repo".into()),
                environment: Some("production".into()),
            },
            "prod-key",
        ))
        .unwrap();
    protect(
        &served,
        "production",
        EnvironmentSettings {
            reviewers: vec!["alice".into(), "role:approver".into()],
            prevent_self_review: true,
            ..EnvironmentSettings::default()
        },
    );
    let alice = user(&served, "alice", "developer");
    let bob = user(&served, "bob", "developer");
    let carol = user(&served, "carol", "approver");

    let first = dispatch_as(&served, &alice, "deploy.yml");
    waiting(&served, first);
    assert_eq!(served.metric("hoist_jobs_waiting"), "hoist_jobs_waiting 1");
    let pending = served
        .runtime
        .block_on(alice.pending_deployments(first))
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].environment.name, "production");
    assert!(!pending[0].current_user_can_approve, "alice triggered it");
    assert!(
        served
            .runtime
            .block_on(carol.pending_deployments(first))
            .unwrap()[0]
            .current_user_can_approve
    );
    // Not a reviewer; the author, with self-review prevented: both refused and audited.
    let refused = review(&served, &bob, first, "approved", "").unwrap_err();
    assert!(
        refused.contains("`bob` is not a reviewer of `production`"),
        "{refused}"
    );
    let refused = review(&served, &alice, first, "approved", "").unwrap_err();
    assert!(refused.contains("prevents self-review"), "{refused}");
    assert_eq!(served.audit("deployment.review_refused").len(), 2);
    // An environment the run does not wait on: refused, audited, nothing changes.
    let body = ReviewRequest {
        environments: vec!["staging".into()],
        state: "approved".into(),
        ..ReviewRequest::default()
    };
    let unknown = served
        .runtime
        .block_on(carol.review_deployments(first, &body))
        .unwrap_err()
        .to_string();
    assert!(
        unknown.contains("does not wait on the environment `staging`"),
        "{unknown}"
    );
    let refusals = served.audit("deployment.review_refused");
    assert_eq!(refusals.len(), 3);
    assert_eq!(refusals[0].detail["status"], 422);
    // Still waiting: nothing ran.
    assert_eq!(
        served
            .view(first)
            .jobs
            .iter()
            .find(|j| j.key == "deploy")
            .unwrap()
            .status,
        "waiting"
    );

    review(&served, &carol, first, "approved", "ship it").unwrap();
    let view = served.wait_for(first, "completed", |v| v.status == "completed");
    assert_eq!(
        view.conclusion.as_deref(),
        Some("success"),
        "{}",
        served.log(first, "deploy")
    );
    let deployment = &view.deployments[0];
    assert_eq!(deployment.state, "success");
    assert_eq!(deployment.url.as_deref(), Some("https://prod.example/42"));
    assert_eq!(deployment.creator, "alice");
    let states: Vec<_> = deployment
        .statuses
        .iter()
        .map(|s| s.state.as_str())
        .collect();
    assert_eq!(states, ["queued", "waiting", "in_progress", "success"]);
    assert_eq!(deployment.reviews[0].reviewer, "carol");
    assert_eq!(deployment.reviews[0].comment, "ship it");
    assert_eq!(served.audit("deployment.approve").len(), 1);
    assert_eq!(served.metric("hoist_jobs_waiting"), "hoist_jobs_waiting 0");

    // A rejection fails the job with the reviewer's reason.
    let second = dispatch_as(&served, &alice, "deploy.yml");
    waiting(&served, second);
    review(&served, &carol, second, "rejected", "not today").unwrap();
    let view = served.wait_for(second, "completed", |v| v.status == "completed");
    assert_eq!(view.conclusion.as_deref(), Some("failure"));
    let log = served.log(second, "deploy");
    assert!(log.contains("rejected by carol: not today"), "{log}");
    // Answering again: it no longer waits.
    let late = review(&served, &carol, second, "approved", "").unwrap_err();
    assert!(
        late.contains("does not wait on the environment `production`"),
        "{late}"
    );
    // Every refusal is audited: bob, alice's self-review, the unknown environment, the late
    // answer.
    assert_eq!(served.audit("deployment.review_refused").len(), 4);

    let listed = served
        .runtime
        .block_on(
            served
                .client
                .deployments(Some("repo"), Some("production"), 10),
        )
        .unwrap();
    let summary: Vec<_> = listed
        .iter()
        .map(|d| (d.run_id, d.state.as_str()))
        .collect();
    assert_eq!(summary, [(second, "failure"), (first, "success")]);
}

const STAGED: &str = r#"on: workflow_dispatch
jobs:
  staging:
    runs-on: ubuntu-latest
    environment: staging
    steps:
      - run: echo staged
  qa:
    runs-on: ubuntu-latest
    environment: qa
    steps:
      - run: echo checked
"#;

#[test]
fn branch_policies_refuse_other_refs_and_wait_timers_hold_jobs_by_the_server_s_clock() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let clock = Arc::new(TestClock(std::sync::atomic::AtomicI64::new(now)));
    let served = serve_with(
        &[("staged.yml", STAGED)],
        Options {
            runners: 1,
            clock: Some(clock.clone()),
            ..Options::default()
        },
    );
    protect(
        &served,
        "staging",
        EnvironmentSettings {
            branches: vec!["release/*".into()],
            ..EnvironmentSettings::default()
        },
    );
    protect(
        &served,
        "QA",
        EnvironmentSettings {
            wait_timer: 5,
            ..EnvironmentSettings::default()
        },
    );
    let run = served.dispatch("staged.yml", &[]);
    served.wait_for(run, "qa waiting", |v| {
        v.jobs
            .iter()
            .any(|j| j.key == "qa" && j.status == "waiting")
            && v.jobs
                .iter()
                .any(|j| j.key == "staging" && j.status == "completed")
    });
    let log = served.log(run, "staging");
    assert!(
        log.contains(
            "Branch \"main\" is not allowed to deploy to staging due to environment protection rules."
        ),
        "{log}"
    );
    // Four minutes on, it still waits; at five it runs.
    clock
        .0
        .fetch_add(4 * 60_000, std::sync::atomic::Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        served
            .view(run)
            .jobs
            .iter()
            .find(|j| j.key == "qa")
            .unwrap()
            .status,
        "waiting"
    );
    // The timer started when the store stamped the deployment, a moment after this clock's
    // start: a few seconds more covers that.
    clock
        .0
        .fetch_add(65_000, std::sync::atomic::Ordering::SeqCst);
    let view = served.wait_for(run, "completed", |v| v.status == "completed");
    let qa = view.jobs.iter().find(|j| j.key == "qa").unwrap();
    assert_eq!(qa.conclusion.as_deref(), Some("success"));
    let qa = view.deployments.iter().find(|d| d.job_key == "qa").unwrap();
    assert!(
        qa.statuses
            .iter()
            .any(|s| s.description.contains("waited 5 minute(s)"))
    );
}

#[test]
fn a_review_nobody_gives_expires_and_fails_the_job() {
    let served = serve_with(
        &[("deploy.yml", DEPLOY)],
        Options {
            runners: 1,
            review_timeout: Some(Duration::from_millis(800)),
            ..Options::default()
        },
    );
    protect(
        &served,
        "production",
        EnvironmentSettings {
            reviewers: vec!["role:admin".into()],
            ..EnvironmentSettings::default()
        },
    );
    let run = served.dispatch("deploy.yml", &[]);
    let view = served.wait_for(run, "completed", |v| v.status == "completed");
    assert_eq!(view.conclusion.as_deref(), Some("failure"));
    let log = served.log(run, "deploy");
    assert!(log.contains("was not reviewed in time"), "{log}");
    assert_eq!(view.deployments[0].state, "failure");
}
