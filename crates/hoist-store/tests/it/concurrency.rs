//! Concurrency groups: one running and one waiting member, newer members replacing older
//! ones, cancel-in-progress, and groups freed by members that are gone.

use hoist_events::{Conclusion, Observer, RunEvent};
use hoist_store::{GroupState, QueueState, Store};

use crate::backend::{Backend, TestDb};
use crate::queue::job;
use crate::store::new_run;

fn run(store: &mut Store) -> i64 {
    store
        .create_run(&new_run(".github/workflows/deploy.yml"))
        .unwrap()
        .0
}

fn finish(store: &Store, run_id: i64) {
    let recorder = store.recorder(run_id).unwrap();
    recorder.on_event(&RunEvent::RunFinished {
        conclusion: Conclusion::Success,
        duration: std::time::Duration::ZERO,
    });
    recorder.finish().unwrap();
}

fn cancelled() -> GroupState {
    GroupState::Cancelled {
        reason: "Canceling since a higher priority waiting request for 'deploy' exists".into(),
    }
}

fn a_group_runs_one_member_and_keeps_only_the_newest_waiting(backend: Backend) {
    let db = TestDb::new(backend);
    let mut store = db.open();
    let (a, b, c) = (run(&mut store), run(&mut store), run(&mut store));
    let first = store
        .join_group("platform", "deploy", a, "", false)
        .unwrap();
    assert_eq!(first.state, GroupState::Running);
    let second = store
        .join_group("platform", "deploy", b, "", false)
        .unwrap();
    assert_eq!(second.state, GroupState::Pending);
    assert!(second.replaced.is_empty() && second.cancelling.is_empty());
    // Another repository's group of the same name is another group.
    let elsewhere = store.join_group("other", "deploy", c, "", false).unwrap();
    assert_eq!(elsewhere.state, GroupState::Running);
    store.leave_group(c, "").unwrap();

    let d = run(&mut store);
    let third = store
        .join_group("platform", "deploy", d, "", false)
        .unwrap();
    assert_eq!(third.state, GroupState::Pending);
    assert_eq!(third.replaced, vec![(b, String::new())]);
    assert_eq!(store.group_turn(b, "").unwrap(), cancelled());
    // Joining again (a planner after a restart) changes nothing.
    let again = store
        .join_group("platform", "deploy", d, "", false)
        .unwrap();
    assert_eq!(again.state, GroupState::Pending);
    assert!(again.replaced.is_empty());

    assert_eq!(store.group_turn(d, "").unwrap(), GroupState::Pending);
    store.leave_group(a, "").unwrap();
    assert_eq!(store.group_turn(d, "").unwrap(), GroupState::Running);
    assert_eq!(store.group_turn(a, "").unwrap(), GroupState::Left);
    let members = store.groups_of_run(d).unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].group, "deploy");
}

crate::backend::both!(a_group_runs_one_member_and_keeps_only_the_newest_waiting);

fn cancel_in_progress_asks_the_running_run_or_job_to_cancel(backend: Backend) {
    let db = TestDb::new(backend);
    let mut store = db.open();
    let (a, b) = (run(&mut store), run(&mut store));
    store
        .join_group("platform", "deploy", a, "", false)
        .unwrap();
    let newer = store.join_group("platform", "deploy", b, "", true).unwrap();
    // The newer run waits until the cancelled one has wound down (its cleanup steps run).
    assert_eq!(newer.state, GroupState::Pending);
    assert_eq!(newer.cancelling, vec![(a, String::new())]);
    let reason = store.group_cancel_requested(a, "").unwrap().unwrap();
    assert!(reason.contains("'deploy'"), "{reason}");
    assert_eq!(store.group_cancel_requested(b, "").unwrap(), None);
    // The run's planner, wherever it is, hears it at its next upkeep.
    store
        .plan_run(a, "server-1", std::time::Duration::from_secs(30))
        .unwrap();
    assert_eq!(store.cancels_for("server-1").unwrap(), vec![a]);
    assert_eq!(store.group_turn(b, "").unwrap(), GroupState::Pending);
    finish(&store, a);
    // Its run is over: the group is free even without a `leave`.
    assert_eq!(store.group_turn(b, "").unwrap(), GroupState::Running);

    // Jobs: a queued one ends cancelled at once, a claimed one hears at its renewal.
    let c = run(&mut store);
    store
        .join_group("platform", "db", c, "migrate", false)
        .unwrap();
    let queued = store.enqueue_job(c, &job("migrate", &[])).unwrap();
    let d = run(&mut store);
    let newer = store
        .join_group("platform", "db", d, "migrate", true)
        .unwrap();
    assert_eq!(newer.cancelling, vec![(c, "migrate".to_owned())]);
    let (state, outcome) = store.queued_job(queued).unwrap().unwrap();
    assert_eq!(state, QueueState::Done);
    let outcome = outcome.unwrap();
    assert_eq!(outcome.result, Conclusion::Cancelled);
    assert!(outcome.reason.unwrap().contains("'db'"));
    // Its job is done: the waiting job runs.
    assert_eq!(store.group_turn(d, "migrate").unwrap(), GroupState::Running);
}

crate::backend::both!(cancel_in_progress_asks_the_running_run_or_job_to_cancel);
