//! Sync history: numbered per application, kept across reopening, and the kinds a later
//! sync needs for pruning.

use std::collections::BTreeSet;

use hoist_store::NewAppSync;

use crate::backend::{Backend, TestDb};

fn history_is_numbered_per_application(backend: Backend) {
    let db = TestDb::new(backend);
    let mut store = db.open();
    let revisions = vec!["a".repeat(40)];
    let new = |app: &'static str| NewAppSync {
        app,
        revisions: &[],
        initiated_by: "ada",
        automated: false,
        digest: "d1",
        rollback_of: None,
    };
    let first = store
        .begin_app_sync(&NewAppSync {
            revisions: &revisions,
            ..new("web")
        })
        .unwrap();
    assert_eq!(
        (first.number, first.phase.as_str(), first.revision.len()),
        (1, "Running", 40)
    );
    let kinds: BTreeSet<(String, String)> =
        [("apps/v1".to_owned(), "Deployment".to_owned())].into();
    store
        .finish_app_sync(first.id, "Succeeded", "synced", &kinds)
        .unwrap();
    let other = store.begin_app_sync(&new("api")).unwrap();
    assert_eq!(other.number, 1, "numbers are per application");
    let second = store
        .begin_app_sync(&NewAppSync {
            automated: true,
            rollback_of: Some(1),
            ..new("web")
        })
        .unwrap();
    assert_eq!(second.number, 2);
    store
        .finish_app_sync(
            second.id,
            "Failed",
            "Deployment web is Degraded",
            &[("v1".to_owned(), "ConfigMap".to_owned())].into(),
        )
        .unwrap();
    drop(store);
    let store = db.open();
    let history = store.app_history("web", 10).unwrap();
    let shown: Vec<(i64, &str, bool, Option<i64>)> = history
        .iter()
        .map(|h| (h.number, h.phase.as_str(), h.automated, h.rollback_of))
        .collect();
    assert_eq!(
        shown,
        vec![(2, "Failed", true, Some(1)), (1, "Succeeded", false, None)]
    );
    assert_eq!(
        store.app_sync("web", 1).unwrap().unwrap().kinds,
        vec![("apps/v1".to_owned(), "Deployment".to_owned())]
    );
    assert_eq!(store.app_sync("web", 9).unwrap(), None);
    assert_eq!(store.app_synced_kinds("web").unwrap().len(), 2);
    assert!(store.app_history("nothing", 10).unwrap().is_empty());
    let mut store = store;
    assert_eq!(store.trim_app_history("web", 1).unwrap(), 1);
    let kept: Vec<i64> = store
        .app_history("web", 10)
        .unwrap()
        .iter()
        .map(|h| h.number)
        .collect();
    assert_eq!(kept, vec![2]);
    let third = store.begin_app_sync(&new("web")).unwrap();
    assert_eq!(third.number, 3, "numbers are not reused after trimming");
}

crate::backend::both!(history_is_numbered_per_application);
