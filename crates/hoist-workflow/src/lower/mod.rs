//! Lowers a YAML tree into the [`Workflow`] model, reporting structural problems: unknown keys
//! (with suggestions), values of the wrong type, missing required keys.

use hoist_diagnostics::{Diagnostic, Span};
use hoist_yaml::{Node, NodeKind};
use indexmap::IndexMap;

use crate::events::{EVENTS, event_keys};
use crate::model::*;
use crate::suggest::did_you_mean;

mod container;
mod jobs;
mod steps;
mod strategy;
mod triggers;

const WORKFLOW_KEYS: &[&str] = &[
    "name",
    "description",
    "run-name",
    "on",
    "permissions",
    "env",
    "defaults",
    "concurrency",
    "jobs",
];
const JOB_KEYS: &[&str] = &[
    "name",
    "needs",
    "permissions",
    "runs-on",
    "environment",
    "concurrency",
    "outputs",
    "env",
    "defaults",
    "if",
    "steps",
    "timeout-minutes",
    "cancel-timeout-minutes",
    "strategy",
    "continue-on-error",
    "container",
    "services",
    "snapshot",
];
const CALLER_JOB_KEYS: &[&str] = &[
    "name",
    "uses",
    "with",
    "secrets",
    "needs",
    "if",
    "permissions",
    "strategy",
    "concurrency",
];
const STEP_KEYS: &[&str] = &[
    "id",
    "if",
    "name",
    "uses",
    "run",
    "working-directory",
    "shell",
    "with",
    "env",
    "continue-on-error",
    "timeout-minutes",
    "background",
    "wait",
    "wait-all",
    "cancel",
    "parallel",
];
/// Shells GitHub runs by name; anything else must be a template containing `{0}`.
const SHELLS: &[&str] = &["bash", "sh", "pwsh", "powershell", "python", "cmd"];
const CONTAINER_KEYS: &[&str] = &["image", "credentials", "env", "ports", "volumes", "options"];
/// A service container also takes `entrypoint` and `command`.
const SERVICE_KEYS: &[&str] = &[
    "image",
    "credentials",
    "env",
    "ports",
    "volumes",
    "options",
    "entrypoint",
    "command",
];
const STRATEGY_KEYS: &[&str] = &["matrix", "fail-fast", "max-parallel"];
/// The `GITHUB_TOKEN` scopes of GitHub's workflow schema, with the levels each accepts.
const PERMISSION_SCOPES: &[(&str, &[&str])] = &[
    ("actions", ANY_LEVEL),
    ("artifact-metadata", ANY_LEVEL),
    ("attestations", ANY_LEVEL),
    ("checks", ANY_LEVEL),
    ("contents", ANY_LEVEL),
    ("copilot-requests", &["write", "none"]),
    ("deployments", ANY_LEVEL),
    ("discussions", ANY_LEVEL),
    ("id-token", &["write", "none"]),
    ("issues", ANY_LEVEL),
    ("models", &["read", "none"]),
    ("packages", ANY_LEVEL),
    ("pages", ANY_LEVEL),
    ("pull-requests", ANY_LEVEL),
    ("repository-projects", ANY_LEVEL),
    ("security-events", ANY_LEVEL),
    ("statuses", ANY_LEVEL),
    ("vulnerability-alerts", &["read", "none"]),
];
const ANY_LEVEL: &[&str] = &["read", "write", "none"];

/// Lowers `root` (the document's root node, if any). `source` is the file's text.
pub(crate) fn lower(root: Option<&Node>, diagnostics: &mut Vec<Diagnostic>) -> Workflow {
    let mut l = Lowerer {
        diagnostics,
        sites: Vec::new(),
    };
    let mut wf = Workflow::default();
    let Some(root) = root else {
        // A syntax error already explains why there is no tree.
        if l.diagnostics.iter().any(|d| d.code == "yaml-syntax") {
            return wf;
        }
        l.error(
            "missing-key",
            Span::on_line(hoist_diagnostics::Position::new(1, 1), 1),
            "the workflow file is empty",
            Some("a workflow needs at least `on:` and `jobs:`"),
        );
        return wf;
    };
    let Some(pairs) = l.mapping(root, "the workflow") else {
        return wf;
    };
    l.check_keys(pairs, WORKFLOW_KEYS, "the workflow");
    let mut saw_on = false;
    let mut saw_jobs = false;
    for (key, value) in pairs {
        match key.as_str().unwrap_or_default() {
            "name" => wf.name = l.string(value, "`name`"),
            "run-name" => {
                wf.run_name = l.string(value, "`run-name`");
                l.site(value, Location::RunName, None, None);
            }
            "on" => {
                saw_on = true;
                wf.on = l.triggers(value);
            }
            "permissions" => {
                l.permissions(value);
                wf.permissions = Some(value.clone());
            }
            "env" => wf.env = l.env(value, "`env`", Location::WorkflowEnv, None, None),
            "defaults" => wf.defaults = l.defaults(value, "`defaults`", None),
            "concurrency" => {
                wf.concurrency = l.concurrency(value, Location::WorkflowConcurrency, None);
            }
            "jobs" => {
                saw_jobs = true;
                wf.jobs_span = value.span;
                wf.jobs = l.jobs(value);
            }
            _ => {}
        }
    }
    let root_span = Span::on_line(root.span.start, 1);
    if !saw_on {
        l.error(
            "missing-key",
            root_span,
            "the workflow has no `on:` section",
            Some("add the events that start it, e.g. `on: [push, pull_request]`"),
        );
    }
    if !saw_jobs {
        l.error(
            "missing-key",
            root_span,
            "the workflow has no `jobs:` section",
            Some("add at least one job under `jobs:`"),
        );
    }
    wf.expression_sites = l.sites;
    wf
}

pub(crate) struct Lowerer<'d> {
    diagnostics: &'d mut Vec<Diagnostic>,
    sites: Vec<ExprSite>,
}

impl<'d> Lowerer<'d> {
    pub(crate) fn new(diagnostics: &'d mut Vec<Diagnostic>) -> Self {
        Self {
            diagnostics,
            sites: Vec::new(),
        }
    }
}

impl Lowerer<'_> {
    pub(crate) fn error(
        &mut self,
        code: &'static str,
        span: Span,
        message: impl Into<String>,
        hint: Option<&str>,
    ) {
        let mut d = Diagnostic::error(code, span, message);
        if let Some(h) = hint {
            d = d.with_hint(h);
        }
        self.diagnostics.push(d);
    }

    fn type_error(&mut self, node: &Node, what: &str, expected: &str) {
        self.error(
            "type-mismatch",
            node.span,
            format!("{what} must be {expected}, found {}", node.type_name()),
            None,
        );
    }

    pub(crate) fn mapping<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [(Node, Node)]> {
        match node.as_mapping() {
            Some(m) => Some(m),
            None => {
                self.type_error(node, what, "a mapping");
                None
            }
        }
    }

    pub(crate) fn check_keys(&mut self, pairs: &[(Node, Node)], allowed: &[&str], what: &str) {
        for (key, _) in pairs {
            let name = key.as_str().unwrap_or_default();
            if !allowed.contains(&name) {
                let hint = did_you_mean(name, allowed.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| format!("expected one of {}", list(allowed)));
                self.error(
                    "unknown-key",
                    key.span,
                    format!("unknown key `{name}` in {what}"),
                    Some(&hint),
                );
            }
        }
    }

    /// Like [`Self::check_keys`], for places where GitHub ignores unknown keys (inside the
    /// events of `on:`): a warning, since such a key is almost surely a mistake.
    pub(crate) fn warn_keys(&mut self, pairs: &[(Node, Node)], allowed: &[&str], what: &str) {
        for (key, _) in pairs {
            let name = key.as_str().unwrap_or_default();
            if allowed.contains(&name) {
                continue;
            }
            let hint = match did_you_mean(name, allowed.iter().copied()) {
                Some(s) => format!("did you mean `{s}`? GitHub ignores unknown keys here"),
                None if allowed.is_empty() => {
                    format!("{what} takes no settings; GitHub ignores them")
                }
                None => format!("GitHub ignores it; {what} takes {}", list(allowed)),
            };
            self.diagnostics.push(
                Diagnostic::warning(
                    "unknown-key",
                    key.span,
                    format!("unknown key `{name}` in {what}"),
                )
                .with_hint(hint),
            );
        }
    }

    /// Any scalar, read as text. Null is refused: `name:` with nothing after it is a mistake.
    fn string(&mut self, node: &Node, what: &str) -> Option<Spanned<String>> {
        match &node.kind {
            NodeKind::Scalar(s) if !node.is_null() => {
                Some(Spanned::new(s.value.clone(), node.span))
            }
            _ => {
                self.type_error(node, what, "a string");
                None
            }
        }
    }

    /// A string or a sequence of strings.
    fn string_list(&mut self, node: &Node, what: &str) -> Option<Vec<Spanned<String>>> {
        match &node.kind {
            NodeKind::Sequence(items) => {
                Some(items.iter().filter_map(|i| self.string(i, what)).collect())
            }
            NodeKind::Scalar(_) => self.string(node, what).map(|s| vec![s]),
            NodeKind::Mapping(_) => {
                self.type_error(node, what, "a string or a sequence of strings");
                None
            }
        }
    }

    fn string_sequence(&mut self, node: &Node, what: &str) -> Option<Vec<Spanned<String>>> {
        match &node.kind {
            NodeKind::Sequence(items) => {
                Some(items.iter().filter_map(|i| self.string(i, what)).collect())
            }
            _ => {
                self.type_error(node, what, "a sequence of strings");
                None
            }
        }
    }

    /// `true`/`false` or an expression.
    fn bool_or_expr(&mut self, node: &Node, what: &str) -> Option<Node> {
        if node.as_bool().is_some() || is_expression(node) {
            return Some(node.clone());
        }
        self.type_error(node, what, "a boolean or a `${{ }}` expression");
        None
    }

    /// A number or an expression.
    fn number_or_expr(&mut self, node: &Node, what: &str) -> Option<Node> {
        if node.as_number().is_some() || is_expression(node) {
            return Some(node.clone());
        }
        self.type_error(node, what, "a number or a `${{ }}` expression");
        None
    }

    /// Records every scalar under `node` that holds `${{`.
    fn site(&mut self, node: &Node, location: Location, job: Option<&str>, step: Option<usize>) {
        match &node.kind {
            NodeKind::Scalar(s) => {
                if s.value.contains("${{") {
                    self.sites.push(ExprSite {
                        location,
                        node: node.clone(),
                        job: job.map(str::to_owned),
                        step,
                        is_condition: false,
                    });
                }
            }
            NodeKind::Sequence(items) => {
                for i in items {
                    self.site(i, location, job, step);
                }
            }
            NodeKind::Mapping(pairs) => {
                for (_, v) in pairs {
                    self.site(v, location, job, step);
                }
            }
        }
    }

    fn condition(
        &mut self,
        node: &Node,
        location: Location,
        job: Option<&str>,
        step: Option<usize>,
    ) -> Option<Spanned<String>> {
        // `if: true` is a boolean scalar; GitHub accepts it as the condition `true`.
        let s = match &node.kind {
            NodeKind::Scalar(s) if !node.is_null() => Spanned::new(s.value.clone(), node.span),
            _ => {
                self.type_error(node, "`if`", "an expression");
                return None;
            }
        };
        self.sites.push(ExprSite {
            location,
            node: node.clone(),
            job: job.map(str::to_owned),
            step,
            is_condition: true,
        });
        Some(s)
    }

    fn env(
        &mut self,
        node: &Node,
        what: &str,
        location: Location,
        job: Option<&str>,
        step: Option<usize>,
    ) -> IndexMap<String, Spanned<String>> {
        let mut out = IndexMap::new();
        if is_expression(node) {
            // `env: ${{ fromJSON(...) }}` is allowed.
            self.site(node, location, job, step);
            return out;
        }
        let Some(pairs) = self.mapping(node, what) else {
            return out;
        };
        for (k, v) in pairs {
            let name = k.as_str().unwrap_or_default().to_owned();
            if v.as_mapping().is_some() || v.as_sequence().is_some() {
                self.type_error(v, &format!("environment variable `{name}`"), "a string");
                continue;
            }
            self.site(v, location, job, step);
            let text = if v.is_null() {
                String::new()
            } else {
                v.as_str().unwrap_or_default().to_owned()
            };
            out.insert(name, Spanned::new(text, v.span));
        }
        out
    }

    fn defaults(&mut self, node: &Node, what: &str, job: Option<&str>) -> RunDefaults {
        let mut out = RunDefaults::default();
        let Some(pairs) = self.mapping(node, what) else {
            return out;
        };
        self.check_keys(pairs, &["run"], what);
        let Some(run) = node.get("run") else {
            return out;
        };
        let what_run = format!("{what}.run");
        let Some(run_pairs) = self.mapping(run, &what_run) else {
            return out;
        };
        self.check_keys(
            run_pairs,
            &["shell", "working-directory"],
            &format!("`{}`", what_run.trim_matches('`')),
        );
        if let Some(v) = run.get("shell") {
            out.shell = self.string(v, "`shell`");
            self.check_shell(out.shell.as_ref());
            if job.is_some() {
                self.site(v, Location::JobDefaultsRun, job, None);
            }
        }
        if let Some(v) = run.get("working-directory") {
            out.working_directory = self.string(v, "`working-directory`");
            if job.is_some() {
                self.site(v, Location::JobDefaultsRun, job, None);
            }
        }
        out
    }

    /// A shell is one GitHub knows, or a command template with `{0}` for the script path.
    fn check_shell(&mut self, shell: Option<&Spanned<String>>) {
        let Some(shell) = shell else { return };
        // Names are matched without case (`Bash`, `PowerShell`), as the runner does; an
        // expression is only known at run time.
        let lower = shell.value.to_ascii_lowercase();
        if SHELLS.contains(&lower.as_str())
            || shell.value.contains("{0}")
            || shell.value.contains("${{")
        {
            return;
        }
        let hint = match did_you_mean(&shell.value, SHELLS.iter().copied()) {
            Some(s) => format!("did you mean `{s}`? A custom shell needs `{{0}}` where the script path goes, e.g. `perl {{0}}`"),
            None => "use one of `bash`, `sh`, `pwsh`, `python`, or a command with `{0}` for the script path, e.g. `perl {0}`".to_owned(),
        };
        self.error(
            "invalid-value",
            shell.span,
            format!("unknown shell `{}`", shell.value),
            Some(&hint),
        );
    }

    fn concurrency(
        &mut self,
        node: &Node,
        location: Location,
        job: Option<&str>,
    ) -> Option<Concurrency> {
        self.site(node, location, job, None);
        match &node.kind {
            NodeKind::Scalar(_) => self.string(node, "`concurrency`").map(|group| Concurrency {
                group,
                cancel_in_progress: None,
            }),
            NodeKind::Mapping(pairs) => {
                self.check_keys(
                    pairs,
                    &["group", "cancel-in-progress", "queue"],
                    "`concurrency`",
                );
                if let Some(q) = node.get("queue")
                    && !is_expression(q)
                    && !matches!(q.as_str(), Some("single" | "max"))
                {
                    self.error(
                        "invalid-value",
                        q.span,
                        "`concurrency.queue` must be `single` or `max`",
                        Some("`single` (the default) keeps at most one run pending; `max` queues them"),
                    );
                }
                let group = match node.get("group") {
                    Some(g) => self.string(g, "`concurrency.group`")?,
                    None => {
                        self.error(
                            "missing-key",
                            node.span,
                            "`concurrency` needs a `group`",
                            Some(
                                "add `group: ${{ github.workflow }}-${{ github.ref }}` or similar",
                            ),
                        );
                        return None;
                    }
                };
                let cancel = node
                    .get("cancel-in-progress")
                    .and_then(|c| self.bool_or_expr(c, "`cancel-in-progress`"));
                Some(Concurrency {
                    group,
                    cancel_in_progress: cancel,
                })
            }
            NodeKind::Sequence(_) => {
                self.type_error(node, "`concurrency`", "a string or a mapping with `group`");
                None
            }
        }
    }

    fn permissions(&mut self, node: &Node) {
        match &node.kind {
            NodeKind::Scalar(s) => {
                if !matches!(s.value.as_str(), "read-all" | "write-all") {
                    self.error(
                        "invalid-value",
                        node.span,
                        format!("`permissions` must be `read-all`, `write-all` or a mapping of scopes, found `{}`", s.value),
                        None,
                    );
                }
            }
            NodeKind::Mapping(pairs) => {
                let scopes: Vec<&str> = PERMISSION_SCOPES.iter().map(|(s, _)| *s).collect();
                self.check_keys(pairs, &scopes, "`permissions`");
                for (k, v) in pairs {
                    let scope = k.as_str().unwrap_or_default();
                    // OIDC tokens can only be requested, models only read, and so on.
                    let Some((_, allowed)) = PERMISSION_SCOPES.iter().find(|(s, _)| *s == scope)
                    else {
                        continue;
                    };
                    match v.as_str() {
                        Some(level) if allowed.contains(&level) => {}
                        _ => self.error(
                            "invalid-value",
                            v.span,
                            format!("permission `{scope}` must be one of {}", list(allowed)),
                            None,
                        ),
                    }
                }
            }
            NodeKind::Sequence(_) => {
                self.type_error(node, "`permissions`", "a string or a mapping")
            }
        }
    }
}

/// True when the node is a scalar holding a `${{ }}` expression.
pub(crate) fn is_expression(node: &Node) -> bool {
    node.as_str().is_some_and(|s| s.contains("${{"))
}

/// What is wrong with a job or step id, by GitHub's rules: a letter or `_`, then letters,
/// digits, `-` and `_`; fewer than 100 characters; `__` at the start is reserved.
pub(crate) fn id_problem(id: &str) -> Option<&'static str> {
    let mut chars = id.chars();
    let well_formed = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !well_formed {
        Some("an id must start with a letter or `_` and contain only letters, digits, `-` and `_`")
    } else if id.len() >= 100 {
        Some("an id must be shorter than 100 characters")
    } else if id.starts_with("__") {
        Some("ids starting with `__` are reserved by GitHub")
    } else {
        None
    }
}

pub(crate) fn list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    quoted.join(", ")
}
