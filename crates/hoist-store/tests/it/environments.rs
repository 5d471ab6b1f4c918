//! Environments and deployments: names without regard to case, configuration that does not
//! overwrite what the API set, deployment histories, reviews only of waiting deployments,
//! and earlier successes made inactive.

use hoist_store::{EnvironmentSettings, NewDeployment, Reviewed};

use crate::backend::{Backend, TestDb};
use crate::store::new_run;

fn environments_are_case_insensitive_and_the_api_wins_over_configuration(backend: Backend) {
    let db = TestDb::new(backend);
    let mut store = db.open();
    let used = store.ensure_environment("platform", "Production").unwrap();
    assert_eq!(
        (used.name.as_str(), used.source.as_str()),
        ("Production", "used")
    );
    assert_eq!(used.settings, EnvironmentSettings::default());
    let again = store.ensure_environment("platform", "production").unwrap();
    assert_eq!(again.id, used.id);

    let from_api = EnvironmentSettings {
        reviewers: vec!["alice".into(), "role:approver".into()],
        wait_timer: 5,
        ..EnvironmentSettings::default()
    };
    store
        .put_environment("platform", "PRODUCTION", &from_api, "api")
        .unwrap();
    // The configuration, read at the next start, does not undo it.
    let from_config = EnvironmentSettings {
        reviewers: vec!["bob".into()],
        ..EnvironmentSettings::default()
    };
    let kept = store
        .put_environment("platform", "production", &from_config, "config")
        .unwrap();
    assert_eq!(kept.settings, from_api);
    assert_eq!(kept.source, "api");
    // A configured environment nobody changed through the API follows the configuration.
    store
        .put_environment("platform", "staging", &from_config, "config")
        .unwrap();
    let staging = store.environment("platform", "STAGING").unwrap().unwrap();
    assert_eq!(staging.settings.reviewers, ["bob"]);
    let names: Vec<_> = store
        .environments(Some("platform"))
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["Production", "staging"]);
    assert!(store.environments(Some("other")).unwrap().is_empty());
}

crate::backend::both!(environments_are_case_insensitive_and_the_api_wins_over_configuration);

fn deployments_keep_their_history_and_reviews(backend: Backend) {
    let db = TestDb::new(backend);
    let mut store = db.open();
    let env = store.ensure_environment("platform", "production").unwrap();
    let deploy = |store: &mut hoist_store::Store, run_id: i64| {
        store
            .create_deployment(&NewDeployment {
                repo: "platform".into(),
                env_id: env.id,
                environment: "production".into(),
                run_id,
                attempt: 1,
                job_key: "deploy".into(),
                git_ref: "refs/heads/main".into(),
                sha: "abc".into(),
                creator: "dana".into(),
            })
            .unwrap()
    };
    let (run_a, _) = store
        .create_run(&new_run(".github/workflows/cd.yml"))
        .unwrap();
    let first = deploy(&mut store, run_a);
    assert_eq!(first.state, "queued");
    // Recorded again (a planner resuming): the same deployment.
    assert_eq!(deploy(&mut store, run_a).id, first.id);
    // Reviews count only while it waits.
    assert_eq!(
        store
            .review_deployment(first.id, "alice", "approved", "")
            .unwrap(),
        Reviewed::NotWaiting("queued".into())
    );
    assert!(
        store
            .set_deployment_state(first.id, "waiting", "waiting for a review", None)
            .unwrap()
    );
    assert_eq!(
        store
            .review_deployment(first.id, "alice", "approved", "ship it")
            .unwrap(),
        Reviewed::Recorded
    );
    store
        .set_deployment_state(first.id, "in_progress", "approved", None)
        .unwrap();
    store
        .set_deployment_state(
            first.id,
            "success",
            "the job succeeded",
            Some("https://prod.example"),
        )
        .unwrap();
    // An ended deployment does not change again.
    assert!(
        !store
            .set_deployment_state(first.id, "failure", "late", None)
            .unwrap()
    );
    let row = store.deployment(first.id).unwrap().unwrap();
    let states: Vec<_> = row.statuses.iter().map(|s| s.state.as_str()).collect();
    assert_eq!(states, ["queued", "waiting", "in_progress", "success"]);
    assert_eq!(row.url.as_deref(), Some("https://prod.example"));
    assert_eq!(row.reviews.len(), 1);
    assert_eq!(row.reviews[0].comment, "ship it");

    // A rejection ends the deployment; a later success makes the first one inactive.
    let (run_b, _) = store
        .create_run(&new_run(".github/workflows/cd.yml"))
        .unwrap();
    let second = deploy(&mut store, run_b);
    store
        .set_deployment_state(second.id, "waiting", "waiting", None)
        .unwrap();
    store
        .review_deployment(second.id, "bob", "rejected", "not today")
        .unwrap();
    let rejected = store.deployment(second.id).unwrap().unwrap();
    assert_eq!(rejected.state, "failure");
    assert!(
        rejected
            .statuses
            .last()
            .unwrap()
            .description
            .contains("not today")
    );
    let (run_c, _) = store
        .create_run(&new_run(".github/workflows/cd.yml"))
        .unwrap();
    let third = deploy(&mut store, run_c);
    store
        .set_deployment_state(third.id, "success", "ok", None)
        .unwrap();
    assert_eq!(
        store.deployment(first.id).unwrap().unwrap().state,
        "inactive"
    );
    let listed: Vec<_> = store
        .deployments(Some("platform"), Some("PRODUCTION"), 10)
        .unwrap()
        .into_iter()
        .map(|d| (d.id, d.state))
        .collect();
    assert_eq!(
        listed,
        [
            (third.id, "success".to_owned()),
            (second.id, "failure".to_owned()),
            (first.id, "inactive".to_owned())
        ]
    );
    assert_eq!(store.deployments_of_run(run_b).unwrap().len(), 1);
    assert_eq!(store.waiting_deployments().unwrap(), 0);
}

crate::backend::both!(deployments_keep_their_history_and_reviews);
