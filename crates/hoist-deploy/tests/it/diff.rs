//! Diffs: normalisation, ignored pointers, masked secrets and Argo CD's headers.

use expect_test::expect;
use hoist_deploy::application::IgnoreDifference;
use hoist_deploy::diff;
use hoist_deploy::manifest::Resource;
use serde_json::json;

#[test]
fn cluster_fields_and_ignored_pointers_do_not_differ() {
    let desired = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "app", "image": "app:2"}]}}}});
    let live = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "uid": "1", "resourceVersion": "9", "generation": 3,
            "managedFields": [{"manager": "hoist"}], "annotations": {"deployment.kubernetes.io/revision": "3"}},
        "spec": {"replicas": 5, "template": {"spec": {"containers": [{"name": "app", "image": "app:1"}]}}},
        "status": {"replicas": 5}});
    let key = Resource::from_object(desired.clone())
        .expect("resource")
        .key;
    let ignore = vec![IgnoreDifference {
        group: "apps".into(),
        kind: "Deployment".into(),
        json_pointers: vec!["/spec/replicas".into()],
        ..Default::default()
    }];
    let rules = diff::rules_for(&ignore, &key);
    let (d, l) = (
        diff::normalize(&desired, &rules),
        diff::normalize(&live, &rules),
    );
    expect![[r#"
        ===== apps/Deployment shop/web ======
        --- live
        +++ desired
        @@ -7,5 +7,5 @@
           template:
             spec:
               containers:
        -      - image: app:1
        +      - image: app:2
                 name: app
    "#]]
    .assert_eq(&diff::render(&key, Some(&d), Some(&l)).unwrap_or_default());
    let same = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"replicas": 7, "template": {"spec": {"containers": [{"name": "app", "image": "app:2"}]}}}});
    assert_eq!(
        diff::render(&key, Some(&d), Some(&diff::normalize(&same, &rules))),
        None
    );
}

#[test]
fn secrets_show_that_a_value_changed_not_what_it_is() {
    let mut desired = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
        "data": {"user": "YWRtaW4=", "password": "bmV3"}});
    let mut live = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
        "data": {"user": "YWRtaW4=", "password": "b2xk"}});
    let key = Resource::from_object(desired.clone())
        .expect("resource")
        .key;
    diff::mask_secrets(&key, &mut desired, &mut live);
    let text = diff::render(&key, Some(&desired), Some(&live)).unwrap_or_default();
    assert!(
        !text.contains("bmV3") && !text.contains("b2xk") && !text.contains("YWRtaW4="),
        "{text}"
    );
    expect![[r#"
        ===== /Secret /db ======
        --- live
        +++ desired
        @@ -1,6 +1,6 @@
         apiVersion: v1
         data:
        -  password: ++++++++++
        +  password: +++++++++
           user: ++++++++
         kind: Secret
         metadata:
    "#]]
    .assert_eq(&text);
}

#[test]
fn a_cached_comparison_sees_only_what_git_sets() {
    let desired =
        json!({"spec": {"replicas": 2, "ports": [{"port": 80}], "template": {"labels": {}}}});
    let live = json!({"spec": {"replicas": 2, "ports": [{"port": 80, "protocol": "TCP"}], "strategy": {"type": "RollingUpdate"}}});
    assert!(
        diff::is_subset(&desired, &live),
        "defaults and empty maps do not count"
    );
    assert!(!diff::is_subset(&json!({"spec": {"replicas": 3}}), &live));
    assert!(
        !diff::is_subset(
            &json!({"spec": {"ports": [{"port": 80}, {"port": 81}]}}),
            &live
        ),
        "list lengths count"
    );
    assert!(diff::is_subset(
        &json!({"data": {"n": 80}}),
        &json!({"data": {"n": "80"}})
    ));
    assert!(!diff::is_subset(
        &json!({"metadata": {"labels": {"a": "b"}}}),
        &json!({"metadata": {}})
    ));
}
