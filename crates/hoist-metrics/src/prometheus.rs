//! A [`Summary`] in Prometheus' text exposition format (version 0.0.4), for a textfile
//! collector or a push gateway. Durations are in seconds as Prometheus' conventions ask;
//! each metric family is written whole, with its `# HELP` and `# TYPE` lines.

use std::fmt::Write;

use crate::summary::{Durations, Group, Summary};

/// Renders `summary`.
pub fn render(summary: &Summary) -> String {
    let mut out = String::new();
    let families: [(&str, &[Group], &[&str]); 3] = [
        ("workflow", &summary.workflows, &["workflow"]),
        ("job", &summary.jobs, &["workflow", "job"]),
        ("service", &summary.services, &["service"]),
    ];
    for (subject, groups, label_names) in families {
        if groups.is_empty() {
            continue;
        }
        let labels = |g: &Group| -> Vec<(&str, String)> {
            label_names
                .iter()
                .map(|name| {
                    let value = match *name {
                        "workflow" => g.workflow.clone(),
                        "job" => g.job.clone(),
                        _ => g.service.clone(),
                    };
                    (*name, value.unwrap_or_default())
                })
                .collect()
        };
        family(
            &mut out,
            &format!("hoist_{subject}_runs"),
            "gauge",
            &format!(
                "{} runs in the window, by conclusion.",
                capitalised(subject)
            ),
        );
        for g in groups {
            let counts = [
                ("success", g.success),
                ("failure", g.failure),
                ("cancelled", g.cancelled),
                ("other", g.other),
            ];
            split_by(
                &mut out,
                &format!("hoist_{subject}_runs"),
                &labels(g),
                "conclusion",
                counts,
            );
        }
        family(
            &mut out,
            &format!("hoist_{subject}_success_ratio"),
            "gauge",
            &format!("Share of {subject} runs in the window that succeeded."),
        );
        for g in groups {
            sample(
                &mut out,
                &format!("hoist_{subject}_success_ratio"),
                &labels(g),
                g.success_rate,
            );
        }
        let timed: Vec<(&Group, &Durations)> = groups
            .iter()
            .filter_map(|g| g.duration.as_ref().map(|d| (g, d)))
            .collect();
        summary_family(
            &mut out,
            &format!("hoist_{subject}_duration_seconds"),
            &format!("Duration of {subject} runs in the window (nearest-rank quantiles)."),
            timed.iter().map(|(g, d)| (labels(g), *d)),
        );
        let tested: Vec<&Group> = groups.iter().filter(|g| g.tests.is_some()).collect();
        if !tested.is_empty() {
            family(
                &mut out,
                &format!("hoist_{subject}_tests"),
                "gauge",
                &format!("Tests reported by {subject} runs in the window (JUnit XML), by result."),
            );
            for g in tested {
                let t = g.tests.unwrap_or_default();
                let counts = [
                    ("passed", t.passed),
                    ("failed", t.failed),
                    ("skipped", t.skipped),
                ];
                split_by(
                    &mut out,
                    &format!("hoist_{subject}_tests"),
                    &labels(g),
                    "result",
                    counts,
                );
            }
        }
    }
    if !summary.slowest_steps.is_empty() {
        summary_family(
            &mut out,
            "hoist_step_duration_seconds",
            "Duration of the slowest steps in the window (nearest-rank quantiles).",
            summary.slowest_steps.iter().map(|s| {
                (
                    vec![
                        ("workflow", s.workflow.clone()),
                        ("job", s.job.clone()),
                        ("step", s.step.clone()),
                    ],
                    &s.duration,
                )
            }),
        );
    }
    if !summary.flaky_jobs.is_empty() {
        family(
            &mut out,
            "hoist_job_flaky_commits",
            "gauge",
            "Commits on which the job failed and then passed on a rerun, in the window.",
        );
        for f in &summary.flaky_jobs {
            sample(
                &mut out,
                "hoist_job_flaky_commits",
                &[("workflow", f.workflow.clone()), ("job", f.job.clone())],
                f.flaky_commits as f64,
            );
        }
    }
    out
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn summary_family<'a>(
    out: &mut String,
    name: &str,
    help: &str,
    items: impl Iterator<Item = (Vec<(&'a str, String)>, &'a Durations)>,
) {
    let items: Vec<_> = items.collect();
    if items.is_empty() {
        return;
    }
    family(out, name, "summary", help);
    for (labels, d) in &items {
        for (quantile, ms) in [("0.5", d.p50_ms), ("0.95", d.p95_ms), ("1", d.max_ms)] {
            let mut l = labels.clone();
            l.push(("quantile", quantile.to_owned()));
            sample(out, name, &l, ms as f64 / 1000.0);
        }
        sample(
            out,
            &format!("{name}_sum"),
            labels,
            d.sum_ms as f64 / 1000.0,
        );
        sample(out, &format!("{name}_count"), labels, d.count as f64);
    }
}

/// One sample per `(value, count)`, each with `labels` plus `label="value"`.
fn split_by<const N: usize>(
    out: &mut String,
    name: &str,
    labels: &[(&str, String)],
    label: &'static str,
    counts: [(&str, u64); N],
) {
    for (value, n) in counts {
        let mut l = labels.to_vec();
        l.push((label, value.to_owned()));
        sample(out, name, &l, n as f64);
    }
}

fn sample(out: &mut String, name: &str, labels: &[(&str, String)], value: f64) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{k}=\"{}\"", escape_label(v));
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

/// Label values escape backslash, double quote and newline.
fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Help text escapes backslash and newline.
fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}
