//! Showing a run as it happens: plain prefixed lines (`[build (api)] | output`) when output is
//! not a terminal or `CI` is set, a live tree of jobs with spinners in a terminal.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use hoist_engine::{Conclusion, Observer, RunEvent};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// Forwards every event to several observers.
pub(crate) struct Fanout(pub(crate) Vec<std::sync::Arc<dyn Observer>>);

impl Observer for Fanout {
    fn on_event(&self, event: &RunEvent) {
        for o in &self.0 {
            o.on_event(event);
        }
    }
}

/// One finished job, for the summary table.
#[derive(Clone, Debug)]
pub(crate) struct JobLine {
    pub(crate) name: String,
    pub(crate) result: Conclusion,
    pub(crate) duration: Duration,
    /// Why it did not run on this machine (another platform, a container), if so.
    pub(crate) not_here: Option<String>,
}

pub(crate) struct TerminalView {
    verbosity: Verbosity,
    live: Option<MultiProgress>,
    state: Mutex<ViewState>,
}

#[derive(Default)]
struct ViewState {
    bars: HashMap<String, ProgressBar>,
    /// The last lines of each running step, shown when it fails in live mode.
    tails: HashMap<(String, usize), Vec<String>>,
    jobs: Vec<JobLine>,
    /// Reasons given by `JobNotRunHere`, until the job's `JobFinished`.
    not_here: HashMap<String, String>,
}

fn result_mark(c: Conclusion) -> &'static str {
    match c {
        Conclusion::Success => "✓",
        Conclusion::Failure => "✗",
        Conclusion::Cancelled => "⊘",
        Conclusion::Skipped => "-",
    }
}

pub(crate) fn format_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1}s")
    } else {
        format!("{}m{:02}s", (s / 60.0) as u64, (s % 60.0) as u64)
    }
}

impl TerminalView {
    pub(crate) fn new(verbosity: Verbosity) -> Self {
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
        let live = (verbosity != Verbosity::Quiet && !ci && std::io::stdout().is_terminal())
            .then(MultiProgress::new);
        Self {
            verbosity,
            live,
            state: Mutex::new(ViewState::default()),
        }
    }

    /// Finished jobs in the order they finished, then clears them for the next run.
    pub(crate) fn take_jobs(&self) -> Vec<JobLine> {
        self.state
            .lock()
            .map(|mut s| std::mem::take(&mut s.jobs))
            .unwrap_or_default()
    }

    fn print(&self, line: &str) {
        match &self.live {
            Some(mp) => {
                let _ = mp.println(line);
            }
            None => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
            }
        }
    }
}

impl Observer for TerminalView {
    fn on_event(&self, event: &RunEvent) {
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        let quiet = self.verbosity == Verbosity::Quiet;
        match event {
            RunEvent::RunStarted {
                workflow,
                workflow_path,
                run_id,
            } => {
                if !quiet {
                    drop(st);
                    self.print(&format!("▶ {workflow} ({workflow_path}), run {run_id}"));
                }
            }
            RunEvent::JobQueued { .. } | RunEvent::StepProcess { .. } => {}
            // Shown as the job's log line, which the engine sends next; kept for the summary.
            RunEvent::JobNotRunHere { job, reason } => {
                st.not_here.insert(job.id.clone(), reason.clone());
            }
            RunEvent::TestReport { job, counts, .. } => {
                if self.live.is_none() && !quiet {
                    drop(st);
                    self.print(&format!(
                        "[{}]   | hoist: tests: {} passed, {} failed, {} skipped",
                        job.name, counts.passed, counts.failed, counts.skipped
                    ));
                }
            }
            RunEvent::JobStarted { job, .. } => {
                if let Some(mp) = &self.live {
                    let bar = mp.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("{spinner} {prefix} {wide_msg} {elapsed:>4}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.set_prefix(job.name.clone());
                    bar.enable_steady_tick(Duration::from_millis(120));
                    st.bars.insert(job.id.clone(), bar);
                } else if !quiet {
                    drop(st);
                    self.print(&format!("[{}] ⏵ job started", job.name));
                }
            }
            RunEvent::StepStarted {
                job, name, index, ..
            } => {
                if let Some(bar) = st.bars.get(&job.id) {
                    bar.set_message(format!("› {name}"));
                }
                st.tails.insert((job.id.clone(), *index), Vec::new());
                if self.live.is_none() && !quiet {
                    drop(st);
                    self.print(&format!("[{}] ⭑ {name}", job.name));
                }
            }
            RunEvent::Log { job, step, line } => {
                if let Some(i) = step
                    && let Some(t) = st.tails.get_mut(&(job.id.clone(), *i))
                {
                    t.push(line.clone());
                    if t.len() > 30 {
                        t.remove(0);
                    }
                }
                let show = match (&self.live, self.verbosity) {
                    (_, Verbosity::Quiet) => false,
                    (Some(_), v) => v == Verbosity::Verbose || step.is_none(),
                    (None, _) => true,
                };
                if show {
                    drop(st);
                    self.print(&format!("[{}]   | {line}", job.name));
                }
            }
            RunEvent::Annotation {
                job, annotation, ..
            } => {
                let at = match (&annotation.file, annotation.line) {
                    (Some(f), Some(l)) => format!(" ({f}:{l})"),
                    (Some(f), None) => format!(" ({f})"),
                    _ => String::new(),
                };
                if !quiet && self.live.is_some() {
                    drop(st);
                    self.print(&format!(
                        "[{}] {}: {}{at}",
                        job.name,
                        annotation.level.as_str(),
                        annotation.message
                    ));
                }
            }
            RunEvent::StepFinished {
                job,
                index,
                name,
                conclusion,
                outcome,
                exit_code,
                duration,
                ..
            } => {
                let tail = st
                    .tails
                    .remove(&(job.id.clone(), *index))
                    .unwrap_or_default();
                if quiet {
                    return;
                }
                let detail = match (outcome, exit_code) {
                    (Conclusion::Failure, Some(code)) if *conclusion == Conclusion::Success => {
                        format!(", exit code {code}, continue-on-error")
                    }
                    (Conclusion::Failure, Some(code)) => format!(", exit code {code}"),
                    (Conclusion::Skipped, _) => ", skipped".to_owned(),
                    _ => String::new(),
                };
                let line = format!(
                    "[{}]   {} {name} ({}{detail})",
                    job.name,
                    result_mark(*conclusion),
                    format_duration(*duration)
                );
                let failed = *outcome == Conclusion::Failure;
                let live = self.live.is_some();
                drop(st);
                if live && failed && self.verbosity != Verbosity::Verbose {
                    for l in tail {
                        self.print(&format!("[{}]   | {l}", job.name));
                    }
                }
                if !live || failed {
                    self.print(&line);
                }
            }
            RunEvent::JobFinished {
                job,
                result,
                duration,
                ..
            } => {
                let not_here = st.not_here.remove(&job.id);
                st.jobs.push(JobLine {
                    name: job.name.clone(),
                    result: *result,
                    duration: *duration,
                    not_here,
                });
                if let Some(bar) = st.bars.remove(&job.id) {
                    bar.finish_and_clear();
                }
                if !quiet {
                    drop(st);
                    self.print(&format!(
                        "[{}] {} {} in {}",
                        job.name,
                        result_mark(*result),
                        result.as_str(),
                        format_duration(*duration)
                    ));
                }
            }
            RunEvent::JobRetried {
                job,
                attempt,
                reason,
            } => {
                if !quiet {
                    drop(st);
                    self.print(&format!("[{}] attempt {attempt}: {reason}", job.name));
                }
            }
            RunEvent::Artifact {
                job, name, size, ..
            } => {
                if !quiet {
                    drop(st);
                    self.print(&format!("[{}] artifact `{name}` ({size} bytes)", job.name));
                }
            }
            RunEvent::RunFinished { .. } => {
                for (_, bar) in st.bars.drain() {
                    bar.finish_and_clear();
                }
            }
        }
    }
}

/// The table printed after each run.
pub(crate) fn summary(
    workflow: &str,
    run_id: i64,
    conclusion: Conclusion,
    duration: Duration,
    jobs: &[JobLine],
) -> String {
    let mut out = format!(
        "\n{} {workflow}: {} in {} (run {run_id})\n",
        result_mark(conclusion),
        conclusion.as_str(),
        format_duration(duration)
    );
    let width = jobs
        .iter()
        .map(|j| j.name.chars().count())
        .max()
        .unwrap_or(3)
        .max(3);
    out.push_str(&format!(
        "  {:<width$}  {:<9}  {}\n",
        "JOB", "RESULT", "DURATION"
    ));
    for j in jobs {
        out.push_str(&format!(
            "  {:<width$}  {:<9}  {}\n",
            j.name,
            j.result.as_str(),
            format_duration(j.duration)
        ));
    }
    let not_here: Vec<&JobLine> = jobs.iter().filter(|j| j.not_here.is_some()).collect();
    if !not_here.is_empty() {
        out.push_str(&format!(
            "  {} job(s) not run on this machine:\n",
            not_here.len()
        ));
        for j in not_here {
            let reason = j.not_here.as_deref().unwrap_or_default();
            out.push_str(&format!(
                "    {}: {}\n",
                j.name,
                reason.strip_prefix("skipped: ").unwrap_or(reason)
            ));
        }
    }
    out
}
