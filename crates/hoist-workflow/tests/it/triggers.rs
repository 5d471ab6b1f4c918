//! Whether an event starts a workflow, with GitHub's filter semantics.

use hoist_workflow::parse_workflow;
use hoist_workflow::trigger::{Decision, Event, decide, resolve_inputs};
use indexmap::IndexMap;

fn event(name: &str, git_ref: &str, paths: &[&str]) -> Event {
    Event {
        name: name.to_owned(),
        git_ref: Some(git_ref.to_owned()),
        changed_paths: Some(paths.iter().map(|p| (*p).to_owned()).collect()),
        ..Event::default()
    }
}

/// Decides `event` for the workflow `on_yaml` and compares with `expect` ("run" or the reason).
fn check(on_yaml: &str, event: Event, expect: &str) {
    let text = format!("{on_yaml}\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: echo\n");
    let parsed = parse_workflow(&text);
    assert!(!parsed.has_errors(), "{:?}", parsed.diagnostics);
    let actual = match decide(&parsed.workflow, &event) {
        Decision::Run => "run".to_owned(),
        Decision::Skip(reason) => reason,
    };
    assert_eq!(actual, expect);
}

#[test]
fn branch_filters() {
    let on = "on:\n  push:\n    branches: [main, 'releases/**', '!releases/**-alpha']";
    check(on, event("push", "refs/heads/main", &["a"]), "run");
    check(on, event("push", "refs/heads/releases/v1", &["a"]), "run");
    check(
        on,
        event("push", "refs/heads/releases/v1-alpha", &["a"]),
        "branch `releases/v1-alpha` does not match its `branches` filter",
    );
    check(
        on,
        event("push", "refs/heads/dev", &["a"]),
        "branch `dev` does not match its `branches` filter",
    );
    check(
        on,
        event("push", "refs/tags/v1", &[]),
        "tag `v1` was pushed but it filters branches only",
    );
}

#[test]
fn tag_filters() {
    let on = "on:\n  push:\n    tags: ['v*']";
    check(on, event("push", "refs/tags/v1.0", &[]), "run");
    check(
        on,
        event("push", "refs/tags/nightly", &[]),
        "tag `nightly` does not match its `tags` filter",
    );
    check(
        on,
        event("push", "refs/heads/main", &[]),
        "branch `main` was pushed but it filters tags only",
    );
    let ignore = "on:\n  push:\n    tags-ignore: ['*-rc*']";
    check(
        ignore,
        event("push", "refs/tags/v2-rc1", &[]),
        "tag `v2-rc1` is ignored by its `tags-ignore` filter",
    );
}

#[test]
fn path_filters() {
    let on = "on:\n  push:\n    paths: ['db/migrations/**']";
    check(
        on,
        event("push", "refs/heads/main", &["db/migrations/001.up.sql"]),
        "run",
    );
    check(
        on,
        event("push", "refs/heads/main", &["src/main.rs", "README.md"]),
        "none of the 2 changed file(s) matches its `paths` filter",
    );
    let ignore = "on:\n  push:\n    paths-ignore: ['docs/**', '**.md']";
    check(
        ignore,
        event("push", "refs/heads/main", &["docs/a.txt", "README.md"]),
        "all 2 changed file(s) match its `paths-ignore` filter",
    );
    check(
        ignore,
        event("push", "refs/heads/main", &["docs/a.txt", "src/lib.rs"]),
        "run",
    );
    // Tag pushes ignore path filters.
    check(on, event("push", "refs/tags/v1", &["src/x"]), "run");
    let negated = "on:\n  push:\n    paths: ['services/**', '!services/**/*.md']";
    check(
        negated,
        event("push", "refs/heads/x", &["services/api/README.md"]),
        "none of the 1 changed file(s) matches its `paths` filter",
    );
    check(
        negated,
        event("push", "refs/heads/x", &["services/api/main.go"]),
        "run",
    );
}

#[test]
fn events_and_activity_types() {
    check(
        "on: push",
        event("pull_request", "refs/pull/1/merge", &[]),
        "it does not listen to `pull_request` (it runs on `push`)",
    );
    let pr = "on:\n  pull_request:\n    branches: [main]";
    let mut e = event("pull_request", "refs/pull/1/merge", &["a"]);
    e.base_ref = Some("main".into());
    e.action = Some("opened".into());
    check(pr, e.clone(), "run");
    e.action = Some("closed".into());
    check(
        pr,
        e.clone(),
        "activity type `closed` is not among its `types` (`opened`, `synchronize`, `reopened`)",
    );
    e.action = Some("opened".into());
    e.base_ref = Some("dev".into());
    check(
        pr,
        e,
        "base branch `dev` does not match its `branches` filter",
    );
}

#[test]
fn dispatch_inputs_are_typed_and_validated() {
    let text = "on:\n  workflow_dispatch:\n    inputs:\n      service:\n        default: all\n      notes:\n        required: true\n      dry:\n        type: boolean\n        default: false\n      n:\n        type: number\n      level:\n        type: choice\n        options: [a, b]\n        default: a\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: echo\n";
    let wf = parse_workflow(text).workflow;
    let trigger = &wf.on.events["workflow_dispatch"];
    let mut given = IndexMap::new();
    given.insert("notes".to_owned(), "testing fix".to_owned());
    given.insert("n".to_owned(), "3".to_owned());
    let inputs = resolve_inputs(trigger, &given).unwrap();
    assert_eq!(
        serde_json::Value::Object(inputs),
        serde_json::json!({"service": "all", "notes": "testing fix", "dry": false, "n": 3.0, "level": "a"})
    );
    let mut bad = IndexMap::new();
    bad.insert("dry".to_owned(), "yes".to_owned());
    bad.insert("level".to_owned(), "c".to_owned());
    bad.insert("sevice".to_owned(), "x".to_owned());
    let errors = resolve_inputs(trigger, &bad).unwrap_err();
    assert_eq!(
        errors,
        [
            "unknown input `sevice`; did you mean `service`?",
            "input `notes` is required",
            "input `dry` must be `true` or `false`, got `yes`",
            "input `level` must be one of `a`, `b`, got `c`",
        ]
    );
}
