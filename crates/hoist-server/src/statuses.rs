//! Commit statuses and required checks. A commit's statuses are read from the runs of it
//! (its own runs, and those of pull requests whose head it is): one per workflow
//! (`CI`) and one per job (`CI / Lint`, `CI / Test (linux)`), the newest run of a workflow
//! and event deciding, as GitHub shows a commit's checks. Nothing is stored twice: what
//! the API answers, the badge shows and branch protection judges is the run history.

use hoist_store::{Protection, RunFilter, RunRow};
use serde::{Deserialize, Serialize};

use crate::state::SharedState;

/// One status of a commit, in GitHub's terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitStatus {
    /// `Workflow` or `Workflow / job`.
    pub context: String,
    /// `pending`, `success`, `failure` or `error`.
    pub state: String,
    pub description: String,
    pub target_url: String,
    pub run_id: i64,
    /// The job's conclusion (`success`, `failure`, `cancelled`, `skipped`, ...), once it
    /// has one.
    pub conclusion: Option<String>,
    /// The event of the run it comes from.
    pub event: String,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

/// GitHub's state for a run's or job's status and conclusion.
fn state_of(status: &str, conclusion: Option<&str>) -> &'static str {
    if status != "completed" {
        return "pending";
    }
    match conclusion {
        Some("success" | "skipped" | "neutral") => "success",
        Some("failure" | "timed_out" | "startup_failure") => "failure",
        _ => "error",
    }
}

fn described(state: &str, conclusion: Option<&str>) -> String {
    match (state, conclusion) {
        ("pending", _) => "in progress".to_owned(),
        (_, Some(c)) => c.replace('_', " "),
        _ => state.to_owned(),
    }
}

/// The statuses of commit `sha` in `repo`, newest context first as GitHub lists them.
pub(crate) fn of_commit(
    state: &SharedState,
    repo: &str,
    sha: &str,
) -> Result<Vec<CommitStatus>, hoist_store::StoreError> {
    let runs = state.store().list_runs(&RunFilter {
        repo: Some(repo.to_owned()),
        sha: Some(sha.to_owned()),
        limit: 1000,
        ..RunFilter::default()
    })?;
    let base = state.base_url();
    let mut out: Vec<CommitStatus> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    // Newest first: the latest run of a workflow decides its contexts.
    for run in &runs {
        if !seen.insert((run.workflow_path.clone(), run.event.clone())) {
            continue;
        }
        let run_state = state_of(&run.status, run.conclusion.as_deref());
        let url = format!("{base}/runs/{}", run.id);
        let jobs = state.store().jobs(run.id)?;
        push_unique(
            &mut out,
            CommitStatus {
                context: run.workflow_name.clone(),
                state: run_state.to_owned(),
                description: described(run_state, run.conclusion.as_deref()),
                target_url: url.clone(),
                run_id: run.id,
                conclusion: run.conclusion.clone(),
                event: run.event.clone(),
                started_at: run.started_at,
                finished_at: run.finished_at,
            },
        );
        for job in jobs {
            let job_state = state_of(&job.status, job.conclusion.as_deref());
            push_unique(
                &mut out,
                CommitStatus {
                    context: format!("{} / {}", run.workflow_name, job.name),
                    state: job_state.to_owned(),
                    description: described(job_state, job.conclusion.as_deref()),
                    target_url: url.clone(),
                    run_id: run.id,
                    conclusion: job.conclusion.clone(),
                    event: run.event.clone(),
                    started_at: job.started_at,
                    finished_at: job.finished_at,
                },
            );
        }
    }
    Ok(out)
}

/// Adds `status` unless a newer one of its context is there (two events of one workflow,
/// `push` and `pull_request`, report the same contexts; the newer run wins).
fn push_unique(out: &mut Vec<CommitStatus>, status: CommitStatus) {
    if !out.iter().any(|s| s.context == status.context) {
        out.push(status);
    }
}

/// GitHub's combined state: `failure` if any status failed or errored, else `pending` if
/// any is pending or there are none, else `success`.
pub(crate) fn combined(statuses: &[CommitStatus]) -> &'static str {
    if statuses
        .iter()
        .any(|s| s.state == "failure" || s.state == "error")
    {
        "failure"
    } else if statuses.is_empty() || statuses.iter().any(|s| s.state == "pending") {
        "pending"
    } else {
        "success"
    }
}

/// Whether `text` matches `pattern`, in which `*` stands for any text.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// The checks `branch` requires: those of every protection whose pattern matches it.
pub(crate) fn required(protections: &[Protection], branch: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in protections.iter().filter(|p| glob(&p.branch, branch)) {
        for r in &p.require {
            if !out.contains(r) {
                out.push(r.clone());
            }
        }
    }
    out
}

/// Whether `branch` is protected at all.
pub(crate) fn is_protected(protections: &[Protection], branch: &str) -> bool {
    protections.iter().any(|p| glob(&p.branch, branch))
}

/// What keeps a commit with `statuses` from satisfying `required`: one sentence per
/// required check that is missing, pending or not green. Empty: every one is green.
pub(crate) fn unmet(required: &[String], statuses: &[CommitStatus]) -> Vec<String> {
    let mut problems = Vec::new();
    for check in required {
        let matching: Vec<&CommitStatus> = statuses
            .iter()
            .filter(|s| glob(check, &s.context))
            .collect();
        if matching.is_empty() {
            problems.push(format!("`{check}` has not run"));
            continue;
        }
        for s in matching {
            if s.state != "success" {
                problems.push(format!("`{}` is {} ({})", s.context, s.state, s.target_url));
            }
        }
    }
    problems
}

/// The badge of the newest completed run of `runs` (newest first): an SVG with the
/// workflow's name and its result.
pub(crate) fn badge(label: &str, runs: &[RunRow]) -> String {
    let newest = runs.iter().find(|r| r.status == "completed");
    let (text, color) = match newest.and_then(|r| r.conclusion.as_deref()) {
        Some("success") => ("passing", "#4c1"),
        Some("failure") => ("failing", "#e05d44"),
        Some("cancelled") => ("cancelled", "#9f9f9f"),
        Some(other) => (other, "#dfb317"),
        None if runs.is_empty() => ("no runs", "#9f9f9f"),
        None => ("running", "#dfb317"),
    };
    // Widths from a fixed advance per character: close enough for the 11px sans-serif
    // badges use, and the same on every machine.
    let width = |s: &str| 10 + 7 * s.chars().count();
    let (left, right) = (width(label), width(text));
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let (label, text) = (escape(label), escape(text));
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" aria-label="{label}: {text}">
<title>{label}: {text}</title>
<rect width="{left}" height="20" fill="#555"/>
<rect x="{left}" width="{right}" height="20" fill="{color}"/>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
<text x="{lx}" y="14">{label}</text>
<text x="{rx}" y="14">{text}</text>
</g>
</svg>
"##,
        total = left + right,
        lx = left / 2,
        rx = left + right / 2,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_matrix_legs() {
        assert!(glob("CI / Test (*)", "CI / Test (linux, 1.80)"));
        assert!(glob("CI / Lint", "CI / Lint"));
        assert!(!glob("CI / Lint", "CI / Lint (x)"));
        assert!(glob("release/*", "release/1.0"));
        assert!(!glob("release/*", "main"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "aXbYc"));
        assert!(!glob("a*b*c", "aXcYb"));
    }

    #[test]
    fn combined_state_follows_github() {
        let s = |state: &str| CommitStatus {
            context: state.to_owned(),
            state: state.to_owned(),
            description: String::new(),
            target_url: String::new(),
            run_id: 1,
            conclusion: None,
            event: "push".to_owned(),
            started_at: None,
            finished_at: None,
        };
        assert_eq!(combined(&[]), "pending");
        assert_eq!(combined(&[s("success")]), "success");
        assert_eq!(combined(&[s("success"), s("pending")]), "pending");
        assert_eq!(combined(&[s("pending"), s("error")]), "failure");
        let problems = unmet(
            &["success".to_owned(), "missing".to_owned()],
            &[s("success")],
        );
        assert_eq!(problems, ["`missing` has not run"]);
    }
}
