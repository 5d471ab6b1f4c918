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
    let scanner = Scanner::new(config);
    let (mut findings, scanned) = if stdin || target.is_file() {
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
        let found = scanner.scan(&name, &String::from_utf8_lossy(&bytes), None);
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
            let found = scanner.scan(&rel, &String::from_utf8_lossy(&bytes), None);
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
        out.push_str(&format!(
            "{}:{}:{}: {}: {} (entropy {:.2})\n",
            f.file, f.start_line, f.start_column, f.rule_id, f.secret, f.entropy
        ));
        let line: String = f.line.trim().chars().take(160).collect();
        if !line.is_empty() {
            out.push_str(&format!("    {line}\n"));
        }
    }
    out
}
