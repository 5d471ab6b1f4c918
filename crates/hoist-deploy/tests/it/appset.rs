//! ApplicationSets: generators, Go and default templates, patches and their errors.

use expect_test::{Expect, expect};
use hoist_deploy::appset::{RepoDirectories, parse_application_sets};

/// A repository whose directories are given.
struct Dirs(&'static [&'static str]);

impl RepoDirectories for Dirs {
    fn directories(&self, repo_url: &str, revision: &str) -> Result<Vec<String>, String> {
        if repo_url == "unreachable" {
            return Err("repository not found".to_owned());
        }
        let _ = revision;
        Ok(self.0.iter().map(|s| (*s).to_owned()).collect())
    }
}

const REPO: Dirs = Dirs(&[
    "infra",
    "infra/helm",
    "infra/helm/charts",
    "infra/helm/charts/api-router-service",
    "infra/helm/charts/billing-service",
    "infra/helm/charts/model-gateway",
    "infra/helm/charts/model-gateway/templates",
    "infra/helm/charts/legacy",
]);

fn check(text: &str, expect: Expect) {
    let (sets, diagnostics) = parse_application_sets("deploy/platform.yaml", text);
    let mut out = String::new();
    for d in &diagnostics {
        out.push_str(&format!(
            "! {}:{} {}\n",
            d.span.start.line, d.span.start.column, d.message
        ));
    }
    for set in &sets {
        match set.generate(&REPO) {
            Ok(apps) => {
                for app in apps {
                    let source = app.sources()[0].clone();
                    out.push_str(&format!(
                        "{} path={} ns={} automated={}\n",
                        app.metadata.name,
                        source.path.unwrap_or_default(),
                        app.destination_namespace().unwrap_or("-"),
                        app.automated().is_some()
                    ));
                }
            }
            Err(d) => out.push_str(&format!(
                "! {}:{} {} ({})\n",
                d.span.start.line,
                d.span.start.column,
                d.message,
                d.hint.unwrap_or_default()
            )),
        }
    }
    expect.assert_eq(&out);
}

#[test]
fn matrix_of_environments_and_chart_directories() {
    check(
        r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: platform}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
    - matrix:
        generators:
          - list:
              elements:
                - {env: development, auto: true}
                - {env: staging, auto: true}
                - {env: production, auto: false}
          - git:
              repoURL: .
              revision: HEAD
              directories:
                - path: infra/helm/charts/*
                - path: infra/helm/charts/legacy
                  exclude: true
  template:
    metadata:
      name: 'platform-{{.env}}-{{.path.basename}}'
      labels: {env: '{{.env}}'}
    spec:
      project: default
      source:
        repoURL: .
        path: '{{.path.path}}'
        helm:
          valueFiles: ['values-{{.env}}.yaml']
      destination:
        server: https://kubernetes.default.svc
        namespace: 'platform-{{.env}}'
  templatePatch: |
    {{- if .auto }}
    spec:
      syncPolicy:
        automated: {prune: true, selfHeal: true}
    {{- end }}
"#,
        expect![[r#"
            platform-development-api-router-service path=infra/helm/charts/api-router-service ns=platform-development automated=true
            platform-development-billing-service path=infra/helm/charts/billing-service ns=platform-development automated=true
            platform-development-model-gateway path=infra/helm/charts/model-gateway ns=platform-development automated=true
            platform-staging-api-router-service path=infra/helm/charts/api-router-service ns=platform-staging automated=true
            platform-staging-billing-service path=infra/helm/charts/billing-service ns=platform-staging automated=true
            platform-staging-model-gateway path=infra/helm/charts/model-gateway ns=platform-staging automated=true
            platform-production-api-router-service path=infra/helm/charts/api-router-service ns=platform-production automated=false
            platform-production-billing-service path=infra/helm/charts/billing-service ns=platform-production automated=false
            platform-production-model-gateway path=infra/helm/charts/model-gateway ns=platform-production automated=false
        "#]],
    );
}

#[test]
fn default_templates_and_errors() {
    check(
        r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: plain}
spec:
  generators:
    - list:
        elements:
          - {cluster: dev, url: https://dev.example}
  template:
    metadata: {name: '{{cluster}}-guestbook-{{unknown}}'}
    spec:
      source: {repoURL: ., path: guestbook}
      destination: {server: '{{url}}', namespace: guestbook}
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: missing}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
    - list:
        elements: [{env: dev}]
  template:
    metadata: {name: '{{.environment}}'}
    spec:
      source: {repoURL: ., path: x}
      destination: {server: https://kubernetes.default.svc}
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: twice}
spec:
  goTemplate: true
  generators:
    - list:
        elements: [{env: dev}, {env: dev}]
  template:
    metadata: {name: 'app-{{.env}}'}
    spec:
      source: {repoURL: ., path: x}
      destination: {server: https://kubernetes.default.svc}
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: clusters}
spec:
  generators:
    - clusters: {}
  template:
    metadata: {name: x}
    spec: {}
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: gone}
spec:
  generators:
    - git: {repoURL: unreachable, directories: [{path: '*'}]}
  template:
    metadata: {name: x}
    spec: {}
"#,
        expect![[r#"
            dev-guestbook-{{unknown}} path=guestbook ns=guestbook automated=false
            ! 25:5 ApplicationSet `missing`: template `{{.environment}}`: no parameter `environment` (the generator gives: .env) (Go templates name parameters with a leading dot: `{{.path.basename}}`)
            ! 39:22 ApplicationSet `twice` generates application `app-dev` twice (make the name depend on every parameter that varies)
            ! 49:17 ApplicationSet `clusters`: the `clusters` generator is not supported (Hoist supports the list, git (directories) and matrix generators)
            ! 59:12 ApplicationSet `gone`: cannot list `unreachable` at `HEAD`: repository not found (check `repoURL` and `revision` of the git generator)
        "#]],
    );
}
