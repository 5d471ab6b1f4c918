//! `needs:` must name existing jobs, not the job itself, and never form a cycle.

use hoist_diagnostics::Diagnostic;

use super::RuleContext;
use crate::suggest::did_you_mean;

pub(super) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let jobs = &ctx.workflow.jobs;
    for job in jobs.values() {
        for need in &job.needs {
            if need.value == job.id {
                out.push(Diagnostic::error(
                    "needs-cycle",
                    need.span,
                    format!("job `{}` needs itself", job.id),
                ));
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
    // Depth-first search for cycles; each cycle is reported once, at the edge that closes it.
    let ids: Vec<&str> = jobs.keys().map(String::as_str).collect();
    let mut state = vec![0u8; ids.len()]; // 0 new, 1 on stack, 2 done
    let mut stack: Vec<usize> = Vec::new();
    for start in 0..ids.len() {
        visit(ctx, &ids, start, &mut state, &mut stack, out);
    }
}

fn visit(
    ctx: &RuleContext<'_>,
    ids: &[&str],
    node: usize,
    state: &mut [u8],
    stack: &mut Vec<usize>,
    out: &mut Vec<Diagnostic>,
) {
    if state[node] != 0 {
        return;
    }
    state[node] = 1;
    stack.push(node);
    let job = &ctx.workflow.jobs[ids[node]];
    for need in &job.needs {
        let Some(next) = ids.iter().position(|id| *id == need.value) else {
            continue;
        };
        if next == node {
            continue;
        }
        match state[next] {
            0 => visit(ctx, ids, next, state, stack, out),
            1 => {
                let from = stack.iter().position(|n| *n == next).unwrap_or(0);
                let mut names: Vec<String> = stack[from..]
                    .iter()
                    .map(|n| format!("`{}`", ids[*n]))
                    .collect();
                names.push(format!("`{}`", ids[next]));
                out.push(
                    Diagnostic::error(
                        "needs-cycle",
                        need.span,
                        format!("jobs form a dependency cycle: {}", names.join(" → ")),
                    )
                    .with_hint("remove one of these `needs` so the jobs can run in order"),
                );
            }
            _ => {}
        }
    }
    stack.pop();
    state[node] = 2;
}
