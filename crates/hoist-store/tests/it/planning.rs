//! Which server plans which run: leases, take-overs, cancellations left for the planner.

use std::time::Duration;

use crate::backend::{Backend, TestDb};
use crate::store::new_run;

const LEASE: Duration = Duration::from_secs(30);

fn a_lapsed_planner_s_runs_go_to_one_other_server(backend: Backend) {
    let db = TestDb::new(backend);
    let (mut a, mut b, mut c) = (db.open(), db.open(), db.open());
    let (run, _) = a.create_run(&new_run("ci.yml")).unwrap();
    a.plan_run(run, "a", Duration::from_millis(50)).unwrap();
    // Held: nobody else takes it, and only its own planner renews it.
    assert!(b.take_runs("b", LEASE, true).unwrap().is_empty());
    assert_eq!(b.renew_planning("b", LEASE).unwrap(), 0);
    assert_eq!(a.planner_of(run).unwrap().as_deref(), Some("a"));
    std::thread::sleep(Duration::from_millis(80));
    assert_eq!(a.planner_of(run).unwrap(), None, "the lease lapsed");
    // Lapsed: the first to look takes it, the second finds nothing.
    assert_eq!(b.take_runs("b", LEASE, false).unwrap(), [run]);
    assert!(c.take_runs("c", LEASE, false).unwrap().is_empty());
    assert_eq!(a.renew_planning("a", LEASE).unwrap(), 0, "a lost it");
    assert_eq!(b.renew_planning("b", LEASE).unwrap(), 1);
    assert_eq!(c.planner_of(run).unwrap().as_deref(), Some("b"));
}

fn a_server_starting_again_takes_its_own_runs_back_at_once(backend: Backend) {
    let db = TestDb::new(backend);
    let mut store = db.open();
    let (run, _) = store.create_run(&new_run("ci.yml")).unwrap();
    let (local, _) = store.create_run(&new_run("local.yml")).unwrap();
    store.plan_run(run, "a", LEASE).unwrap();
    assert!(store.take_runs("a", LEASE, false).unwrap().is_empty());
    assert_eq!(store.take_runs("a", LEASE, true).unwrap(), [run]);
    // A run no server plans (a `hoist run` one) is never taken.
    assert!(!store.take_runs("b", LEASE, true).unwrap().contains(&local));
}

fn a_cancellation_waits_on_the_run_for_its_planner(backend: Backend) {
    let db = TestDb::new(backend);
    let mut store = db.open();
    let (run, _) = store.create_run(&new_run("ci.yml")).unwrap();
    store.plan_run(run, "a", LEASE).unwrap();
    assert!(store.cancels_for("a").unwrap().is_empty());
    assert!(db.open().request_cancel(run).unwrap());
    assert_eq!(store.cancels_for("a").unwrap(), [run]);
    assert!(store.cancels_for("b").unwrap().is_empty());
    store.mark_interrupted(|_| false).unwrap();
    assert!(
        !store.request_cancel(run).unwrap(),
        "not in progress any more"
    );
}

crate::backend::both!(
    a_lapsed_planner_s_runs_go_to_one_other_server,
    a_server_starting_again_takes_its_own_runs_back_at_once,
    a_cancellation_waits_on_the_run_for_its_planner,
);
