//! GitHub's context-availability table: which contexts and special functions an expression may
//! use, depending on where in the workflow it is written.

use hoist_expr::{FunctionSig, HASH_FILES, STATUS_FUNCTIONS_ANY_ARGUMENTS as STATUS};

use crate::model::Location;

/// Every context name GitHub defines.
pub const ALL_CONTEXTS: &[&str] = &[
    "github", "env", "vars", "job", "jobs", "steps", "runner", "secrets", "strategy", "matrix",
    "needs", "inputs",
];

const STATUS_AND_HASH: [FunctionSig; 5] = [STATUS[0], STATUS[1], STATUS[2], STATUS[3], HASH_FILES];
const HASH_ONLY: [FunctionSig; 1] = [HASH_FILES];

/// What an expression at a location may use.
#[derive(Clone, Copy, Debug)]
pub struct Availability {
    pub contexts: &'static [&'static str],
    pub functions: &'static [FunctionSig],
    /// The key path GitHub's documentation uses for the location, for messages.
    pub path: &'static str,
}

/// The availability at `location`, from GitHub's documented table.
pub fn availability(location: Location) -> Availability {
    use Location::*;
    const STEP: &[&str] = &[
        "github", "needs", "strategy", "matrix", "job", "runner", "env", "vars", "secrets",
        "steps", "inputs",
    ];
    let (contexts, functions, path): (&'static [&'static str], &'static [FunctionSig], &str) =
        match location {
            RunName => (&["github", "inputs", "vars"], &[], "run-name"),
            WorkflowConcurrency => (&["github", "inputs", "vars"], &[], "concurrency"),
            WorkflowEnv => (&["github", "secrets", "inputs", "vars"], &[], "env"),
            CallInputDefault => (
                &["github", "inputs", "vars"],
                &[],
                "on.workflow_call.inputs.<inputs_id>.default",
            ),
            CallOutputValue => (
                &["github", "jobs", "vars", "inputs"],
                &[],
                "on.workflow_call.outputs.<output_id>.value",
            ),
            JobConcurrency => (
                &["github", "needs", "strategy", "matrix", "inputs", "vars"],
                &[],
                "jobs.<job_id>.concurrency",
            ),
            JobContainer => (
                &["github", "needs", "strategy", "matrix", "vars", "inputs"],
                &[],
                "jobs.<job_id>.container",
            ),
            JobContainerCredentials => (
                &[
                    "github", "needs", "strategy", "matrix", "env", "vars", "secrets", "inputs",
                ],
                &[],
                "jobs.<job_id>.container.credentials",
            ),
            JobContainerEnv => (
                &[
                    "github", "needs", "strategy", "matrix", "job", "runner", "env", "vars",
                    "secrets", "inputs",
                ],
                &[],
                "jobs.<job_id>.container.env.<env_id>",
            ),
            JobContinueOnError => (
                &["github", "needs", "strategy", "vars", "matrix", "inputs"],
                &[],
                "jobs.<job_id>.continue-on-error",
            ),
            JobDefaultsRun => (
                &[
                    "github", "needs", "strategy", "matrix", "env", "vars", "inputs",
                ],
                &[],
                "jobs.<job_id>.defaults.run",
            ),
            JobEnv => (
                &[
                    "github", "needs", "strategy", "matrix", "vars", "secrets", "inputs",
                ],
                &[],
                "jobs.<job_id>.env",
            ),
            JobEnvironment => (
                &["github", "needs", "strategy", "matrix", "vars", "inputs"],
                &[],
                "jobs.<job_id>.environment",
            ),
            JobEnvironmentUrl => (
                &[
                    "github", "needs", "strategy", "matrix", "job", "runner", "env", "vars",
                    "steps", "inputs",
                ],
                &[],
                "jobs.<job_id>.environment.url",
            ),
            JobIf => (
                &["github", "needs", "vars", "inputs"],
                hoist_expr::STATUS_FUNCTIONS_ANY_ARGUMENTS,
                "jobs.<job_id>.if",
            ),
            JobName => (
                &["github", "needs", "strategy", "matrix", "vars", "inputs"],
                &[],
                "jobs.<job_id>.name",
            ),
            JobOutputs => (
                &[
                    "github", "needs", "strategy", "matrix", "job", "runner", "env", "vars",
                    "secrets", "steps", "inputs",
                ],
                &[],
                "jobs.<job_id>.outputs.<output_id>",
            ),
            JobRunsOn => (
                &["github", "needs", "strategy", "matrix", "vars", "inputs"],
                &[],
                "jobs.<job_id>.runs-on",
            ),
            JobSecrets => (
                &[
                    "github", "needs", "strategy", "matrix", "secrets", "inputs", "vars",
                ],
                &[],
                "jobs.<job_id>.secrets.<secrets_id>",
            ),
            JobServices => (
                &["github", "needs", "strategy", "matrix", "vars", "inputs"],
                &[],
                "jobs.<job_id>.services",
            ),
            JobServiceCredentials => (
                &[
                    "github", "needs", "strategy", "matrix", "env", "vars", "secrets", "inputs",
                ],
                &[],
                "jobs.<job_id>.services.<service_id>.credentials",
            ),
            JobServiceEnv => (
                &[
                    "github", "needs", "strategy", "matrix", "job", "runner", "env", "vars",
                    "secrets", "inputs",
                ],
                &[],
                "jobs.<job_id>.services.<service_id>.env.<env_id>",
            ),
            JobStrategy => (
                &["github", "needs", "vars", "inputs"],
                &[],
                "jobs.<job_id>.strategy",
            ),
            JobTimeoutMinutes => (
                &["github", "needs", "strategy", "matrix", "vars", "inputs"],
                &[],
                "jobs.<job_id>.timeout-minutes",
            ),
            JobWith => (
                &["github", "needs", "strategy", "matrix", "inputs", "vars"],
                &[],
                "jobs.<job_id>.with.<with_id>",
            ),
            StepContinueOnError => (STEP, &HASH_ONLY, "jobs.<job_id>.steps.continue-on-error"),
            StepEnv => (STEP, &HASH_ONLY, "jobs.<job_id>.steps.env"),
            StepIf => (
                &[
                    "github", "needs", "strategy", "matrix", "job", "runner", "env", "vars",
                    "steps", "inputs",
                ],
                &STATUS_AND_HASH,
                "jobs.<job_id>.steps.if",
            ),
            StepName => (STEP, &HASH_ONLY, "jobs.<job_id>.steps.name"),
            StepRun => (STEP, &HASH_ONLY, "jobs.<job_id>.steps.run"),
            StepTimeoutMinutes => (STEP, &HASH_ONLY, "jobs.<job_id>.steps.timeout-minutes"),
            StepWith => (STEP, &HASH_ONLY, "jobs.<job_id>.steps.with"),
            StepWorkingDirectory => (STEP, &HASH_ONLY, "jobs.<job_id>.steps.working-directory"),
        };
    Availability {
        contexts,
        functions,
        path,
    }
}

/// Every function name that exists somewhere, for telling "unknown" from "not available here".
pub fn is_known_function(name: &str) -> bool {
    hoist_expr::BUILTIN_FUNCTIONS
        .iter()
        .chain(STATUS_AND_HASH.iter())
        .any(|f| f.name.eq_ignore_ascii_case(name))
}
