//! Reading Argo CD's Application manifests: values, and problems at their line and column.

use expect_test::{Expect, expect};

/// Parses `text` and prints each application's essentials, then each diagnostic.
fn check(text: &str, expect: Expect) {
    let (apps, diagnostics) = hoist_deploy::parse_applications("apps.yaml", text);
    let mut out = String::new();
    for app in &apps {
        let sources: Vec<String> = app
            .sources()
            .iter()
            .map(|s| {
                format!(
                    "{}@{}:{}",
                    s.repo_url,
                    s.target_revision.as_deref().unwrap_or("HEAD"),
                    s.path.as_deref().unwrap_or(".")
                )
            })
            .collect();
        out.push_str(&format!(
            "{} -> {:?}/{:?} sources={sources:?} automated={:?} options={:?}\n",
            app.metadata.name,
            app.spec
                .destination
                .name
                .as_deref()
                .or(app.spec.destination.server.as_deref()),
            app.destination_namespace(),
            app.automated().map(|a| (a.prune, a.self_heal)),
            app.spec
                .sync_policy
                .as_ref()
                .map(|p| p.sync_options.clone())
                .unwrap_or_default(),
        ));
    }
    for d in &diagnostics {
        out.push_str(&format!(
            "{} {}:{} [{}] {} ({})\n",
            d.severity.as_str(),
            d.span.start.line,
            d.span.start.column,
            d.code,
            d.message,
            d.hint.as_deref().unwrap_or("")
        ));
    }
    expect.assert_eq(&out);
}

#[test]
fn argo_cd_manifests_read_unchanged() {
    check(
        r#"apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: argocd
  finalizers: [resources-finalizer.argocd.argoproj.io]
spec:
  project: default
  source:
    repoURL: https://github.com/argoproj/argocd-example-apps.git
    targetRevision: HEAD
    path: guestbook
    helm:
      valueFiles: [values-prod.yaml]
      parameters:
        - name: image.tag
          value: "1.2"
          forceString: true
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
  syncPolicy:
    automated: {prune: true, selfHeal: true}
    syncOptions: [CreateNamespace=true, PruneLast=true]
    retry:
      limit: 5
      backoff: {duration: 5s, factor: 2, maxDuration: 3m}
  ignoreDifferences:
    - group: apps
      kind: Deployment
      jsonPointers: [/spec/replicas]
  revisionHistoryLimit: 3
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-an-app}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: multi}
spec:
  sources:
    - repoURL: .
      path: charts/api
    - repoURL: file:///srv/values.git
      ref: values
  destination: {name: kind-dev, namespace: api}
"#,
        expect![[r#"
            guestbook -> Some("https://kubernetes.default.svc")/Some("guestbook") sources=["https://github.com/argoproj/argocd-example-apps.git@HEAD:guestbook"] automated=Some((true, true)) options=["CreateNamespace=true", "PruneLast=true"]
            multi -> Some("kind-dev")/Some("api") sources=[".@HEAD:charts/api", "file:///srv/values.git@HEAD:."] automated=None options=[]
        "#]],
    );
}

#[test]
fn problems_point_at_the_field() {
    check(
        r#"apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: typo}
spec:
  source:
    repoURL: .
    targetRevison: main
    path: x
  destination: {server: https://kubernetes.default.svc}
  syncPolicy:
    syncOptions: [CreateNamespaces=true]
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: wrong-type}
spec:
  source:
    repoURL: .
    helm:
      valueFiles: values.yaml
  destination: {server: x}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: no-destination}
spec:
  source: {repoURL: ., path: y}
---
kind: Application
metadata: {name: [oops
"#,
        expect![[r#"
            typo -> Some("https://kubernetes.default.svc")/None sources=[".@HEAD:x"] automated=None options=["CreateNamespaces=true"]
            error 31:1 [yaml-syntax] invalid YAML: while parsing a flow sequence, expected ',' or ']' ()
            warning 7:5 [app-unknown-field] unknown field `spec.source.targetRevison`; Argo CD ignores it (check the spelling of `targetRevison` against Argo CD's Application reference)
            warning 11:19 [app-sync-option] unknown sync option `CreateNamespaces=true` (Argo CD knows: CreateNamespace, PruneLast, ApplyOutOfSyncOnly, ServerSideApply, Prune, Replace, Validate, Force, RespectIgnoreDifferences, FailOnSharedResource, PrunePropagationPolicy, SkipDryRunOnMissingResource, Delete, ClientSideApplyMigration)
            error 20:19 [app-invalid] `spec.source.helm.valueFiles`: invalid type: string "values.yaml", expected a sequence (see Argo CD's Application reference for this field's type)
            error 27:3 [app-invalid] application `no-destination` has no destination cluster (set `spec.destination.server` (for example https://kubernetes.default.svc) or `spec.destination.name` (a kubeconfig context))
        "#]],
    );
}
