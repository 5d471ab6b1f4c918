//! Semantic checks over a lowered workflow, one rule per module.
//!
//! Structural problems (unknown keys, wrong types) are found while lowering; the rules here
//! look across the workflow: job dependencies, what expressions refer to, schedules, filters,
//! matrices and calls to reusable workflows.

mod action_inputs;
mod checkout_untrusted;
mod constant_condition;
mod credentials;
mod cron;
mod deprecated_commands;
mod expressions;
mod filters;
mod injection;
mod matrix;
mod needs;
mod reusable;
mod runner_labels;
mod step_ids;
mod typed_contexts;

use hoist_diagnostics::{Diagnostic, SarifRule};

use crate::model::Workflow;

/// Supplies the text of other workflow files of the same repository, for checking calls to
/// local reusable workflows. Paths are relative to the repository root
/// (`.github/workflows/build.yml`).
pub trait WorkflowSource {
    fn read(&self, path: &str) -> Option<String>;

    /// The text of an action's `action.yml`, where it can be read (a local action, or one in
    /// the action cache). `None`: not known, and its inputs are checked only if Hoist knows
    /// the action itself.
    fn read_action(&self, action: &crate::model::ActionRef) -> Option<String> {
        let _ = action;
        None
    }
}

/// A source with no other files: calls to local reusable workflows are not checked.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoOtherWorkflows;

impl WorkflowSource for NoOtherWorkflows {
    fn read(&self, _path: &str) -> Option<String> {
        None
    }
}

/// What every rule sees.
pub(crate) struct RuleContext<'a> {
    /// Finds places inside scalars; one for the whole check, so it learns each scalar once.
    pub(crate) locator: hoist_yaml::Locator<'a>,
    pub(crate) workflow: &'a Workflow,
    pub(crate) others: &'a dyn WorkflowSource,
    pub(crate) options: &'a crate::CheckOptions,
}

pub(crate) fn run_rules(ctx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    needs::check(ctx, out);
    step_ids::check(ctx, out);
    expressions::check(ctx, out);
    cron::check(ctx, out);
    filters::check(ctx, out);
    matrix::check(ctx, out);
    reusable::check(ctx, out);
    deprecated_commands::check(ctx, out);
    checkout_untrusted::check(ctx, out);
    credentials::check(ctx, out);
    runner_labels::check(ctx, out);
    action_inputs::check(ctx, out);
}

/// Every rule code `hoist check` can report, for SARIF's rule table.
pub const RULES: &[SarifRule] = &[
    SarifRule {
        id: "yaml-syntax",
        description: "The file is not valid YAML.",
    },
    SarifRule {
        id: "yaml-tag",
        description: "A YAML tag GitHub's workflow parser does not read, or one its value does not fit.",
    },
    SarifRule {
        id: "duplicate-key",
        description: "A mapping defines the same key twice.",
    },
    SarifRule {
        id: "unknown-key",
        description: "A key that the workflow syntax does not define.",
    },
    SarifRule {
        id: "unknown-event",
        description: "An event name that GitHub does not define.",
    },
    SarifRule {
        id: "type-mismatch",
        description: "A value of the wrong type.",
    },
    SarifRule {
        id: "duplicate-job-id",
        description: "Two job ids that differ only in case, which GitHub reads as one.",
    },
    SarifRule {
        id: "deprecated-command",
        description: "A workflow command GitHub disabled (`::set-output`, `::set-env`, ...).",
    },
    SarifRule {
        id: "untrusted-checkout",
        description: "A `pull_request_target` workflow that checks out the pull request's code.",
    },
    SarifRule {
        id: "hardcoded-credentials",
        description: "A registry password written in the workflow instead of a secret.",
    },
    SarifRule {
        id: "constant-condition",
        description: "An `if:` that depends on nothing, so it is always true or always false.",
    },
    SarifRule {
        id: "matrix-duplicate-value",
        description: "A matrix dimension lists the same value twice.",
    },
    SarifRule {
        id: "matrix-exclude-unmatched",
        description: "A matrix `exclude` entry that matches no combination.",
    },
    SarifRule {
        id: "unknown-runner-label",
        description: "A `runs-on` label that no GitHub-hosted image or configured runner has.",
    },
    SarifRule {
        id: "shellcheck",
        description: "A finding of shellcheck in a `run:` script (when shellcheck is installed).",
    },
    SarifRule {
        id: "unknown-property",
        description: "A property that a context with a fixed shape (`github`, `runner`, `steps.<id>`, ...) does not have.",
    },
    SarifRule {
        id: "impossible-comparison",
        description: "A comparison with a value the property never takes, or of an object with a string.",
    },
    SarifRule {
        id: "object-in-string",
        description: "An object put into a string, where it becomes the word `Object`.",
    },
    SarifRule {
        id: "unknown-action-input",
        description: "A `with:` key that the step's action does not declare.",
    },
    SarifRule {
        id: "missing-action-input",
        description: "A required input of the step's action that the step does not give.",
    },
    SarifRule {
        id: "deprecated-action-input",
        description: "An input that the step's action marks as deprecated.",
    },
    SarifRule {
        id: "max-depth",
        description: "Mappings and sequences nested deeper than GitHub reads (50 levels).",
    },
    SarifRule {
        id: "max-file-size",
        description: "A workflow file longer than GitHub reads (1,048,576 characters).",
    },
    SarifRule {
        id: "expression-too-long",
        description: "A value with `${{ }}` longer than GitHub's template limit (21,000 characters).",
    },
    SarifRule {
        id: "script-injection",
        description: "An event field that whoever triggers the workflow writes, interpolated into a script.",
    },
    SarifRule {
        id: "status-function-arguments",
        description: "Arguments to a status function where GitHub ignores them.",
    },
    SarifRule {
        id: "invalid-value",
        description: "A value outside the allowed set.",
    },
    SarifRule {
        id: "missing-key",
        description: "A required key is missing.",
    },
    SarifRule {
        id: "invalid-id",
        description: "A job or step id with characters GitHub refuses.",
    },
    SarifRule {
        id: "invalid-step",
        description: "A step that mixes or lacks `run` and `uses`.",
    },
    SarifRule {
        id: "invalid-uses",
        description: "A `uses:` reference that cannot be resolved.",
    },
    SarifRule {
        id: "conflicting-filters",
        description: "Include and ignore filters used together.",
    },
    SarifRule {
        id: "invalid-filter",
        description: "A branch, tag or path filter pattern that is invalid.",
    },
    SarifRule {
        id: "invalid-matrix",
        description: "A matrix that produces no jobs or too many.",
    },
    SarifRule {
        id: "needs-unknown-job",
        description: "`needs` names a job that does not exist.",
    },
    SarifRule {
        id: "needs-cycle",
        description: "Jobs that depend on each other in a cycle.",
    },
    SarifRule {
        id: "duplicate-step-id",
        description: "Two steps of a job share an id.",
    },
    SarifRule {
        id: "expression-syntax",
        description: "A `${{ }}` expression that does not parse.",
    },
    SarifRule {
        id: "unknown-function",
        description: "A call to a function that does not exist.",
    },
    SarifRule {
        id: "function-unavailable",
        description: "A function used where it is not available.",
    },
    SarifRule {
        id: "function-arguments",
        description: "A function called with the wrong number of arguments.",
    },
    SarifRule {
        id: "unknown-context",
        description: "A named value that is not a context.",
    },
    SarifRule {
        id: "context-unavailable",
        description: "A context used where GitHub does not provide it.",
    },
    SarifRule {
        id: "needs-not-dependency",
        description: "`needs.<job>` for a job that is not a direct dependency.",
    },
    SarifRule {
        id: "undefined-output",
        description: "A reference to a job output that is not defined.",
    },
    SarifRule {
        id: "undefined-matrix-key",
        description: "`matrix.<key>` that no matrix entry defines.",
    },
    SarifRule {
        id: "undefined-step",
        description: "`steps.<id>` for a step that does not run before.",
    },
    SarifRule {
        id: "undefined-input",
        description: "`inputs.<name>` that no trigger defines.",
    },
    SarifRule {
        id: "condition-always-true",
        description: "An `if:` mixing text and `${{ }}`, which is always true.",
    },
    SarifRule {
        id: "invalid-cron",
        description: "A `schedule` cron expression that is invalid.",
    },
    SarifRule {
        id: "reusable-workflow",
        description: "A call to a reusable workflow that does not match its inputs or secrets.",
    },
];
