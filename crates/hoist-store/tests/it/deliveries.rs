//! Webhook deliveries: recorded once by id, their outcome kept, rejected ones listed apart.

use hoist_store::NewDelivery;

use crate::backend::{Backend, TestDb};

fn a_delivery_is_recorded_once_and_its_outcome_kept(backend: Backend) {
    let db = TestDb::new(backend);
    let mut store = db.open();
    let first = NewDelivery {
        id: "d-1",
        forge: "github",
        event: "push",
        repo: Some("platform"),
        status: "accepted",
        reason: None,
        kept: None,
    };
    assert!(store.record_delivery(&first).unwrap());
    assert!(!store.record_delivery(&first).unwrap(), "a redelivery");
    store
        .finish_delivery("d-1", "accepted", None, &[4, 5])
        .unwrap();
    let bad = NewDelivery {
        id: "d-2",
        forge: "github",
        event: "push",
        repo: None,
        status: "rejected",
        reason: Some("bad signature"),
        kept: None,
    };
    assert!(store.record_delivery(&bad).unwrap());
    let all = store.deliveries(false, 10).unwrap();
    assert_eq!(all.len(), 2);
    let d1 = all.iter().find(|d| d.id == "d-1").unwrap();
    assert_eq!(d1.runs, [4, 5]);
    let failed = store.deliveries(true, 10).unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].reason.as_deref(), Some("bad signature"));
}

crate::backend::both!(a_delivery_is_recorded_once_and_its_outcome_kept);
