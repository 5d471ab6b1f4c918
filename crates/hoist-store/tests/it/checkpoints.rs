//! WAL checkpoints: a connection that defers them leaves the log to grow until someone
//! checkpoints; one that does not copies it back every 1,000 pages, as SQLite does.

use hoist_store::{NewDelivery, Store};

use crate::backend::{Backend, TestDb};

/// Records `n` deliveries, each with a body of 4 KiB (a few pages of log each).
fn write(store: &mut Store, prefix: &str, n: usize) {
    let kept = serde_json::json!({"X-GitHub-Event": "push"});
    let body = vec![b'x'; 4096];
    for i in 0..n {
        let id = format!("{prefix}-{i}");
        let delivery = NewDelivery {
            id: &id,
            forge: "github",
            event: "push",
            repo: Some("platform"),
            status: "accepted",
            reason: None,
            kept: Some((&kept, &body)),
        };
        assert!(store.record_delivery(&delivery).unwrap());
    }
}

#[test]
fn deferred_checkpoints_wait_for_a_checkpoint_call() {
    let db = TestDb::new(Backend::Sqlite);
    let mut store = db.open();
    store.defer_checkpoints().unwrap();
    write(&mut store, "deferred", 600);
    let checkpointer = db.open();
    let done = checkpointer.checkpoint().unwrap().unwrap();
    assert!(
        done.log_pages > 1_500,
        "no commit copied the log back: {done:?}"
    );
    assert_eq!(
        done.checkpointed, done.log_pages,
        "no reader holds old pages"
    );
    // What was written is all there, read through a connection of its own.
    assert_eq!(db.open().deliveries(false, 1_000).unwrap().len(), 600);
}

#[test]
fn without_deferring_commits_checkpoint_every_thousand_pages() {
    let db = TestDb::new(Backend::Sqlite);
    let mut store = db.open();
    write(&mut store, "auto", 600);
    let done = store.checkpoint().unwrap().unwrap();
    assert!(
        done.log_pages < 1_100,
        "the log restarted after an automatic checkpoint: {done:?}"
    );
}

#[test]
fn postgres_has_no_checkpoints_to_defer() {
    let db = TestDb::new(Backend::Postgres);
    let mut store = db.open();
    store.defer_checkpoints().unwrap();
    write(&mut store, "pg", 3);
    assert_eq!(store.checkpoint().unwrap(), None);
}
