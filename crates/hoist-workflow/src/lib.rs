//! The GitHub Actions workflow language: the typed model, its validation, trigger matching and
//! matrix expansion.
//!
//! Pure and synchronous. [`parse_workflow`] lowers a file's text into a [`Workflow`] with
//! structural diagnostics; [`check_workflow`] adds the semantic rules in [`check`]. Files other
//! than the one being checked (callees of reusable-workflow jobs) reach the checker through
//! [`WorkflowSource`], so this crate never touches the disk.

pub mod action;
mod action_ref;
pub mod check;
pub mod contexts;
pub mod cron;
mod errors;
pub mod events;
pub mod filter;
mod limits;
mod lower;
pub mod matrix;
pub mod model;
pub mod shell_scripts;
mod suggest;
pub mod trigger;

use hoist_diagnostics::Diagnostic;

pub use action::{Action, ActionInput, ActionOutput, ActionRuns, parse_action};
pub use action_ref::{local_workflow_path, parse_action_ref};
pub use check::{NoOtherWorkflows, RULES, WorkflowSource};
pub use errors::MatrixError;
pub use model::Workflow;
pub use suggest::did_you_mean;

/// A workflow with the problems found in it, sorted by position.
#[derive(Clone, Debug, Default)]
pub struct ParsedWorkflow {
    pub workflow: Workflow,
    pub diagnostics: Vec<Diagnostic>,
}

impl ParsedWorkflow {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses a workflow file's text and reports structural problems.
pub fn parse_workflow(source: &str) -> ParsedWorkflow {
    // GitHub refuses an over-long file before it reads a byte of it.
    if let Some(too_long) = limits::check_size(source) {
        return ParsedWorkflow {
            workflow: Workflow::default(),
            diagnostics: vec![too_long],
        };
    }
    let yaml = hoist_yaml::parse(source);
    let mut diagnostics = yaml.diagnostics;
    if let Some(too_deep) = yaml.root.as_ref().and_then(limits::check_depth) {
        diagnostics.push(too_deep);
    }
    let workflow = lower::lower(yaml.root.as_ref(), &mut diagnostics);
    sort(&mut diagnostics);
    ParsedWorkflow {
        workflow,
        diagnostics,
    }
}

/// What a check knows beyond the file itself.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// Labels of the project's own runners (`[runner] labels`): not reported as unknown.
    pub runner_labels: Vec<String>,
}

/// Parses a workflow and runs every check on it.
pub fn check_workflow(source: &str, others: &dyn WorkflowSource) -> ParsedWorkflow {
    check_workflow_with(source, others, &CheckOptions::default())
}

/// [`check_workflow`] with what is known of the project (its runners' labels).
pub fn check_workflow_with(
    source: &str,
    others: &dyn WorkflowSource,
    options: &CheckOptions,
) -> ParsedWorkflow {
    let mut parsed = parse_workflow(source);
    // Semantic rules on a file that is not even YAML would only add noise.
    let yaml_broken = parsed.diagnostics.iter().any(|d| d.code == "yaml-syntax");
    if !yaml_broken {
        let ctx = check::RuleContext {
            locator: hoist_yaml::Locator::new(source),
            workflow: &parsed.workflow,
            others,
            options,
        };
        check::run_rules(&ctx, &mut parsed.diagnostics);
    }
    sort(&mut parsed.diagnostics);
    parsed
}

fn sort(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| (a.span.start, &a.message).cmp(&(b.span.start, &b.message)));
    diagnostics.dedup();
}
