//! The typed model of a workflow file, as far as it can be known before running it.
//!
//! Values that may hold `${{ }}` expressions stay as text (or as YAML nodes, for structured
//! values such as `with:` and `matrix:`) so the engine can evaluate them when their contexts
//! exist. Every part keeps its span for diagnostics.

use hoist_diagnostics::Span;
use hoist_yaml::Node;
use indexmap::IndexMap;

/// A value with the span it was read from.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Self { value, span }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Workflow {
    pub name: Option<Spanned<String>>,
    pub run_name: Option<Spanned<String>>,
    pub on: Triggers,
    pub env: IndexMap<String, Spanned<String>>,
    pub defaults: RunDefaults,
    pub permissions: Option<Node>,
    pub concurrency: Option<Concurrency>,
    pub jobs: IndexMap<String, Job>,
    /// The `jobs:` mapping, for problems of the job graph as a whole.
    pub jobs_span: Span,
    /// Every string that may contain an expression, with where it sits; see [`ExprSite`].
    pub expression_sites: Vec<ExprSite>,
}

/// The `on:` section.
#[derive(Clone, Debug, Default)]
pub struct Triggers {
    pub events: IndexMap<String, EventTrigger>,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct EventTrigger {
    pub name: String,
    pub span: Span,
    pub types: Vec<Spanned<String>>,
    pub branches: Option<Vec<Spanned<String>>>,
    pub branches_ignore: Option<Vec<Spanned<String>>>,
    pub tags: Option<Vec<Spanned<String>>>,
    pub tags_ignore: Option<Vec<Spanned<String>>>,
    pub paths: Option<Vec<Spanned<String>>>,
    pub paths_ignore: Option<Vec<Spanned<String>>>,
    /// `workflow_run`'s `workflows:` list.
    pub workflows: Vec<Spanned<String>>,
    /// `workflow_dispatch` and `workflow_call` inputs.
    pub inputs: IndexMap<String, InputDef>,
    /// `workflow_call` outputs: name → `value` expression.
    pub outputs: IndexMap<String, CallOutput>,
    /// `workflow_call` secrets: name → required.
    pub secrets: IndexMap<String, SecretDef>,
    /// `schedule` cron expressions.
    pub crons: Vec<Spanned<String>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputType {
    String,
    Boolean,
    Number,
    Choice,
    Environment,
}

impl InputType {
    pub fn as_str(self) -> &'static str {
        match self {
            InputType::String => "string",
            InputType::Boolean => "boolean",
            InputType::Number => "number",
            InputType::Choice => "choice",
            InputType::Environment => "environment",
        }
    }
}

#[derive(Clone, Debug)]
pub struct InputDef {
    pub name: String,
    pub span: Span,
    pub description: Option<String>,
    pub required: bool,
    pub default: Option<Node>,
    pub kind: InputType,
    pub options: Vec<Spanned<String>>,
}

#[derive(Clone, Debug)]
pub struct CallOutput {
    pub name: String,
    pub span: Span,
    pub description: Option<String>,
    pub value: Option<Spanned<String>>,
}

#[derive(Clone, Debug)]
pub struct SecretDef {
    pub name: String,
    pub span: Span,
    pub required: bool,
}

#[derive(Clone, Debug, Default)]
pub struct RunDefaults {
    pub shell: Option<Spanned<String>>,
    pub working_directory: Option<Spanned<String>>,
}

#[derive(Clone, Debug)]
pub struct Concurrency {
    pub group: Spanned<String>,
    /// `true`, `false`, or an expression.
    pub cancel_in_progress: Option<Node>,
}

#[derive(Clone, Debug)]
pub struct Environment {
    pub name: Spanned<String>,
    pub url: Option<Spanned<String>>,
}

#[derive(Clone, Debug)]
pub struct Container {
    pub image: Option<Spanned<String>>,
    pub credentials: Option<Node>,
    pub env: IndexMap<String, Spanned<String>>,
    pub ports: Vec<Spanned<String>>,
    pub volumes: Vec<Spanned<String>>,
    pub options: Option<Spanned<String>>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum Matrix {
    /// `matrix: ${{ fromJSON(...) }}`: known only at run time.
    Expression(Spanned<String>),
    /// A mapping of dimensions, with `include` and `exclude`. Dimensions may still be
    /// expressions (`service: ${{ fromJSON(needs.x.outputs.list) }}`).
    Dimensions {
        dims: IndexMap<String, Node>,
        include: Option<Node>,
        exclude: Option<Node>,
        span: Span,
    },
}

#[derive(Clone, Debug)]
pub struct Strategy {
    pub matrix: Option<Matrix>,
    pub fail_fast: Option<Node>,
    pub max_parallel: Option<Node>,
}

#[derive(Clone, Debug)]
pub enum JobSecrets {
    Inherit(Span),
    Map(IndexMap<String, Spanned<String>>),
}

#[derive(Clone, Debug)]
pub struct Job {
    pub id: String,
    pub id_span: Span,
    pub name: Option<Spanned<String>>,
    pub needs: Vec<Spanned<String>>,
    pub condition: Option<Spanned<String>>,
    pub runs_on: Option<Node>,
    pub environment: Option<Environment>,
    pub outputs: IndexMap<String, Spanned<String>>,
    pub env: IndexMap<String, Spanned<String>>,
    pub defaults: RunDefaults,
    pub timeout_minutes: Option<Node>,
    pub continue_on_error: Option<Node>,
    pub concurrency: Option<Concurrency>,
    pub permissions: Option<Node>,
    pub container: Option<Container>,
    pub services: IndexMap<String, Container>,
    pub strategy: Option<Strategy>,
    pub steps: Vec<Step>,
    /// A reusable-workflow call: `uses: ./.github/workflows/x.yml` or `o/r/.github/workflows/x.yml@ref`.
    pub uses: Option<Spanned<String>>,
    pub with: IndexMap<String, (Span, Node)>,
    pub secrets: Option<JobSecrets>,
}

/// What a step's `uses:` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionRef {
    /// `./path/to/action` in the workspace (after `actions/checkout`).
    Local(String),
    /// `$/path/to/action`: in the workflow's own repository, at the workflow's commit, with
    /// no checkout needed.
    SelfRepository(String),
    /// `owner/repo@ref` or `owner/repo/path@ref`.
    Repository {
        owner: String,
        repo: String,
        path: Option<String>,
        git_ref: String,
    },
    /// `docker://image:tag`.
    Docker(String),
}

/// The action as a workflow names it: `./path`, `$/path`, `owner/repo/path@ref`,
/// `docker://image`.
impl std::fmt::Display for ActionRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ActionRef::Local(p) => write!(f, "{p}"),
            ActionRef::SelfRepository(p) => write!(f, "$/{p}"),
            ActionRef::Docker(i) => write!(f, "docker://{i}"),
            ActionRef::Repository {
                owner,
                repo,
                path: Some(p),
                git_ref,
            } => write!(f, "{owner}/{repo}/{p}@{git_ref}"),
            ActionRef::Repository {
                owner,
                repo,
                path: None,
                git_ref,
            } => write!(f, "{owner}/{repo}@{git_ref}"),
        }
    }
}

impl Container {
    /// A container given by its image alone (`container: alpine:3.20`), or nothing yet.
    pub fn of_image(image: Option<Spanned<String>>, span: Span) -> Self {
        Self {
            image,
            credentials: None,
            env: IndexMap::new(),
            ports: Vec::new(),
            volumes: Vec::new(),
            options: None,
            span,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Step {
    pub index: usize,
    pub span: Span,
    pub id: Option<Spanned<String>>,
    pub name: Option<Spanned<String>>,
    pub condition: Option<Spanned<String>>,
    pub run: Option<Spanned<String>>,
    pub shell: Option<Spanned<String>>,
    pub working_directory: Option<Spanned<String>>,
    pub uses: Option<Spanned<ActionRef>>,
    pub with: IndexMap<String, (Span, Node)>,
    pub env: IndexMap<String, Spanned<String>>,
    pub continue_on_error: Option<Node>,
    pub timeout_minutes: Option<Node>,
    /// `background: true`: the job goes on to the next step without waiting for this one.
    pub background: Option<Node>,
    /// A member of a `parallel:` group: a background step that the group's wait collects.
    pub parallel_member: bool,
    /// A step that neither runs nor uses anything, but waits for or cancels background steps.
    pub control: Option<StepControl>,
}

/// What a `wait`, `wait-all` or `cancel` step does.
#[derive(Clone, Debug)]
pub enum StepControl {
    /// Wait for these background steps (by id).
    Wait(Vec<Spanned<String>>),
    /// Wait for every background step started so far.
    WaitAll,
    /// Cancel this background step (by id).
    Cancel(Spanned<String>),
    /// The end of a `parallel:` group: wait for its members (by step index).
    WaitGroup(Vec<usize>),
}

/// Where in a workflow an expression appears; decides which contexts and functions it may use
/// (GitHub's context-availability table, see [`crate::contexts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Location {
    RunName,
    WorkflowConcurrency,
    WorkflowEnv,
    CallInputDefault,
    CallOutputValue,
    JobConcurrency,
    JobContainer,
    JobContainerCredentials,
    JobContainerEnv,
    JobContinueOnError,
    JobDefaultsRun,
    JobEnv,
    JobEnvironment,
    JobEnvironmentUrl,
    JobIf,
    JobName,
    JobOutputs,
    JobRunsOn,
    JobSecrets,
    JobServices,
    JobServiceCredentials,
    JobServiceEnv,
    JobStrategy,
    JobTimeoutMinutes,
    JobWith,
    StepContinueOnError,
    StepEnv,
    StepIf,
    StepName,
    StepRun,
    StepTimeoutMinutes,
    StepWith,
    StepWorkingDirectory,
}

/// A scalar that may contain expressions, and what surrounds it.
#[derive(Clone, Debug)]
pub struct ExprSite {
    pub location: Location,
    /// The scalar node holding the text (its span, style and value).
    pub node: Node,
    /// The job it belongs to, if any.
    pub job: Option<String>,
    /// The 0-based index of the step it belongs to, if any.
    pub step: Option<usize>,
    /// For `if:` values: the whole value is a condition, written with or without `${{ }}`.
    pub is_condition: bool,
}
