//! Pull requests, repository settings and schedule minutes: numbered per repository,
//! changed in one transaction, claimed once.

use hoist_store::{NewPull, Protection};

use crate::backend::{Backend, TestDb};

fn new_pull<'a>(head: &'a str, number: Option<i64>) -> NewPull<'a> {
    NewPull {
        repo: "platform",
        number,
        title: "faster",
        author: "dana",
        head_ref: head,
        base_ref: "main",
        head_sha: "h1",
        base_sha: "b1",
        merge_sha: Some("m1"),
    }
}

fn pull_requests_are_numbered_per_repository_and_closed_once(backend: Backend) {
    let db = TestDb::new(backend);
    let mut store = db.open();
    assert_eq!(store.open_pull(&new_pull("a", None)).unwrap().number, 1);
    assert_eq!(store.open_pull(&new_pull("b", None)).unwrap().number, 2);
    // A forge's number is kept, and a later report of it updates the same row.
    assert_eq!(
        store.open_pull(&new_pull("c", Some(40))).unwrap().number,
        40
    );
    assert_eq!(
        store.open_pull(&new_pull("c2", Some(40))).unwrap().head_ref,
        "c2"
    );
    assert_eq!(store.open_pull(&new_pull("d", None)).unwrap().number, 41);
    assert_eq!(
        store.open_pulls_touching("platform", "main").unwrap().len(),
        4
    );
    store
        .update_pull_commits("platform", 1, "h2", "b2", None)
        .unwrap();
    let one = store.pull("platform", 1).unwrap().unwrap();
    assert_eq!((one.head_sha.as_str(), one.merge_sha), ("h2", None));
    assert!(store.close_pull("platform", 1, true, "erin").unwrap());
    assert!(
        !store.close_pull("platform", 1, false, "erin").unwrap(),
        "closed once"
    );
    let one = store.pull("platform", 1).unwrap().unwrap();
    assert_eq!(one.state, "merged");
    assert_eq!(one.merged_by.as_deref(), Some("erin"));
    assert_eq!(store.pulls("platform", Some("open")).unwrap().len(), 3);
    assert_eq!(store.pulls("platform", None).unwrap().len(), 4);
    assert!(store.pulls("other", None).unwrap().is_empty());
}

crate::backend::both!(pull_requests_are_numbered_per_repository_and_closed_once);

fn repositories_and_their_settings_are_kept(backend: Backend) {
    let db = TestDb::new(backend);
    let mut store = db.open();
    assert!(store.create_repository("platform", "admin").unwrap());
    assert!(
        !store.create_repository("platform", "admin").unwrap(),
        "once"
    );
    // A configured repository gets a row with its first setting, not hosted.
    store
        .update_repo_settings("configured", "admin", |s| {
            s.webhook_secret = Some("s".into());
        })
        .unwrap();
    let settings = store
        .update_repo_settings("platform", "admin", |s| {
            s.protections.push(Protection {
                branch: "main".into(),
                require: vec!["CI / Lint".into()],
            });
        })
        .unwrap();
    assert_eq!(settings.protections.len(), 1);
    let rows = store.repositories().unwrap();
    assert_eq!(rows.len(), 2);
    let configured = rows.iter().find(|r| r.name == "configured").unwrap();
    assert!(!configured.hosted);
    assert_eq!(configured.settings.webhook_secret.as_deref(), Some("s"));
    let hosted = rows.iter().find(|r| r.name == "platform").unwrap();
    assert!(hosted.hosted);
    assert_eq!(hosted.settings.protections[0].require, ["CI / Lint"]);
}

crate::backend::both!(repositories_and_their_settings_are_kept);

fn a_schedule_minute_is_claimed_once(backend: Backend) {
    let db = TestDb::new(backend);
    let mut store = db.open();
    let mut other = db.open();
    assert_eq!(store.last_schedule_tick().unwrap(), None);
    assert!(
        store
            .claim_schedule_tick("p", "nightly.yml", "0 3 * * *", 100)
            .unwrap()
    );
    assert!(
        !other
            .claim_schedule_tick("p", "nightly.yml", "0 3 * * *", 100)
            .unwrap()
    );
    assert!(
        other
            .claim_schedule_tick("p", "nightly.yml", "0 3 * * *", 101)
            .unwrap()
    );
    store
        .set_schedule_tick_run("p", "nightly.yml", "0 3 * * *", 100, 9)
        .unwrap();
    assert_eq!(store.last_schedule_tick().unwrap(), Some(101));
    // Minutes looked at count too, and only the latest is kept.
    store.mark_schedule_looked(105).unwrap();
    other.mark_schedule_looked(106).unwrap();
    store.mark_schedule_looked(106).unwrap();
    assert_eq!(store.last_schedule_tick().unwrap(), Some(106));
}

crate::backend::both!(a_schedule_minute_is_claimed_once);
