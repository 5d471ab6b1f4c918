//! `needs:` must name existing jobs, not the job itself, and never form a cycle; at least one
//! job must need nothing. The graph is walked as GitHub's parser walks it (jobs start once
//! everything they need has finished), and each dependency inside a cycle is reported where
//! it is written, so every job of the cycle carries the error.

use hoist_diagnostics::Diagnostic;

use super::RuleContext;
use crate::suggest::did_you_mean;

pub(super) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let jobs = &ctx.workflow.jobs;
    for job in jobs.values() {
        for need in &job.needs {
            if need.value == job.id {
                out.push(
                    Diagnostic::error(
                        "needs-cycle",
                        need.span,
                        format!("job `{}` needs itself", job.id),
                    )
                    .with_hint("a job cannot wait for its own result; remove it from `needs`"),
                );
            } else if !jobs.contains_key(&need.value) {
                let mut d = Diagnostic::error(
                    "needs-unknown-job",
                    need.span,
                    format!(
                        "job `{}` needs `{}`, which does not exist",
                        job.id, need.value
                    ),
                );
                if let Some(s) = did_you_mean(&need.value, jobs.keys().map(String::as_str)) {
                    d = d.with_hint(format!("did you mean `{s}`?"));
                }
                out.push(d);
            }
        }
    }
    if jobs.is_empty() {
        return;
    }
    if jobs.values().all(|j| !j.needs.is_empty()) {
        out.push(
            Diagnostic::error(
                "needs-cycle",
                ctx.workflow.jobs_span,
                "every job needs another one, so none can start",
            )
            .with_hint("the workflow must contain at least one job with no `needs`"),
        );
    }

    // Start what needs nothing, then whatever all its needs have finished (unknown jobs are
    // reported above and do not hold anything back here).
    let ids: Vec<&str> = jobs.keys().map(String::as_str).collect();
    let index = |name: &str| ids.iter().position(|id| *id == name);
    let mut waiting: Vec<Vec<usize>> = jobs
        .values()
        .map(|j| j.needs.iter().filter_map(|n| index(&n.value)).collect())
        .collect();
    let mut done = vec![false; ids.len()];
    let mut ready: Vec<usize> = (0..ids.len()).filter(|&i| waiting[i].is_empty()).collect();
    while let Some(finished) = ready.pop() {
        done[finished] = true;
        for (i, needs) in waiting.iter_mut().enumerate() {
            if done[i] || needs.is_empty() {
                continue;
            }
            needs.retain(|&n| n != finished);
            if needs.is_empty() {
                ready.push(i);
            }
        }
    }
    // What never starts is in a cycle or waits for one; only the edges of a cycle (the job
    // needed can reach back to the one needing it) are the mistake to show.
    for (i, job) in jobs.values().enumerate() {
        if done[i] {
            continue;
        }
        for need in &job.needs {
            let Some(target) = index(&need.value).filter(|&t| t != i) else {
                continue;
            };
            let Some(path) = path_between(ctx, &ids, target, i) else {
                continue;
            };
            let mut names: Vec<String> = std::iter::once(i)
                .chain(path)
                .map(|n| format!("`{}`", ids[n]))
                .collect();
            names.dedup();
            out.push(
                Diagnostic::error(
                    "needs-cycle",
                    need.span,
                    format!(
                        "job `{}` needs `{}`, which creates a dependency cycle: {}",
                        job.id,
                        need.value,
                        names.join(" → ")
                    ),
                )
                .with_hint("remove one of these `needs` so the jobs can run in order"),
            );
        }
    }
}

/// The jobs from `from` to `to` along `needs` (both ends included), if `to` can be reached.
fn path_between(ctx: &RuleContext<'_>, ids: &[&str], from: usize, to: usize) -> Option<Vec<usize>> {
    let mut previous: Vec<Option<usize>> = vec![None; ids.len()];
    let mut seen = vec![false; ids.len()];
    let mut queue = std::collections::VecDeque::from([from]);
    seen[from] = true;
    while let Some(n) = queue.pop_front() {
        if n == to {
            let mut path = vec![to];
            let mut at = to;
            while let Some(p) = previous[at] {
                path.push(p);
                at = p;
            }
            path.reverse();
            return Some(path);
        }
        for need in &ctx.workflow.jobs[ids[n]].needs {
            if let Some(next) = ids.iter().position(|id| *id == need.value)
                && !seen[next]
            {
                seen[next] = true;
                previous[next] = Some(n);
                queue.push_back(next);
            }
        }
    }
    None
}
