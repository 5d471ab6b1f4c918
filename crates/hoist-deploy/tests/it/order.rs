//! Sync order: phases, waves, Helm's kind order, names, and namespaces and CRDs moved in
//! front of what needs them.

use expect_test::{Expect, expect};
use hoist_deploy::manifest::parse_manifests;
use hoist_deploy::order;

fn check(text: &str, expect: Expect) {
    let resources = parse_manifests("test", text).expect("manifests");
    let tasks = order::plan(&resources);
    let mut out = String::new();
    for step in order::steps(&tasks) {
        out.push_str(&format!(
            "{} wave {}:",
            step[0].phase.as_str(),
            step[0].wave
        ));
        for t in step {
            let k = &resources[t.resource].key;
            out.push_str(&format!(
                " {}/{}{}",
                k.kind,
                k.name,
                if t.hook { "(hook)" } else { "" }
            ));
        }
        out.push('\n');
    }
    expect.assert_eq(&out);
}

#[test]
fn phases_then_waves_then_kinds_then_names() {
    check(
        r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b-config, namespace: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: a-config, namespace: shop}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: shop
  annotations: {argocd.argoproj.io/hook: PreSync, argocd.argoproj.io/hook-delete-policy: HookSucceeded}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: smoke
  namespace: shop
  annotations: {helm.sh/hook: post-install,post-upgrade, helm.sh/hook-weight: "5"}
---
apiVersion: v1
kind: Pod
metadata:
  name: helm-test
  annotations: {helm.sh/hook: test}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations: {argocd.argoproj.io/sync-wave: "2"}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: shop, annotations: {argocd.argoproj.io/sync-wave: "-1"}}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec: {group: example.com, names: {kind: Widget}}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: skipped, annotations: {argocd.argoproj.io/hook: Skip}}
"#,
        expect![[r#"
            PreSync wave 0: Namespace/shop Job/migrate(hook)
            Sync wave -1: CustomResourceDefinition/widgets.example.com Widget/w
            Sync wave 0: ConfigMap/a-config ConfigMap/b-config Service/web Deployment/web
            Sync wave 2: Ingress/web
            PostSync wave 5: Job/smoke(hook)
        "#]],
    );
}
