//! Steps that run beside the job's later steps: `background: true` and the members of a
//! `parallel:` group, collected by `wait`, `wait-all`, `cancel`, the end of a group, or the
//! end of the job.
//!
//! Guarantees, following GitHub's parallel steps:
//! - A background step runs on a copy of the job's state with command files of its own, so no
//!   two steps ever write one `GITHUB_OUTPUT`. What it changes (its outcome and outputs under
//!   `steps`, `GITHUB_ENV`, `GITHUB_PATH`, post scripts) joins the job when it is collected,
//!   not before.
//! - Its failure fails the job when it is collected (steps in between still run), unless it
//!   has `continue-on-error`; the collecting step then fails too.
//! - At most [`MAX_RUNNING`] run at once; the next ones wait for a slot before they start.
//! - `cancel: ID` stops the step as a cancelled run would (the executor's signal, then kill
//!   after the grace period); a step stopped so ends `cancelled` and does not fail the job.
//! - `wait`, `wait-all`, `cancel` and group ends always run, whatever happened before them.
//! - Nothing is left running: the end of the job collects every background step before the
//!   post scripts, and cancelling the run cancels them with the rest.
//! - Everything runs in the job's own task: background steps are futures polled beside the
//!   current foreground step, so they borrow the job's context instead of being spawned.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use hoist_workflow::model::{Step, StepControl};
use indexmap::IndexMap;
use tokio::sync::{Semaphore, watch};

use crate::contexts::eval_value;
use crate::events::{AnnotationLevel, Conclusion};
use crate::executor::Executor;
use crate::job_state::{JobCx, JobState, Report, StepResult};
use crate::step;

/// GitHub runs at most ten background steps of a job at once.
pub(crate) const MAX_RUNNING: usize = 10;

type Running<'a> = Pin<Box<dyn Future<Output = Finished> + Send + 'a>>;

/// The background steps of one job instance.
pub(crate) struct Background<'a> {
    running: FuturesUnordered<Running<'a>>,
    /// Ended but not yet collected, by step index.
    ended: IndexMap<usize, Finished>,
    /// Every background step started, in order.
    started: Vec<Started>,
    slots: Arc<Semaphore>,
}

struct Started {
    index: usize,
    id: Option<String>,
    stop: Arc<watch::Sender<bool>>,
    collected: bool,
}

/// A background step that ended, with the state it ran on and what it started from.
struct Finished {
    index: usize,
    id: Option<String>,
    state: JobState,
    env_before: IndexMap<String, String>,
    paths_before: usize,
}

impl<'a> Background<'a> {
    pub(crate) fn new() -> Self {
        Self {
            running: FuturesUnordered::new(),
            ended: IndexMap::new(),
            started: Vec::new(),
            slots: Arc::new(Semaphore::new(MAX_RUNNING)),
        }
    }

    /// Whether the step runs in the background: a `parallel:` member, or `background:` true.
    pub(crate) fn wants(step: &Step, state: &JobState) -> bool {
        if step.parallel_member {
            return true;
        }
        let Some(node) = &step.background else {
            return false;
        };
        node.as_bool().unwrap_or_else(|| {
            eval_value(node.as_str().unwrap_or_default(), &state.scope())
                .is_ok_and(|v| v.is_truthy())
        })
    }

    /// Starts `step` on a copy of the job's state; the job goes on at once.
    pub(crate) fn start<E: Executor>(
        &mut self,
        cx: JobCx<'a, E>,
        step: &'a Step,
        state: &JobState,
    ) {
        let files_dir = state
            .temp
            .join("_background")
            .join(format!("step_{}", step.index));
        let fork = state.fork(files_dir);
        let (stop, stopped) = watch::channel(false);
        let stop = Arc::new(stop);
        self.started.push(Started {
            index: step.index,
            id: step.id.as_ref().map(|i| i.value.clone()),
            stop: stop.clone(),
            collected: false,
        });
        let slots = self.slots.clone();
        let index = step.index;
        let id = step.id.as_ref().map(|i| i.value.clone());
        let env_before = state.env.clone();
        let paths_before = state.paths.len();
        let mut run_cancelled = cx.cancel.clone();
        self.running.push(Box::pin(async move {
            let mut state = fork;
            // The run's cancellation reaches the step through its own signal, which
            // `cancel: ID` also sends.
            let forward = async {
                loop {
                    if *run_cancelled.borrow() {
                        let _ = stop.send(true);
                    }
                    if run_cancelled.changed().await.is_err() {
                        std::future::pending::<()>().await;
                    }
                }
            };
            let run = async {
                let _slot = slots.acquire_owned().await;
                let files = state.files_dir.join("_runner_file_commands");
                if let Err(message) = std::fs::create_dir_all(&files) {
                    let message = format!(
                        "cannot create `{}` for a background step: {message}",
                        files.display()
                    );
                    cx.shared
                        .log(cx.key, Some(index), &format!("Error: {message}"));
                    state.failed = true;
                    return;
                }
                let cx = JobCx {
                    cancel: &stopped,
                    ..cx
                };
                step::run_step(cx, step, &mut state, Report::Top).await;
            };
            tokio::select! {
                () = run => {}
                () = forward => {}
            }
            Finished {
                index,
                id,
                state,
                env_before,
                paths_before,
            }
        }));
    }

    /// Runs `foreground` while the background steps go on; those that end are kept until they
    /// are collected.
    pub(crate) async fn beside<F: Future<Output = ()>>(&mut self, foreground: F) {
        tokio::pin!(foreground);
        loop {
            tokio::select! {
                () = &mut foreground => return,
                Some(done) = self.running.next(), if !self.running.is_empty() => {
                    self.ended.insert(done.index, done);
                }
            }
        }
    }

    /// Runs a `wait`, `wait-all`, `cancel` or group-end step: reported as a step of its own,
    /// whatever the job's status.
    pub(crate) async fn control<E: Executor>(
        &mut self,
        cx: JobCx<'a, E>,
        step: &'a Step,
        control: &StepControl,
        state: &mut JobState,
    ) {
        let started = Instant::now();
        let name = match (&step.name, control) {
            (Some(n), _) => n.value.clone(),
            (None, StepControl::Wait(ids)) => {
                format!("Wait for {}", names(ids.iter().map(|i| i.value.as_str())))
            }
            (None, StepControl::WaitAll) => "Wait for all background steps".to_owned(),
            (None, StepControl::Cancel(id)) => format!("Cancel `{}`", id.value),
            (None, StepControl::WaitGroup(_)) => "Wait for the parallel steps".to_owned(),
        };
        step::step_started(cx.shared, cx.key, step, &name, Report::Top);
        let result = match self.collect(cx, step, control, state).await {
            Ok(failed) if failed.is_empty() => StepResult::plain(Conclusion::Success),
            Ok(failed) => {
                let message = format!("background step(s) failed: {}", failed.join(", "));
                cx.shared
                    .log(cx.key, Some(step.index), &format!("Error: {message}"));
                StepResult::plain(Conclusion::Failure)
            }
            Err(message) => {
                cx.shared
                    .log(cx.key, Some(step.index), &format!("Error: {message}"));
                cx.shared
                    .annotate(cx.key, Some(step.index), AnnotationLevel::Error, &message);
                StepResult::plain(Conclusion::Failure)
            }
        };
        step::finish_step(cx, step, &name, state, started, result, Report::Top);
    }

    /// Collects what `control` names into the job; returns the names of those that failed.
    async fn collect<E: Executor>(
        &mut self,
        cx: JobCx<'a, E>,
        step: &Step,
        control: &StepControl,
        state: &mut JobState,
    ) -> Result<Vec<String>, String> {
        let log = |line: &str| cx.shared.log(cx.key, Some(step.index), line);
        let indices: Vec<usize> = match control {
            StepControl::WaitAll => {
                log("Waiting for all background steps");
                self.started
                    .iter()
                    .filter(|s| !s.collected)
                    .map(|s| s.index)
                    .collect()
            }
            StepControl::WaitGroup(indices) => indices.clone(),
            StepControl::Wait(ids) => {
                log(&format!(
                    "Waiting for {}",
                    names(ids.iter().map(|i| i.value.as_str()))
                ));
                ids.iter()
                    .map(|id| self.named(&id.value))
                    .collect::<Result<_, _>>()?
            }
            StepControl::Cancel(id) => {
                let index = self.named(&id.value)?;
                if self.ended.contains_key(&index) {
                    log(&format!("`{}` has already ended", id.value));
                } else if let Some(s) = self.started.iter().find(|s| s.index == index) {
                    log(&format!("Cancelling `{}`", id.value));
                    let _ = s.stop.send(true);
                }
                vec![index]
            }
        };
        while indices.iter().any(|i| self.is_running(*i)) {
            match self.running.next().await {
                Some(done) => {
                    self.ended.insert(done.index, done);
                }
                None => break,
            }
        }
        let mut failed = Vec::new();
        for index in indices {
            let Some(done) = self.ended.shift_remove(&index) else {
                continue;
            };
            if let Some(s) = self.started.iter_mut().find(|s| s.index == index) {
                s.collected = true;
            }
            if merge(done, state) {
                failed.push(
                    cx.job
                        .steps
                        .get(index)
                        .and_then(|s| s.id.as_ref())
                        .map_or_else(
                            || format!("step {}", index + 1),
                            |id| format!("`{}`", id.value),
                        ),
                );
            }
        }
        Ok(failed)
    }

    /// Collects every background step still uncollected, at the end of the job.
    pub(crate) async fn finish<E: Executor>(&mut self, cx: JobCx<'a, E>, state: &mut JobState) {
        while let Some(done) = self.running.next().await {
            self.ended.insert(done.index, done);
        }
        for (index, done) in std::mem::take(&mut self.ended) {
            if merge(done, state) {
                cx.shared.log(
                    cx.key,
                    Some(index),
                    "Error: this background step failed and was never waited for; the job fails",
                );
            }
        }
    }

    fn named(&self, id: &str) -> Result<usize, String> {
        self.started
            .iter()
            .rev()
            .find(|s| s.id.as_deref() == Some(id))
            .map(|s| s.index)
            .ok_or_else(|| {
                format!("no background step with id `{id}` was started before this step")
            })
    }

    fn is_running(&self, index: usize) -> bool {
        self.started
            .iter()
            .any(|s| s.index == index && !s.collected)
            && !self.ended.contains_key(&index)
    }
}

/// Brings what a background step changed into the job; returns whether it failed the job.
fn merge(done: Finished, state: &mut JobState) -> bool {
    let Finished {
        id,
        state: ran,
        env_before,
        paths_before,
        ..
    } = done;
    for (k, v) in &ran.env {
        if env_before.get(k) != Some(v) {
            state.env.insert(k.clone(), v.clone());
        }
    }
    state.paths.extend(ran.paths.into_iter().skip(paths_before));
    state.post.extend(ran.post);
    // Only the step's own entry: the copy's others are what the job had when it began.
    if let Some(id) = id
        && let Some(entry) = ran.steps.get(&id)
    {
        state.steps.set(id, entry.clone());
    }
    let failed = ran.last_conclusion == Some(Conclusion::Failure);
    if failed {
        state.failed = true;
    }
    failed
}

fn names<'n>(ids: impl Iterator<Item = &'n str>) -> String {
    ids.map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
}

impl StepResult {
    /// A result with only a conclusion: steps that start no process.
    pub(crate) fn plain(outcome: Conclusion) -> Self {
        Self {
            outcome,
            exit_code: None,
            outputs: Vec::new(),
            summary: None,
        }
    }
}
