//! Secrets at rest: scopes, listing without values, what a repository's runs see, and a
//! rotation that reseals every sealed value (secrets and queued jobs') in one transaction.

use std::time::Duration;

use hoist_store::{SealedRow, SecretSlot};

use crate::backend::{Backend, TestDb};
use crate::queue::job;
use crate::store::new_run;

fn slot(repo: &str, environment: &str, name: &str) -> SecretSlot {
    SecretSlot {
        repo: repo.into(),
        environment: environment.into(),
        name: name.into(),
    }
}

fn secrets_keep_their_scopes_and_are_listed_without_values(backend: Backend) {
    let db = TestDb::new(backend);
    let mut store = db.open();
    store
        .put_secret(&slot("", "", "ORG_TOKEN"), "sealed-org", "admin")
        .unwrap();
    store
        .put_secret(&slot("platform", "", "NPM_TOKEN"), "sealed-1", "admin")
        .unwrap();
    store
        .put_secret(
            &slot("platform", "production", "DEPLOY_KEY"),
            "sealed-2",
            "alice",
        )
        .unwrap();
    store
        .put_secret(&slot("other", "", "NPM_TOKEN"), "sealed-3", "admin")
        .unwrap();
    // Setting again replaces, and says who did it.
    store
        .put_secret(&slot("platform", "", "NPM_TOKEN"), "sealed-1b", "bob")
        .unwrap();

    let repo = store.secret_list("platform", Some("")).unwrap();
    assert_eq!(repo.len(), 1);
    assert_eq!(repo[0].slot.name, "NPM_TOKEN");
    assert_eq!(repo[0].updated_by, "bob");
    let json = serde_json::to_string(&repo).unwrap();
    assert!(
        !json.contains("sealed"),
        "a listing carries no value: {json}"
    );
    let all = store.secret_list("platform", None).unwrap();
    let names: Vec<_> = all
        .iter()
        .map(|m| format!("{}/{}", m.slot.environment, m.slot.name))
        .collect();
    assert_eq!(names, ["/NPM_TOKEN", "production/DEPLOY_KEY"]);

    // A run of `platform` sees the organisation's, its own and its environments' secrets,
    // never another repository's.
    let seen: Vec<_> = store
        .secrets_of_repo("platform")
        .unwrap()
        .into_iter()
        .map(|(s, sealed)| (s.repo, s.environment, s.name, sealed))
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                "".into(),
                "".into(),
                "ORG_TOKEN".into(),
                "sealed-org".into()
            ),
            (
                "platform".into(),
                "".into(),
                "NPM_TOKEN".into(),
                "sealed-1b".into()
            ),
            (
                "platform".into(),
                "production".into(),
                "DEPLOY_KEY".into(),
                "sealed-2".into()
            ),
        ]
    );
    assert!(
        store
            .delete_secret(&slot("platform", "", "NPM_TOKEN"))
            .unwrap()
    );
    assert!(
        !store
            .delete_secret(&slot("platform", "", "NPM_TOKEN"))
            .unwrap()
    );
    assert_eq!(store.secret_list("platform", Some("")).unwrap(), vec![]);
}

crate::backend::both!(secrets_keep_their_scopes_and_are_listed_without_values);

fn a_rotation_reseals_everything_or_nothing(backend: Backend) {
    let db = TestDb::new(backend);
    let mut store = db.open();
    store
        .put_secret(&slot("platform", "", "A"), "old-a", "admin")
        .unwrap();
    store
        .put_secret(&slot("", "", "B"), "old-b", "admin")
        .unwrap();
    let (run, _) = store
        .create_run(&new_run(".github/workflows/ci.yml"))
        .unwrap();
    let queued = store
        .enqueue_sealed_job(run, &job("build", &[]), Some("old-job"))
        .unwrap();

    // A failure half-way leaves every value as it was.
    let mut seen = 0;
    let failed = store.reseal_all(&mut |_, _| {
        seen += 1;
        if seen == 2 {
            Err("no key".into())
        } else {
            Ok("new".into())
        }
    });
    assert!(failed.unwrap_err().to_string().contains("no key"));
    let sealed: Vec<_> = store.secrets_of_repo("platform").unwrap();
    assert!(
        sealed.iter().all(|(_, s)| s.starts_with("old-")),
        "{sealed:?}"
    );

    let mut rows = Vec::new();
    let count = store
        .reseal_all(&mut |row, old| {
            rows.push(row.clone());
            Ok(old.replace("old", "new"))
        })
        .unwrap();
    assert_eq!(count, 3);
    assert!(rows.contains(&SealedRow::QueuedJob {
        run_id: run,
        job_key: "build".into()
    }));
    let sealed: Vec<_> = store.secrets_of_repo("platform").unwrap();
    assert!(
        sealed.iter().all(|(_, s)| s.starts_with("new-")),
        "{sealed:?}"
    );
    let claimed = store
        .claim_job("r1", &[], Duration::from_secs(30))
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, queued);
    assert_eq!(claimed.sealed.as_deref(), Some("new-job"));

    // A job that is done forgets its secrets: nothing is left to reseal for it.
    store
        .finish_job(
            queued,
            "r1",
            &hoist_events::JobOutcome {
                result: hoist_events::Conclusion::Success,
                outputs: Vec::new(),
                reason: None,
                environment_url: None,
            },
        )
        .unwrap();
    assert_eq!(store.reseal_all(&mut |_, s| Ok(s.to_owned())).unwrap(), 2);
}

crate::backend::both!(a_rotation_reseals_everything_or_nothing);
