//! `hoist scan secrets`: the secret-scanning gate.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, bail};
use hoist_secrets::{Config, Finding, Scanner, Source, builtin_config, report};

use crate::cli::{ScanSecretsArgs, SecretsFormat};
use crate::commands::Outcome;
use crate::output;

pub(crate) fn secrets(args: &ScanSecretsArgs) -> anyhow::Result<Outcome> {
    let target = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    if args.install_hook {
        return install_hook(&target);
    }
    let stdin = target.as_os_str() == "-";
    if !stdin && !target.exists() {
        bail!("`{}` does not exist", target.display());
    }
    let root = if stdin || target.is_file() {
        PathBuf::from(".")
    } else {
        target.clone()
    };
    let started = Instant::now();
    let (config, origin) = load_config(args.config.as_deref(), &root)?;
    let scanner = Scanner::new(config).with_max_decode_depth(args.max_decode_depth);
    let (mut findings, scanned) = if args.git || args.staged {
        scan_history(&scanner, &target, args)?
    } else if stdin || target.is_file() {
        let (name, bytes) = if stdin {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("cannot read standard input")?;
            ("stdin".to_owned(), bytes)
        } else {
            let bytes = std::fs::read(&target)
                .with_context(|| format!("cannot read `{}`", target.display()))?;
            (target.to_string_lossy().into_owned(), bytes)
        };
        let found = scanner.scan(&name, &text_of(&bytes), None);
        (
            found,
            Scanned {
                files: 1,
                bytes: bytes.len() as u64,
            },
        )
    } else {
        let limit =
            (args.max_target_megabytes > 0).then(|| args.max_target_megabytes * 1024 * 1024);
        scan_tree(&scanner, &root, !args.no_git_ignore, limit)
    };
    let suppressions = load_suppressions(args, &root)?;
    if !suppressions.is_empty() {
        findings.retain(|f| !suppressions.suppresses(f));
    }
    findings.sort_by(|a, b| {
        (&a.file, a.start_line, &a.rule_id, a.start_column).cmp(&(
            &b.file,
            b.start_line,
            &b.rule_id,
            b.start_column,
        ))
    });
    if !args.no_redact {
        for f in &mut findings {
            f.redact(args.redact);
        }
    }
    let text = match args.report_format {
        SecretsFormat::Text => text_report(&findings),
        SecretsFormat::Json => report::json(&findings),
        SecretsFormat::Sarif => {
            report::sarif(&findings, scanner.config(), env!("CARGO_PKG_VERSION"))
        }
        SecretsFormat::Junit => report::junit(&findings),
        SecretsFormat::Csv => report::csv(&findings),
    };
    match &args.report_path {
        Some(p) => std::fs::write(p, text)
            .with_context(|| format!("cannot write the report to `{}`", p.display()))?,
        None => output::stdout(&text),
    }
    let secs = started.elapsed().as_secs_f64();
    output::stderr(&format!(
        "{} secret(s) found; scanned {} file(s), {:.1} MB in {:.2}s ({:.0} MB/s) with {}\n",
        findings.len(),
        scanned.files,
        scanned.bytes as f64 / 1e6,
        secs,
        scanned.bytes as f64 / 1e6 / secs.max(1e-9),
        origin
    ));
    if findings.is_empty() {
        Ok(Outcome::Success)
    } else if args.exit_code == 1 {
        Ok(Outcome::Failure)
    } else {
        std::process::exit(i32::from(args.exit_code))
    }
}

/// `.gitleaksignore` (or `--gitleaks-ignore-path`) and `--baseline`.
fn load_suppressions(
    args: &ScanSecretsArgs,
    root: &Path,
) -> anyhow::Result<hoist_secrets::Suppressions> {
    let mut s = hoist_secrets::Suppressions::default();
    let ignore = match &args.gitleaks_ignore_path {
        Some(p) => Some(
            std::fs::read_to_string(p).with_context(|| format!("cannot read `{}`", p.display()))?,
        ),
        None => std::fs::read_to_string(root.join(".gitleaksignore")).ok(),
    };
    if let Some(text) = ignore {
        s.add_ignore_file(&text);
    }
    if let Some(p) = &args.baseline {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("cannot read the baseline `{}`", p.display()))?;
        s.add_baseline(&text)
            .map_err(|e| anyhow::anyhow!("baseline `{}`: {e}", p.display()))?;
    }
    Ok(s)
}

#[derive(Debug, Default)]
struct Scanned {
    files: u64,
    bytes: u64,
}

/// Finds the configuration: `--config`, `$HOIST_SECRETS_CONFIG`, `.hoist/secrets.toml`,
/// `.gitleaks.toml`, else the built-in rules. Returns it with a description of its origin.
fn load_config(explicit: Option<&Path>, root: &Path) -> anyhow::Result<(Config, String)> {
    let from_env = std::env::var_os("HOIST_SECRETS_CONFIG").map(PathBuf::from);
    let candidates = [
        explicit.map(Path::to_path_buf),
        from_env,
        Some(root.join(".hoist/secrets.toml")).filter(|p| p.is_file()),
        Some(root.join(".gitleaks.toml")).filter(|p| p.is_file()),
    ];
    let Some(path) = candidates.into_iter().flatten().next() else {
        let config = builtin_config();
        let origin = format!("the built-in rules ({})", config.rules.len());
        return Ok((config, origin));
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the secrets configuration `{}`", path.display()))?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let read = |p: &str| -> Result<(String, String), String> {
        let full = base.join(p);
        std::fs::read_to_string(&full)
            .map(|t| (full.display().to_string(), t))
            .map_err(|e| format!("cannot read `{}`: {e}", full.display()))
    };
    let display = path.display().to_string();
    let config = Config::load(&Source {
        path: &display,
        text: &text,
        read: &read,
        builtin: &builtin_config,
    })?;
    let origin = format!("`{display}` ({} rules)", config.rules.len());
    Ok((config, origin))
}

/// Scans a directory tree in parallel, respecting .gitignore unless told not to, never
/// following symbolic links, skipping binary files and `.git`.
fn scan_tree(
    scanner: &Scanner,
    root: &Path,
    git_ignore: bool,
    limit: Option<u64>,
) -> (Vec<Finding>, Scanned) {
    let findings = Mutex::new(Vec::new());
    let scanned = Mutex::new(Scanned::default());
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .git_ignore(git_ignore)
        .git_exclude(git_ignore)
        .git_global(git_ignore)
        .ignore(git_ignore)
        .parents(git_ignore)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build_parallel();
    walker.run(|| {
        let findings = &findings;
        let scanned = &scanned;
        Box::new(move |entry| {
            let Ok(entry) = entry else {
                return ignore::WalkState::Continue;
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return ignore::WalkState::Continue;
            }
            let path = entry.path();
            let rel = path
                .strip_prefix(root)
                .unwrap_or(path)
                .to_string_lossy()
                .replace('\\', "/");
            let rel = rel.trim_start_matches("./").to_owned();
            if scanner.path_allowed(&rel) {
                return ignore::WalkState::Continue;
            }
            if let (Some(limit), Ok(meta)) = (limit, entry.metadata())
                && meta.len() > limit
            {
                return ignore::WalkState::Continue;
            }
            let Ok(bytes) = std::fs::read(path) else {
                return ignore::WalkState::Continue;
            };
            // Binary files (a NUL near the start) hold no text secrets worth reporting.
            if bytes[..bytes.len().min(8000)].contains(&0) {
                return ignore::WalkState::Continue;
            }
            let found = scanner.scan(&rel, &text_of(&bytes), None);
            if let Ok(mut s) = scanned.lock() {
                s.files += 1;
                s.bytes += bytes.len() as u64;
            }
            if !found.is_empty()
                && let Ok(mut f) = findings.lock()
            {
                f.extend(found);
            }
            ignore::WalkState::Continue
        })
    });
    (
        findings.into_inner().unwrap_or_default(),
        scanned.into_inner().unwrap_or_default(),
    )
}

fn text_report(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let commit = f.commit.as_ref().map_or(String::new(), |c| {
            format!(
                ", commit {} by {} on {}",
                c.sha.chars().take(12).collect::<String>(),
                c.author,
                c.date
            )
        });
        let decoded = f
            .decoded_from()
            .map_or(String::new(), |e| format!(", decoded from {e}"));
        out.push_str(&format!(
            "{}:{}:{}: {}: {} (entropy {:.2}{decoded}{commit})\n",
            f.file, f.start_line, f.start_column, f.rule_id, f.secret, f.entropy
        ));
        let line: String = f.line.trim().chars().take(160).collect();
        if !line.is_empty() {
            out.push_str(&format!("    {line}\n"));
        }
    }
    out
}

/// Scans what git says was added: each commit's patch (`--git`) or the staged changes.
fn scan_history(
    scanner: &Scanner,
    dir: &Path,
    args: &ScanSecretsArgs,
) -> anyhow::Result<(Vec<Finding>, Scanned)> {
    use std::io::BufRead;
    let dir = if dir.is_dir() {
        dir.to_path_buf()
    } else {
        PathBuf::from(".")
    };
    let mut command = std::process::Command::new("git");
    command.current_dir(&dir).args(["-c", "core.quotepath=off"]);
    if args.staged {
        command.args(["diff", "--cached", "-U0", "--no-color", "--no-ext-diff"]);
    } else {
        command.args([
            "log",
            "-p",
            "-U0",
            "--no-color",
            "--no-ext-diff",
            "--full-history",
            hoist_secrets::patch::LOG_FORMAT,
        ]);
        match (&args.range, &args.since, args.all) {
            (Some(r), _, _) => command.arg(r),
            (None, Some(s), _) => command.arg(format!("{s}..HEAD")),
            (None, None, true) => command.arg("--all"),
            (None, None, false) => command.arg("HEAD"),
        };
        command.arg("--");
    }
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("cannot run `git`")?;
    let stdout = child.stdout.take().context("no output from git")?;
    let findings = Mutex::new(Vec::new());
    let scanned = Mutex::new(Scanned::default());
    let workers = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let (tx, rx) = std::sync::mpsc::sync_channel::<hoist_secrets::patch::Fragment>(256);
    let rx = Mutex::new(rx);
    std::thread::scope(|scope| -> anyhow::Result<()> {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let next = rx.lock().ok().and_then(|r| r.recv().ok());
                    let Some(fragment) = next else { break };
                    if scanner.path_allowed(&fragment.file) {
                        continue;
                    }
                    let found = scanner.scan_fragment(&fragment);
                    if let Ok(mut s) = scanned.lock() {
                        s.bytes += fragment.text.len() as u64;
                    }
                    if !found.is_empty()
                        && let Ok(mut f) = findings.lock()
                    {
                        f.extend(found);
                    }
                }
            });
        }
        let mut patches = hoist_secrets::patch::Patches::new();
        let mut reader = std::io::BufReader::new(stdout);
        let mut buf = Vec::new();
        let mut files = std::collections::HashSet::new();
        loop {
            buf.clear();
            if reader
                .read_until(b'\n', &mut buf)
                .context("cannot read git's output")?
                == 0
            {
                break;
            }
            while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                buf.pop();
            }
            let line = text_of(&buf);
            if let Some(fragment) = patches.line(&line) {
                files.insert((
                    fragment.commit.as_ref().map(|c| c.sha.clone()),
                    fragment.file.clone(),
                ));
                let _ = tx.send(fragment);
            }
        }
        if let Some(fragment) = patches.finish() {
            files.insert((
                fragment.commit.as_ref().map(|c| c.sha.clone()),
                fragment.file.clone(),
            ));
            let _ = tx.send(fragment);
        }
        drop(tx);
        if let Ok(mut s) = scanned.lock() {
            s.files = files.len() as u64;
        }
        Ok(())
    })?;
    let status = child.wait().context("cannot wait for git")?;
    if !status.success() {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        bail!("`git` failed: {}", err.trim());
    }
    Ok((
        findings.into_inner().unwrap_or_default(),
        scanned.into_inner().unwrap_or_default(),
    ))
}

/// Installs `.git/hooks/pre-commit` running this Hoist on the staged changes.
fn install_hook(dir: &Path) -> anyhow::Result<Outcome> {
    let dir = if dir.is_dir() {
        dir.to_path_buf()
    } else {
        PathBuf::from(".")
    };
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--git-path", "hooks/pre-commit"])
        .current_dir(&dir)
        .output()
        .context("cannot run `git`")?;
    if !out.status.success() {
        bail!("`{}` is not in a git repository", dir.display());
    }
    let hook = dir.join(String::from_utf8_lossy(&out.stdout).trim());
    if hook.exists() {
        let existing = std::fs::read_to_string(&hook).unwrap_or_default();
        if existing.contains("hoist") && existing.contains("scan secrets") {
            output::stderr(&format!(
                "the pre-commit hook `{}` already runs hoist\n",
                hook.display()
            ));
            return Ok(Outcome::Success);
        }
        bail!(
            "`{}` already exists; add `hoist scan secrets --staged` to it yourself, or remove it and run this again",
            hook.display()
        );
    }
    let exe = std::env::current_exe().context("cannot find the hoist executable")?;
    let script = format!(
        "#!/bin/sh\n# Installed by `hoist scan secrets --install-hook`: refuse commits that add secrets.\nexec \"{}\" scan secrets --staged\n",
        exe.display()
    );
    if let Some(parent) = hook.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create `{}`", parent.display()))?;
    }
    std::fs::write(&hook, script).with_context(|| format!("cannot write `{}`", hook.display()))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))?;
    output::stderr(&format!("installed `{}`\n", hook.display()));
    Ok(Outcome::Success)
}

/// A file's text: as is when it is UTF-8 (checked a word at a time), else with invalid bytes
/// replaced (`from_utf8_lossy` checks a byte at a time, a tenth of a scan's time).
fn text_of(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}
