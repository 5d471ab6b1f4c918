//! Test counts of a step, from the JUnit XML it wrote: any file in `$HOIST_TEST_RESULTS` (a
//! directory of the job's, emptied after each step), and files in the workspace matching a
//! `HOIST_JUNIT` glob (from `hoist.toml` or the step's environment) that the step modified.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use globset::{Glob, GlobSetBuilder};
use hoist_metrics::TestCounts;

/// The job's test-results directory, below `RUNNER_TEMP`.
pub(crate) fn results_dir(temp: &Path) -> PathBuf {
    temp.join("_test_results")
}

/// What a step's reports add up to, and one message per file that could not be read.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub(crate) counts: Option<TestCounts>,
    pub(crate) problems: Vec<String>,
}

/// Reads the reports a step produced. `globs` are relative to `workspace`; only files
/// modified at or after `since` count, so a report left by an earlier step is not counted
/// twice. `seen` is the results directory's modification time after the previous step's
/// collection: while it is unchanged nothing was added, and one `stat` replaces reading
/// the directory (most steps write no report).
pub(crate) fn collect(
    results: &Path,
    seen: &mut Option<SystemTime>,
    workspace: &Path,
    globs: &[String],
    since: SystemTime,
) -> Collected {
    let mut out = Collected::default();
    let mut files = Vec::new();
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let now = modified(results);
    // Whole-second times come from file systems too coarse to tell a change from none.
    let coarse = now
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .is_none_or(|d| d.subsec_nanos() == 0);
    if (coarse || now != *seen)
        && let Ok(entries) = std::fs::read_dir(results)
    {
        for e in entries.flatten() {
            let path = e.path();
            if path.is_file() {
                files.push((path, true));
            } else if path.is_dir() {
                let _ = std::fs::remove_dir_all(&path);
            }
        }
    }
    if !globs.is_empty() {
        match matching_files(workspace, globs, since) {
            Ok(found) => files.extend(found.into_iter().map(|p| (p, false))),
            Err(problem) => out.problems.push(problem),
        }
    }
    files.sort();
    for (path, remove) in files {
        let shown = path
            .strip_prefix(workspace)
            .unwrap_or(&path)
            .display()
            .to_string();
        match std::fs::read_to_string(&path) {
            Ok(xml) => match hoist_metrics::junit::parse(&xml) {
                Ok(c) => out.counts.get_or_insert_with(TestCounts::default).add(c),
                Err(e) => out.problems.push(format!("test report `{shown}`:{e}")),
            },
            Err(e) => out
                .problems
                .push(format!("cannot read test report `{shown}`: {e}")),
        }
        if remove {
            let _ = std::fs::remove_file(&path);
        }
    }
    *seen = modified(results);
    out
}

/// Files below `workspace` matching any of `globs`, modified at or after `since`. Only the
/// directories under each glob's literal prefix are walked.
fn matching_files(
    workspace: &Path,
    globs: &[String],
    since: SystemTime,
) -> Result<Vec<PathBuf>, String> {
    let mut builder = GlobSetBuilder::new();
    let mut roots = Vec::new();
    for g in globs {
        let glob = Glob::new(g).map_err(|e| format!("invalid HOIST_JUNIT glob `{g}`: {e}"))?;
        builder.add(glob);
        let literal: PathBuf = Path::new(g)
            .components()
            .take_while(|c| {
                !c.as_os_str()
                    .to_string_lossy()
                    .contains(['*', '?', '[', '{'])
            })
            .collect();
        roots.push(workspace.join(literal));
    }
    let set = builder
        .build()
        .map_err(|e| format!("invalid HOIST_JUNIT glob: {e}"))?;
    roots.sort();
    roots.dedup();
    let mut found = Vec::new();
    let mut stack = roots;
    while let Some(p) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            if p.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if let Ok(entries) = std::fs::read_dir(&p) {
                stack.extend(entries.flatten().map(|e| e.path()));
            }
        } else if meta.is_file()
            && meta.modified().is_ok_and(|m| m >= since)
            && p.strip_prefix(workspace).is_ok_and(|rel| set.is_match(rel))
        {
            found.push(p);
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}
