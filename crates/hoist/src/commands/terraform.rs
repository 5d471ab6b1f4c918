//! `hoist fmt terraform` and `hoist check terraform`: Terraform files laid out as
//! `terraform fmt` lays them out, found the way terraform finds them.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use hoist_diagnostics::FileReport;

use crate::cli::{FmtTerraformArgs, Format, TerraformCheckArgs};
use crate::commands::Outcome;
use crate::output;

/// The file names terraform formats.
fn is_terraform_file(name: &str) -> bool {
    name.ends_with(".tf") || name.ends_with(".tfvars") || name.ends_with(".tftest.hcl")
}

/// What terraform skips in a directory: dot files and directories (`.terraform`), editor
/// backups (`~`, `#…#`).
fn ignored(name: &str) -> bool {
    name.starts_with('.') || name.ends_with('~') || (name.starts_with('#') && name.ends_with('#'))
}

/// The Terraform files of `dir` (and below it with `recursive`), sorted.
fn files_in(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list `{}`", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if ignored(&name) {
            continue;
        }
        if path.is_dir() {
            if recursive {
                files_in(&path, true, out)?;
            }
        } else if is_terraform_file(&name) {
            out.push(path);
        }
    }
    Ok(())
}

fn read(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(
            "`{}` is not UTF-8 text; terraform reads only UTF-8",
            path.display()
        )
    })
}

pub(crate) fn fmt(args: &FmtTerraformArgs) -> anyhow::Result<Outcome> {
    if args.paths.len() == 1 && args.paths[0] == Path::new("-") {
        let mut src = String::new();
        std::io::stdin()
            .read_to_string(&mut src)
            .context("cannot read standard input")?;
        let formatted =
            hoist_terraform::format(&src).map_err(|e| anyhow::anyhow!("<stdin>:{e}"))?;
        if args.check {
            if args.diff {
                output::stdout(&hoist_terraform::unified_diff("<stdin>", &src, &formatted));
            }
            return Ok(if formatted == src {
                Outcome::Success
            } else {
                Outcome::Failure
            });
        }
        output::stdout(&formatted);
        return Ok(Outcome::Success);
    }
    let roots = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut files = Vec::new();
    for root in &roots {
        if root.is_dir() {
            files_in(root, args.recursive, &mut files)?;
        } else if root.is_file() {
            let name = root.to_string_lossy();
            if !is_terraform_file(&name) {
                bail!(
                    "`{name}` is not a Terraform file; only `.tf`, `.tfvars` and `.tftest.hcl` files are formatted"
                );
            }
            files.push(root.clone());
        } else {
            bail!("no file or directory `{}`", root.display());
        }
    }
    let mut unformatted = 0;
    let mut refused = Vec::new();
    for file in &files {
        let src = read(file)?;
        let formatted = match hoist_terraform::format(&src) {
            Ok(f) => f,
            Err(e) => {
                refused.push(format!("{}:{e}", file.display()));
                continue;
            }
        };
        if formatted == src {
            continue;
        }
        unformatted += 1;
        if !args.quiet {
            output::stdout(&format!("{}\n", file.display()));
        }
        if args.diff {
            output::stdout(&hoist_terraform::unified_diff(
                &file.display().to_string(),
                &src,
                &formatted,
            ));
        }
        if !args.check {
            write_in_place(file, &formatted)?;
        }
    }
    if !refused.is_empty() {
        bail!(
            "{} file(s) do not scan as HCL and were left as they are:\n{}",
            refused.len(),
            refused.join("\n")
        );
    }
    Ok(if args.check && unformatted > 0 {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}

/// Replaces `file`'s content through a temporary file renamed over it, so that a crash
/// leaves the old or the new text, never half of one.
fn write_in_place(file: &Path, text: &str) -> anyhow::Result<()> {
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.hoist-fmt-{}", std::process::id()));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write `{}`", tmp.display()))?;
    if let Ok(meta) = std::fs::metadata(file) {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    std::fs::rename(&tmp, file).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot replace `{}`", file.display())
    })
}

/// `terraform validate -json` on module `dir`, after `terraform init -backend=false` into a
/// temporary data directory (so the tree gets no `.terraform`, and no lock file it did not
/// have); each diagnostic with the path of its file. A module whose init fails (providers
/// out of reach) gets one warning saying so.
fn terraform_validate(
    program: &Path,
    dir: &Path,
) -> anyhow::Result<Vec<(PathBuf, hoist_diagnostics::Diagnostic)>> {
    use hoist_diagnostics::{Diagnostic, Position, Span};
    let data = tempfile::tempdir().context("cannot create a data directory for terraform")?;
    let lock = dir.join(".terraform.lock.hcl");
    let had_lock = lock.exists();
    let run = |args: &[&str]| {
        Command::new(program)
            .arg(format!("-chdir={}", dir.display()))
            .args(args)
            .env("TF_DATA_DIR", data.path())
            .env("TF_IN_AUTOMATION", "1")
            .output()
            .with_context(|| {
                format!(
                    "cannot run `{}` (give it with `--terraform PATH`)",
                    program.display()
                )
            })
    };
    let init = run(&["init", "-backend=false", "-input=false", "-no-color"])?;
    if !had_lock {
        let _ = std::fs::remove_file(&lock);
    }
    let first_file = || -> PathBuf {
        let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "tf"))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
            .into_iter()
            .next()
            .unwrap_or_else(|| dir.join("main.tf"))
    };
    if !init.status.success() {
        let reason = String::from_utf8_lossy(&init.stderr);
        let last = reason
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no reason given")
            .trim();
        let at = Position::new(1, 1);
        let mut d = Diagnostic::warning(
            "terraform-validate",
            Span::new(at, at),
            format!("`terraform init` failed here, so `terraform validate` did not run: {last}"),
        );
        d.hint = Some(
            "run `terraform init` where the providers can be downloaded, or leave out `--full`"
                .to_owned(),
        );
        return Ok(vec![(first_file(), d)]);
    }
    let validate = run(&["validate", "-json", "-no-color"])?;
    let report: serde_json::Value =
        serde_json::from_slice(&validate.stdout).with_context(|| {
            format!(
                "`terraform validate -json` in `{}` printed no JSON: {}",
                dir.display(),
                String::from_utf8_lossy(&validate.stderr).trim()
            )
        })?;
    let mut out = Vec::new();
    for d in report["diagnostics"].as_array().into_iter().flatten() {
        let pos = |p: &serde_json::Value| {
            Position::new(
                p["line"].as_u64().unwrap_or(1) as u32,
                p["column"].as_u64().unwrap_or(1) as u32,
            )
        };
        let range = &d["range"];
        let span = Span::new(pos(&range["start"]), pos(&range["end"]));
        let message = format!(
            "terraform validate: {}",
            d["summary"].as_str().unwrap_or("a problem")
        );
        let mut diag = if d["severity"] == "error" {
            Diagnostic::error("terraform-validate", span, message)
        } else {
            Diagnostic::warning("terraform-validate", span, message)
        };
        diag.hint = d["detail"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let path = match range["filename"].as_str() {
            Some(name) => dir.join(name),
            None => first_file(),
        };
        out.push((path, diag));
    }
    Ok(out)
}

pub(crate) fn check(args: &TerraformCheckArgs) -> anyhow::Result<Outcome> {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    if !dir.is_dir() {
        bail!(
            "no directory `{}`; name the configuration: `hoist check terraform infra/terraform`",
            dir.display()
        );
    }
    let mut files = Vec::new();
    files_in(&dir, true, &mut files)?;
    let mut texts = Vec::with_capacity(files.len());
    for file in &files {
        texts.push(read(file)?);
    }
    // Module checks, one directory at a time (`.tfvars` are values, not configuration).
    let mut found: Vec<Vec<hoist_diagnostics::Diagnostic>> = vec![Vec::new(); files.len()];
    let mut unparsed = vec![false; files.len()];
    if !args.fmt {
        let mut modules: std::collections::BTreeMap<PathBuf, Vec<usize>> = Default::default();
        for (i, file) in files.iter().enumerate() {
            let name = file.to_string_lossy();
            // Configuration, and the variables terraform loads by itself (the security rules
            // read values from them); other `.tfvars` are chosen per run.
            let base = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.ends_with(".tf") || base == "terraform.tfvars" || base.ends_with(".auto.tfvars")
            {
                let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
                modules.entry(dir).or_default().push(i);
            }
        }
        for members in modules.values() {
            let module: Vec<hoist_terraform::ModuleFile> = members
                .iter()
                .map(|&i| hoist_terraform::ModuleFile {
                    path: files[i].display().to_string(),
                    text: texts[i].clone(),
                })
                .collect();
            for (k, d) in hoist_terraform::check_module(&module) {
                let i = members[k];
                unparsed[i] |= d.code == "terraform-syntax";
                found[i].push(d);
            }
        }
        if args.full {
            let program = args
                .terraform
                .clone()
                .unwrap_or_else(|| PathBuf::from("terraform"));
            for (dir, members) in &modules {
                // Modules with a file that does not parse: terraform would say the same.
                if members.iter().any(|&i| unparsed[i]) {
                    continue;
                }
                for (path, d) in terraform_validate(&program, dir)? {
                    let Some(i) = files
                        .iter()
                        .position(|f| *f == path)
                        .or(members.first().copied())
                    else {
                        continue;
                    };
                    let duplicate = found[i]
                        .iter()
                        .any(|ours| ours.span.start == d.span.start && ours.severity == d.severity);
                    if !duplicate {
                        found[i].push(d);
                    }
                }
            }
        }
    }
    let mut diffs = String::new();
    for (i, file) in files.iter().enumerate() {
        // A file the parser refused is reported once, where it stops parsing.
        if !unparsed[i] {
            found[i].extend(hoist_terraform::fmt_diagnostics(&texts[i]));
            if args.diff
                && let Ok(formatted) = hoist_terraform::format(&texts[i])
            {
                diffs.push_str(&hoist_terraform::unified_diff(
                    &file.display().to_string(),
                    &texts[i],
                    &formatted,
                ));
            }
        }
    }
    let mut reports = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let diagnostics = std::mem::take(&mut found[i]);
        if diagnostics.is_empty() {
            continue;
        }
        let mut report = FileReport {
            path: file.display().to_string(),
            text: texts[i].clone(),
            diagnostics,
        };
        report.sort();
        reports.push(report);
    }
    let errors: usize = reports.iter().map(FileReport::error_count).sum();
    let summary = format!(
        "checked {} Terraform file(s) in `{}`: {errors} error(s)\n",
        files.len(),
        dir.display()
    );
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let mut rules: Vec<hoist_diagnostics::SarifRule> = hoist_terraform::RULES.to_vec();
    rules.extend(hoist_terraform::security::rules().into_iter().map(|r| {
        hoist_diagnostics::SarifRule {
            id: r.id,
            description: r.title,
        }
    }));
    let gate = crate::gate_report::Gate {
        suite: "hoist check terraform",
        rules: &rules,
    };
    crate::gate_report::print(&gate, args.format, &names, &reports, &summary);
    if args.format == Format::Text && !diffs.is_empty() {
        output::stdout(&diffs);
    }
    Ok(if errors > 0 {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}
