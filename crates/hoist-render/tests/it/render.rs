//! Rendering each kind of source from a real git repository, with the pinned helm and
//! kubectl (`cargo xtask setup`).

use std::path::Path;
use std::process::Command;

use expect_test::{Expect, expect};
use hoist_deploy::source::ClusterFacts;
use hoist_render::{Project, Renderer, RepoSet, Tools};

/// A git repository holding `tests/data/repo`, and a renderer over it.
struct Fixture {
    _dir: tempfile::TempDir,
    _cache: tempfile::TempDir,
    renderer: Renderer,
    repo: std::path::PathBuf,
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        ok.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read") {
        let e = e.expect("entry");
        let dst = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).expect("copy");
        }
    }
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/repo"),
        &repo,
    );
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "first"]);
    let cache = tempfile::tempdir().expect("cache");
    let tools = Tools {
        helm: Some(hoist_testbed::tools::program("helm")),
        kustomize: None,
        kubectl: Some(hoist_testbed::tools::program("kubectl")),
    };
    let renderer = Renderer::new(
        RepoSet::new(
            Project::open(&repo, vec!["https://git.example/acme/repo.git".into()]),
            cache.path(),
        ),
        tools,
        cache.path(),
    );
    Fixture {
        _dir: dir,
        _cache: cache,
        renderer,
        repo,
    }
}

/// Renders the one Application in `manifest` and prints each resource's key and the
/// fields named in `show` (JSON pointers), or the error.
fn check(f: &Fixture, manifest: &str, show: &[&str], expect: Expect) {
    let (apps, diagnostics) = hoist_deploy::parse_applications("app.yaml", manifest);
    assert!(diagnostics.iter().all(|d| !d.is_error()), "{diagnostics:?}");
    let cluster = ClusterFacts {
        kube_version: Some("1.20.2".into()),
        api_versions: vec![],
    };
    let out = match f.renderer.render(&apps[0], None, None, &cluster) {
        Ok(r) => {
            let mut out = String::new();
            for res in &r.resources {
                out.push_str(&format!("{}", res.key));
                for p in show {
                    if let Some(v) = res.object.pointer(p) {
                        out.push_str(&format!(" {p}={v}"));
                    }
                }
                out.push('\n');
            }
            out
        }
        Err(e) => format!("error: {e}\n"),
    };
    expect.assert_eq(&out);
}

fn app(source: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: demo}}\nspec:\n  source:\n{source}\n  destination: {{server: https://kubernetes.default.svc, namespace: shop}}\n"
    )
}

#[test]
fn helm_charts_render_with_argo_cds_arguments() {
    let f = fixture();
    check(
        &f,
        &app(
            "    repoURL: https://git.example/acme/repo.git\n    path: charts/web\n    helm:\n      valueFiles: [values-prod.yaml]\n      values: 'greeting: hi'\n      parameters: [{name: image, value: 'web:2'}]\n      releaseName: shop-web",
        ),
        &[
            "/spec/replicas",
            "/spec/template/spec/containers/0/image",
            "/data/greeting",
            "/data/kube",
            "/metadata/namespace",
        ],
        expect![[r#"
            /ConfigMap /shop-web-greeting /data/greeting="hi" /data/kube="v1.20.2"
            apps/Deployment shop/shop-web /spec/replicas=3 /spec/template/spec/containers/0/image="web:2" /metadata/namespace="shop"
        "#]],
    );
    check(
        &f,
        &app("    repoURL: .\n    path: charts/broken"),
        &[],
        expect![[r#"
            error: application `demo`: `helm template . --name-template demo --namespace shop --kube-version 1.20.2 --include-crds` failed:
            Error: execution error at (broken/templates/bad.yaml:4:26): name is required

            Use --debug flag to render out invalid YAML
        "#]],
    );
}

#[test]
fn kustomize_overlays_with_argo_cds_overrides() {
    let f = fixture();
    check(
        &f,
        &app(
            "    repoURL: .\n    path: kustomize/overlay\n    kustomize:\n      namePrefix: prod-\n      images: ['api=registry.example/api:2']\n      replicas: [{name: api, count: 4}]\n      commonLabels: {team: shop}",
        ),
        &[
            "/spec/replicas",
            "/spec/template/spec/containers/0/image",
            "/metadata/labels/team",
        ],
        expect![[r#"
            apps/Deployment /prod-api /spec/replicas=4 /spec/template/spec/containers/0/image="registry.example/api:2" /metadata/labels/team="shop"
        "#]],
    );
    // The overrides went into a copy: the repository's kustomization is unchanged, and a
    // render without them gives the overlay as committed.
    check(
        &f,
        &app("    repoURL: .\n    path: kustomize/overlay"),
        &["/spec/template/spec/containers/0/image"],
        expect![[r#"
            apps/Deployment /staging-api /spec/template/spec/containers/0/image="api:1"
        "#]],
    );
    let committed =
        std::fs::read_to_string(f.repo.join("kustomize/overlay/kustomization.yaml")).expect("read");
    assert_eq!(committed, "resources: [../base]\nnamePrefix: staging-\n");
}

#[test]
fn directories_with_recurse_include_and_exclude() {
    let f = fixture();
    check(
        &f,
        &app("    repoURL: .\n    path: plain"),
        &[],
        expect![[r#"
        /ConfigMap /a
        /ConfigMap /from-list
        /Secret /b
    "#]],
    );
    check(
        &f,
        &app(
            "    repoURL: .\n    path: plain\n    directory: {recurse: true, exclude: 'broken.yaml'}",
        ),
        &[],
        expect![[r#"
            /ConfigMap /a
            /ConfigMap /from-list
            /Secret /b
            /ConfigMap /c
        "#]],
    );
    check(
        &f,
        &app("    repoURL: .\n    path: plain\n    directory: {recurse: true}"),
        &[],
        expect![[r#"
        error: application `demo`: nested/broken.yaml:2:1: invalid YAML: while parsing a flow sequence, expected ',' or ']'
    "#]],
    );
    check(
        &f,
        &app("    repoURL: .\n    path: missing"),
        &[],
        expect![[r#"
        error: application `demo`: path `missing` does not exist in `.` at this revision
    "#]],
    );
    check(
        &f,
        &app("    repoURL: .\n    targetRevision: no-such-branch\n    path: plain"),
        &[],
        expect![[r#"
        error: repository `.` has no revision `no-such-branch`; check `targetRevision` (a branch, tag or commit)
    "#]],
    );
}

#[test]
fn renders_come_from_the_commit_and_are_cached_by_it() {
    let f = fixture();
    let manifest = app("    repoURL: .\n    path: plain");
    let (apps, _) = hoist_deploy::parse_applications("app.yaml", &manifest);
    let facts = ClusterFacts::default();
    let first = f
        .renderer
        .render(&apps[0], None, None, &facts)
        .expect("render");
    assert!(!first.cached);
    // An uncommitted file is not part of the revision.
    std::fs::write(
        f.repo.join("plain/d.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\n",
    )
    .expect("write");
    let again = f
        .renderer
        .render(&apps[0], None, None, &facts)
        .expect("render");
    assert!(again.cached);
    assert_eq!(again.resources.len(), first.resources.len());
    // `--local` renders the working tree, uncommitted file included.
    let local = f
        .renderer
        .render(&apps[0], None, Some(&f.repo.join("plain")), &facts)
        .expect("render");
    assert_eq!(local.resources.len(), first.resources.len() + 1);
    git(&f.repo, &["add", "-A"]);
    git(&f.repo, &["commit", "-qm", "second"]);
    // Revisions are resolved once per refresh (a reconciler's pass asks git once).
    let stale = f
        .renderer
        .render(&apps[0], None, None, &facts)
        .expect("render");
    assert_eq!(stale.revision(), first.revision());
    f.renderer.repos().refresh();
    let next = f
        .renderer
        .render(&apps[0], None, None, &facts)
        .expect("render");
    assert!(!next.cached);
    assert_ne!(next.revision(), first.revision());
    assert_eq!(next.resources.len(), first.resources.len() + 1);
    // The earlier revision still renders as it was.
    let old = f
        .renderer
        .render(&apps[0], Some(first.revision()), None, &facts)
        .expect("render");
    assert_eq!(old.resources.len(), first.resources.len());
}

#[test]
fn a_missing_tool_is_named_with_what_to_install() {
    let f = fixture();
    let renderer = Renderer::new(
        RepoSet::new(Project::open(&f.repo, vec![]), f._cache.path()),
        Tools {
            helm: None,
            kustomize: None,
            kubectl: None,
        },
        f._cache.path(),
    );
    let (apps, _) =
        hoist_deploy::parse_applications("app.yaml", &app("    repoURL: .\n    path: charts/web"));
    let err = renderer
        .render(&apps[0], None, None, &ClusterFacts::default())
        .expect_err("no helm");
    assert_eq!(
        err.to_string(),
        "`helm` is not installed: install Helm 3 or 4 (https://helm.sh/docs/intro/install/) or set `[apps] helm` in hoist.toml"
    );
    let (apps, _) = hoist_deploy::parse_applications(
        "app.yaml",
        &app("    repoURL: .\n    path: kustomize/overlay"),
    );
    let err = renderer
        .render(&apps[0], None, None, &ClusterFacts::default())
        .expect_err("no kustomize");
    assert!(
        err.to_string()
            .starts_with("`kustomize` is not installed: install kustomize or kubectl"),
        "{err}"
    );
}
