//! What the steps of one running job share: its context ([`JobCx`]), its mutable state
//! ([`JobState`]), and what a step produced ([`StepResult`]) and where it reports ([`Report`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use hoist_expr::{Object, Value};
use hoist_workflow::model::{Job, Workflow};
use indexmap::IndexMap;
use tokio::sync::watch;

use crate::contexts::{ExprScope, Status, eval_value};
use crate::events::{Conclusion, JobKey};
use crate::shared::Shared;

/// What every step of one job instance shares.
pub(crate) struct JobCx<'a, E> {
    pub(crate) shared: &'a Arc<Shared<E>>,
    pub(crate) workflow: &'a Workflow,
    pub(crate) job: &'a Job,
    pub(crate) key: &'a JobKey,
    pub(crate) cancel: &'a watch::Receiver<bool>,
}

impl<E> Clone for JobCx<'_, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for JobCx<'_, E> {}

impl JobState {
    /// The scope for expressions of the next step: the job's contexts, its status so far, and
    /// its workspace for `hashFiles()`.
    pub(crate) fn scope(&self) -> ExprScope<'_> {
        let status = Status {
            success: !self.failed,
            failure: self.failed,
            cancelled: false,
        };
        ExprScope {
            contexts: &self.contexts,
            status,
            workspace: Some(&self.workspace),
        }
    }
}

/// A running job's mutable state.
pub(crate) struct JobState {
    pub(crate) env: IndexMap<String, String>,
    pub(crate) paths: Vec<String>,
    pub(crate) steps: Object,
    pub(crate) failed: bool,
    pub(crate) contexts: Object,
    pub(crate) workspace: PathBuf,
    pub(crate) temp: PathBuf,
    /// Where the step's command files and script live: `temp` itself, or a directory of its
    /// own for a background step.
    pub(crate) files_dir: PathBuf,
    pub(crate) deadline: Instant,
    /// `post:` scripts of JavaScript actions, run after the last step in reverse order.
    pub(crate) post: Vec<crate::actions::PostScript>,
    /// GitHub's default variables for this job's steps, built on the first step.
    pub(crate) default_env: Vec<(String, String)>,
    /// The test-results directory's modification time when last read (see `test_reports`).
    pub(crate) test_results_seen: Option<SystemTime>,
    /// The conclusion of the step that ran last on this state.
    pub(crate) last_conclusion: Option<Conclusion>,
}

impl JobState {
    /// A copy for a background step: the same environment and contexts, its own command
    /// files in `files_dir`, no post scripts yet.
    pub(crate) fn fork(&self, files_dir: PathBuf) -> Self {
        Self {
            env: self.env.clone(),
            paths: self.paths.clone(),
            steps: self.steps.clone(),
            failed: self.failed,
            contexts: self.contexts.clone(),
            workspace: self.workspace.clone(),
            temp: self.temp.clone(),
            files_dir,
            deadline: self.deadline,
            post: Vec::new(),
            // Built again: they name the command files.
            default_env: Vec::new(),
            test_results_seen: self.test_results_seen,
            last_conclusion: None,
        }
    }
}

/// Everything a step produced.
pub(crate) struct StepResult {
    pub(crate) outcome: Conclusion,
    pub(crate) exit_code: Option<i32>,
    pub(crate) outputs: Vec<(String, String)>,
    pub(crate) summary: Option<String>,
}

/// Where a step reports: as a step of the job, or inside the step of a composite action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Report {
    Top,
    /// A step of a composite action; its lines go to the job step `parent`.
    Nested {
        parent: usize,
    },
}

impl Report {
    pub(crate) fn log_index(self, own: usize) -> usize {
        match self {
            Report::Top => own,
            Report::Nested { parent } => parent,
        }
    }
}

pub(crate) fn minutes(node: &hoist_yaml::Node, contexts: &Object) -> Result<Duration, String> {
    let scope = ExprScope {
        contexts,
        status: Status::default(),
        workspace: None,
    };
    let v = match node.as_number() {
        Some(n) => n,
        None => eval_value(node.as_str().unwrap_or_default(), &scope)?.to_number(),
    };
    if !(v.is_finite() && v > 0.0) {
        return Err(format!(
            "`timeout-minutes` must be a positive number, got `{}`",
            node.as_str().unwrap_or_default()
        ));
    }
    Ok(Duration::from_secs_f64(v * 60.0))
}

pub(crate) fn env_value(env: &IndexMap<String, String>) -> Value {
    let mut o = Object::new();
    for (k, v) in env {
        o.set(k.clone(), Value::from(v.as_str()));
    }
    Value::object(o)
}
