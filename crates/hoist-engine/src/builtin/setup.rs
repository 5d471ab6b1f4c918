//! `actions/setup-{go,node,python,java}` without downloads: the toolchains the machine already
//! has are found where version managers and Debian put them (pyenv, nvm, asdf, mise, sdkman,
//! `/usr/lib/go-1.X`, `/usr/lib/jvm`, `/usr/bin/python3.X`, Hoist's tool cache, `PATH`), and
//! the highest version that satisfies the workflow's spec is put first on `PATH`.

use std::path::{Path, PathBuf};

use super::{ActionResult, StepContext, absolute};
use crate::executor::Executor;

pub(super) struct Tool {
    /// The action's name without `setup-`, and the tool-cache directory name.
    name: &'static str,
    input: &'static str,
    file_input: &'static str,
    /// Read when neither input is given (setup-python's `.python-version`).
    default_file: Option<&'static str>,
    program: &'static str,
    version_args: &'static [&'static str],
    output: &'static str,
    /// Directories of version managers, relative to the home directory, whose entries are
    /// installations; each entry's `bin_in` holds the program.
    managed: &'static [&'static str],
    bin_in: &'static str,
    /// System directories whose entries are installations (a glob-free prefix match on the
    /// entry name), each with the program in `bin/`.
    system: &'static [(&'static str, &'static str)],
}

pub(super) const GO: Tool = Tool {
    name: "go",
    input: "go-version",
    file_input: "go-version-file",
    default_file: None,
    program: "go",
    version_args: &["version"],
    output: "go-version",
    managed: &[
        ".asdf/installs/golang",
        ".local/share/mise/installs/go",
        "sdk",
    ],
    bin_in: "bin",
    system: &[("/usr/lib", "go-"), ("/usr/local", "go")],
};

pub(super) const NODE: Tool = Tool {
    name: "node",
    input: "node-version",
    file_input: "node-version-file",
    default_file: None,
    program: "node",
    version_args: &["--version"],
    output: "node-version",
    managed: &[
        ".nvm/versions/node",
        ".asdf/installs/nodejs",
        ".local/share/mise/installs/node",
    ],
    bin_in: "bin",
    system: &[],
};

pub(super) const PYTHON: Tool = Tool {
    name: "python",
    input: "python-version",
    file_input: "python-version-file",
    default_file: Some(".python-version"),
    program: "python3",
    version_args: &["--version"],
    output: "python-version",
    managed: &[
        ".pyenv/versions",
        ".asdf/installs/python",
        ".local/share/mise/installs/python",
    ],
    bin_in: "bin",
    system: &[],
};

pub(super) const JAVA: Tool = Tool {
    name: "java",
    input: "java-version",
    file_input: "java-version-file",
    default_file: None,
    program: "java",
    version_args: &["-version"],
    output: "version",
    managed: &[
        ".sdkman/candidates/java",
        ".asdf/installs/java",
        ".local/share/mise/installs/java",
    ],
    bin_in: "bin",
    system: &[("/usr/lib/jvm", "")],
};

/// A program that may be the toolchain, and the directory to put on `PATH` for it (`None`:
/// a versioned name such as `/usr/bin/python3.11`, reached through links made for the job).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Candidate {
    pub(super) program: PathBuf,
    pub(super) bin: Option<PathBuf>,
}

/// Every place the tool may be installed, most specific first: Hoist's tool cache, version
/// managers under `home` (or where `var` says they moved: `PYENV_ROOT`, `NVM_DIR`), system
/// directories under `root`, then `PATH`.
pub(super) fn candidates(
    tool: &Tool,
    tool_cache: &Path,
    home: Option<&Path>,
    root: &Path,
    path: Option<&std::ffi::OsStr>,
    var: &dyn Fn(&str) -> Option<std::ffi::OsString>,
) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    let mut push = |program: PathBuf, bin: Option<PathBuf>| {
        if program.is_file() && !out.iter().any(|c| c.program == program) {
            out.push(Candidate { program, bin });
        }
    };
    let entries = |dir: &Path, prefix: &str| -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
                    .map(|e| e.path())
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        found.reverse();
        found
    };
    for d in entries(&tool_cache.join(tool.name), "") {
        for bin in [d.join("bin"), d.join("x64/bin"), d.join("arm64/bin")] {
            push(bin.join(tool.program), Some(bin));
        }
    }
    if let Some(home) = home {
        let overrides = [("PYENV_ROOT", ".pyenv"), ("NVM_DIR", ".nvm")];
        for managed in tool.managed {
            let mut dir = home.join(managed);
            for (var_name, default) in overrides {
                if let (Some(rest), Some(root)) = (managed.strip_prefix(default), var(var_name)) {
                    dir = PathBuf::from(root).join(rest.trim_start_matches('/'));
                }
            }
            // `~/sdk` holds Go's own downloads as `go1.22.5/`.
            let prefix = if *managed == "sdk" { "go" } else { "" };
            for d in entries(&dir, prefix) {
                // asdf's golang keeps the toolchain one level down, in `go/`.
                for bin in [d.join(tool.bin_in), d.join("go").join(tool.bin_in)] {
                    push(bin.join(tool.program), Some(bin));
                }
            }
        }
    }
    for (dir, prefix) in tool.system {
        let dir = root.join(dir.trim_start_matches('/'));
        for d in entries(&dir, prefix) {
            let bin = d.join("bin");
            push(bin.join(tool.program), Some(bin));
        }
    }
    if tool.name == "python" {
        // Debian's and hand-built Pythons side by side: /usr/bin/python3.11, ...
        for dir in ["usr/local/bin", "usr/bin"] {
            for p in entries(&root.join(dir), "python3.") {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
                if name.is_some_and(|n| n[8..].chars().all(|c| c.is_ascii_digit())) {
                    push(p, None);
                }
            }
        }
    }
    if let Some(path) = path {
        for d in std::env::split_paths(path) {
            push(d.join(tool.program), Some(d));
        }
    }
    out
}

/// The first dotted number in `text`: `go version go1.22.5 linux` → `1.22.5`.
pub(crate) fn version_in(text: &str) -> Option<String> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let v: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    Some(v.trim_end_matches('.').to_owned()).filter(|v| !v.is_empty())
}

fn numbers(v: &str) -> Vec<u64> {
    v.trim_start_matches('v')
        .split('.')
        .map(|p| p.parse::<u64>().unwrap_or(0))
        .collect()
}

fn compare(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (numbers(a), numbers(b));
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return x.cmp(&y);
        }
    }
    std::cmp::Ordering::Equal
}

/// Node's LTS code names and their major versions.
const NODE_LTS: &[(&str, &str)] = &[
    ("argon", "4"),
    ("boron", "6"),
    ("carbon", "8"),
    ("dubnium", "10"),
    ("erbium", "12"),
    ("fermium", "14"),
    ("gallium", "16"),
    ("hydrogen", "18"),
    ("iron", "20"),
    ("jod", "22"),
    ("krypton", "24"),
];

/// Whether `version` satisfies `spec` as the setup actions read it: a prefix (`1.22`, `20`,
/// `3.x`), comparators joined by spaces or commas (`>=3.10 <3.13`), `^`/`~` ranges, Node's
/// `lts/*` and `lts/<name>`, or `latest`/`stable`/`node`/empty for anything.
pub(crate) fn version_matches(spec: &str, version: &str) -> bool {
    let spec = spec.trim();
    let lower = spec.to_ascii_lowercase();
    if lower.is_empty()
        || matches!(
            lower.as_str(),
            "latest" | "stable" | "node" | "current" | "x" | "*"
        )
    {
        return true;
    }
    if let Some(name) = lower.strip_prefix("lts/") {
        let major = numbers(version)[0];
        return match name {
            "*" => major.is_multiple_of(2) && major >= 4,
            _ => NODE_LTS
                .iter()
                .find(|(n, _)| *n == name)
                .is_some_and(|(_, m)| major.to_string() == *m),
        };
    }
    spec.split([' ', ','])
        .filter(|p| !p.is_empty())
        .all(|part| {
            let ord = |bound: &str| compare(version, bound.trim());
            if let Some(b) = part.strip_prefix(">=") {
                ord(b).is_ge()
            } else if let Some(b) = part.strip_prefix("<=") {
                ord(b).is_le()
            } else if let Some(b) = part.strip_prefix('>') {
                ord(b).is_gt()
            } else if let Some(b) = part.strip_prefix('<') {
                ord(b).is_lt()
            } else if let Some(b) = part.strip_prefix('^') {
                ord(b).is_ge() && numbers(version)[0] == numbers(b)[0]
            } else if let Some(b) = part.strip_prefix('~') {
                // `~3.11`: 3.11 or a later patch; `~3`: any 3.x.
                let (v, b2) = (numbers(version), numbers(b));
                ord(b).is_ge() && v[0] == b2[0] && (b2.len() < 2 || v.get(1) == b2.get(1))
            } else {
                let wanted: Vec<&str> = part.trim_start_matches(['=', 'v']).split('.').collect();
                let have: Vec<&str> = version.split('.').collect();
                wanted
                    .iter()
                    .enumerate()
                    .all(|(i, w)| matches!(*w, "x" | "X" | "*") || have.get(i) == Some(w))
            }
        })
}

fn version_from_file(tool: &Tool, text: &str) -> Option<String> {
    match tool.name {
        // go.mod: the `go` directive.
        "go" => text
            .lines()
            .find_map(|l| l.trim().strip_prefix("go ").map(|v| v.trim().to_owned())),
        // .python-version, .nvmrc, .java-version, .tool-versions' first entry for the tool.
        _ => text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                let l = l
                    .strip_prefix(tool.name)
                    .or_else(|| l.strip_prefix("nodejs"))
                    .map_or(l, str::trim);
                l.trim_start_matches('v').to_owned()
            }),
    }
}

pub(super) async fn run<E: Executor>(
    ctx: &StepContext<'_, E>,
    tool: &Tool,
) -> Result<ActionResult, String> {
    let file = ctx
        .with
        .get(tool.file_input)
        .filter(|v| !v.is_empty())
        .cloned()
        .or_else(|| {
            tool.default_file
                .filter(|_| ctx.with.get(tool.input).is_none_or(|v| v.is_empty()))
                .filter(|f| absolute(ctx.workspace, f).is_file())
                .map(str::to_owned)
        });
    let spec = match (ctx.with.get(tool.input).filter(|v| !v.is_empty()), file) {
        (Some(v), _) => v.lines().next().unwrap_or_default().trim().to_owned(),
        (None, Some(file)) => {
            let path = absolute(ctx.workspace, &file);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read `{file}` for `{}`: {e}", tool.file_input))?;
            version_from_file(tool, &text).ok_or_else(|| {
                format!("`{file}` does not say which {} version to use", tool.name)
            })?
        }
        (None, None) => String::new(),
    };
    let tool_cache = ctx.shared.req.cache_dir.join("tools");
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let path = std::env::var_os("PATH");
    let found = candidates(
        tool,
        &tool_cache,
        home.as_deref(),
        Path::new("/"),
        path.as_deref(),
        &|name: &str| std::env::var_os(name),
    );

    // The highest version that matches; with no spec, the first that runs (the one on PATH
    // wins over others only by coming first among equals).
    let mut seen = Vec::new();
    let mut best: Option<(String, Candidate)> = None;
    for candidate in found {
        let Ok(out) = tokio::process::Command::new(&candidate.program)
            .args(tool.version_args)
            .output()
            .await
        else {
            continue;
        };
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let Some(version) = version_in(&text) else {
            continue;
        };
        seen.push(format!("{version} at {}", candidate.program.display()));
        let better = best
            .as_ref()
            .is_none_or(|(b, _)| !spec.is_empty() && compare(&version, b).is_gt());
        if version_matches(&spec, &version) && better {
            best = Some((version, candidate));
        }
    }
    let Some((version, candidate)) = best else {
        let found = if seen.is_empty() {
            format!("no `{}` was found", tool.program)
        } else {
            format!("found {}", seen.join(", "))
        };
        return Err(format!(
            "no {} matching `{}` on this machine ({found}); install it (a version manager's \
             install is found too), or unpack it under `{}/<version>/bin`",
            tool.name,
            if spec.is_empty() { "any" } else { &spec },
            tool_cache.join(tool.name).display()
        ));
    };
    let bin = match &candidate.bin {
        Some(bin) => bin.clone(),
        None => link_versioned(ctx, tool, &candidate.program, &version)?,
    };
    ctx.shared.log(
        ctx.key,
        Some(ctx.index),
        &format!(
            "Using {} {version} from {}",
            tool.name,
            candidate.program.display()
        ),
    );
    let mut result = ActionResult::with_outputs(vec![(tool.output, version.clone())]);
    result.paths.push(bin.to_string_lossy().into_owned());
    let root = bin.parent().unwrap_or(&bin).to_string_lossy().into_owned();
    match tool.name {
        "java" => {
            result.env.push(("JAVA_HOME".into(), root.clone()));
            result.outputs.push(("path".into(), root));
        }
        "python" => {
            result.env.push(("pythonLocation".into(), root));
            result.outputs.push((
                "python-path".into(),
                candidate.program.to_string_lossy().into_owned(),
            ));
        }
        "go" => result.env.push(("GOTOOLCHAIN".into(), "local".into())),
        _ => {}
    }
    Ok(result)
}

/// A directory with `python` and `python3` linked to a versioned program such as
/// `/usr/bin/python3.11`, so that putting it first on `PATH` selects that version.
fn link_versioned<E: Executor>(
    ctx: &StepContext<'_, E>,
    tool: &Tool,
    program: &Path,
    version: &str,
) -> Result<PathBuf, String> {
    let dir = ctx
        .shared
        .req
        .work_dir
        .join("_tool-links")
        .join(format!("{}-{version}", tool.name))
        .join("bin");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    for name in ["python", "python3"] {
        let link = dir.join(name);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(program, &link)
            .map_err(|e| format!("cannot link `{}`: {e}", link.display()))?;
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::{Candidate, GO, JAVA, NODE, PYTHON, candidates, version_in, version_matches};

    #[test]
    fn reads_versions_from_tool_output() {
        assert_eq!(
            version_in("go version go1.22.5 linux/amd64").as_deref(),
            Some("1.22.5")
        );
        assert_eq!(version_in("v20.20.2").as_deref(), Some("20.20.2"));
        assert_eq!(version_in("Python 3.11.7").as_deref(), Some("3.11.7"));
        assert_eq!(
            version_in("openjdk version \"17.0.15\" 2025-04-15").as_deref(),
            Some("17.0.15")
        );
        assert_eq!(version_in("no digits"), None);
    }

    #[test]
    fn matches_version_specs_like_the_setup_actions() {
        let yes = [
            ("1.22", "1.22.5"),
            ("20", "20.20.2"),
            ("v20.x", "20.20.2"),
            ("3.x", "3.11.7"),
            (">=3.10", "3.11.7"),
            (">=3.9 <3.12", "3.11.7"),
            (">=3.9, <3.12", "3.9.0"),
            ("latest", "1.0"),
            ("", "1.0"),
            ("^17", "17.0.15"),
            ("^3.10", "3.12.1"),
            ("~3.11", "3.11.9"),
            ("lts/*", "20.20.2"),
            ("lts/iron", "20.20.2"),
            ("LTS/Hydrogen", "18.19.0"),
        ];
        let no = [
            ("1.22", "1.21.9"),
            ("1.2", "1.22.5"),
            (">=3.12", "3.11.7"),
            (">=3.9 <3.12", "3.12.0"),
            ("^3.10", "3.9.9"),
            ("~3.11", "3.12.0"),
            ("lts/*", "21.7.3"),
            ("lts/iron", "18.19.0"),
            ("lts/nonsense", "20.1.0"),
        ];
        for (spec, v) in yes {
            assert!(version_matches(spec, v), "{spec} ~ {v}");
        }
        for (spec, v) in no {
            assert!(!version_matches(spec, v), "{spec} !~ {v}");
        }
    }

    fn program(path: &std::path::Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn finds_version_managers_and_system_installs() {
        let t = tempfile::tempdir().unwrap();
        let (home, root, cache) = (
            t.path().join("home"),
            t.path().join("root"),
            t.path().join("cache"),
        );
        for p in [
            "home/.pyenv/versions/3.9.18/bin/python3",
            "home/.asdf/installs/python/3.12.1/bin/python3",
            "home/.nvm/versions/node/v18.20.4/bin/node",
            "home/.local/share/mise/installs/node/22.1.0/bin/node",
            "home/sdk/go1.21.13/bin/go",
            "home/.asdf/installs/golang/1.20.1/go/bin/go",
            "root/usr/lib/go-1.22/bin/go",
            "root/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
            "root/usr/bin/python3.11",
            "root/usr/bin/python3.11-config",
            "cache/go/1.23.0/x64/bin/go",
        ] {
            program(&t.path().join(p));
        }
        let found = |tool| {
            candidates(tool, &cache, Some(&home), &root, None, &|_| None)
                .into_iter()
                .map(|Candidate { program, bin }| {
                    (
                        program
                            .strip_prefix(t.path())
                            .unwrap()
                            .display()
                            .to_string(),
                        bin.is_some(),
                    )
                })
                .collect::<Vec<_>>()
        };
        let s = |p: &str, on_path: bool| (p.to_owned(), on_path);
        assert_eq!(
            found(&PYTHON),
            [
                s("home/.pyenv/versions/3.9.18/bin/python3", true),
                s("home/.asdf/installs/python/3.12.1/bin/python3", true),
                s("root/usr/bin/python3.11", false),
            ]
        );
        assert_eq!(
            found(&NODE),
            [
                s("home/.nvm/versions/node/v18.20.4/bin/node", true),
                s("home/.local/share/mise/installs/node/22.1.0/bin/node", true),
            ]
        );
        assert_eq!(
            found(&GO),
            [
                s("cache/go/1.23.0/x64/bin/go", true),
                s("home/.asdf/installs/golang/1.20.1/go/bin/go", true),
                s("home/sdk/go1.21.13/bin/go", true),
                s("root/usr/lib/go-1.22/bin/go", true),
            ]
        );
        assert_eq!(
            found(&JAVA),
            [s("root/usr/lib/jvm/java-17-openjdk-amd64/bin/java", true)]
        );
    }
}
