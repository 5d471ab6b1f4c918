//! `runs-on` labels that no runner has leave the job waiting for one until it times out: on
//! GitHub for a day, here it would be skipped or fail. A label is known when GitHub hosts
//! images by that name, when it is a self-hosted runner's default label, or when the project
//! lists it in `[runner] labels`. A `runs-on` with `self-hosted` or a runner group names the
//! project's own machines, whose labels only the project knows, so it is left alone.

use hoist_diagnostics::Diagnostic;
use hoist_yaml::{Node, NodeKind};

use super::RuleContext;
use crate::lower::is_expression;
use crate::suggest::did_you_mean;

/// GitHub-hosted runner images, by label.
const GITHUB_HOSTED: &[&str] = &[
    "ubuntu-latest",
    "ubuntu-24.04",
    "ubuntu-22.04",
    "ubuntu-slim",
    "ubuntu-24.04-arm",
    "ubuntu-22.04-arm",
    "windows-latest",
    "windows-2025",
    "windows-2022",
    "windows-11-arm",
    "macos-latest",
    "macos-26",
    "macos-15",
    "macos-14",
    "macos-13",
    "macos-15-intel",
    "macos-latest-large",
    "macos-15-large",
    "macos-14-large",
    "macos-13-large",
    "macos-latest-xlarge",
    "macos-15-xlarge",
    "macos-14-xlarge",
    "macos-13-xlarge",
];

/// Images GitHub has retired: jobs asking for them no longer find a runner.
const RETIRED: &[&str] = &[
    "ubuntu-18.04",
    "ubuntu-20.04",
    "windows-2016",
    "windows-2019",
    "macos-10.15",
    "macos-11",
    "macos-12",
];

/// The labels every self-hosted runner has.
const SELF_HOSTED: &[&str] = &[
    "self-hosted",
    "linux",
    "windows",
    "macos",
    "x64",
    "arm",
    "arm64",
];

pub(super) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for job in ctx.workflow.jobs.values() {
        let Some(runs_on) = &job.runs_on else {
            continue;
        };
        let labels: Vec<&Node> = match &runs_on.kind {
            NodeKind::Scalar(_) => vec![runs_on],
            NodeKind::Sequence(items) => items.iter().collect(),
            NodeKind::Mapping(_) => {
                if runs_on.get("group").is_some() {
                    continue;
                }
                match runs_on.get("labels") {
                    Some(l) if l.as_sequence().is_some() => {
                        l.as_sequence().unwrap_or_default().iter().collect()
                    }
                    Some(l) => vec![l],
                    None => continue,
                }
            }
        };
        let texts: Vec<&str> = labels.iter().filter_map(|l| l.as_str()).collect();
        if texts.iter().any(|t| t.eq_ignore_ascii_case("self-hosted")) {
            continue;
        }
        for label in labels {
            let Some(text) = label.as_str() else { continue };
            if is_expression(label) || known(ctx, text) {
                continue;
            }
            let message = if RETIRED.iter().any(|r| r.eq_ignore_ascii_case(text)) {
                format!("GitHub has retired the `{text}` image; no runner picks up this job")
            } else {
                format!("no GitHub-hosted or configured runner has the label `{text}`")
            };
            let hint = match did_you_mean(text, GITHUB_HOSTED.iter().copied()) {
                Some(s) if !RETIRED.contains(&text) => format!("did you mean `{s}`?"),
                _ if RETIRED.contains(&text) => "move to a current image, e.g. `ubuntu-latest`".to_owned(),
                _ => "for your own machines add `self-hosted`, or list the label in `[runner] labels` of hoist.toml".to_owned(),
            };
            out.push(
                Diagnostic::warning("unknown-runner-label", label.span, message).with_hint(hint),
            );
        }
    }
}

fn known(ctx: &RuleContext<'_>, label: &str) -> bool {
    GITHUB_HOSTED
        .iter()
        .chain(SELF_HOSTED)
        .any(|k| k.eq_ignore_ascii_case(label))
        || ctx
            .options
            .runner_labels
            .iter()
            .any(|k| k.eq_ignore_ascii_case(label))
}
