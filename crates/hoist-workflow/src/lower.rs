//! Lowers a YAML tree into the [`Workflow`] model, reporting structural problems: unknown keys
//! (with suggestions), values of the wrong type, missing required keys.

use hoist_diagnostics::{Diagnostic, Span};
use hoist_yaml::{Node, NodeKind};
use indexmap::IndexMap;

use crate::events::{EVENTS, event_keys};
use crate::model::*;
use crate::suggest::did_you_mean;

const WORKFLOW_KEYS: &[&str] = &[
    "name",
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
];
/// Shells GitHub runs by name; anything else must be a template containing `{0}`.
const SHELLS: &[&str] = &["bash", "sh", "pwsh", "powershell", "python", "cmd"];
const CONTAINER_KEYS: &[&str] = &["image", "credentials", "env", "ports", "volumes", "options"];
const STRATEGY_KEYS: &[&str] = &["matrix", "fail-fast", "max-parallel"];
const PERMISSION_SCOPES: &[&str] = &[
    "actions",
    "attestations",
    "checks",
    "contents",
    "deployments",
    "discussions",
    "id-token",
    "issues",
    "models",
    "packages",
    "pages",
    "pull-requests",
    "repository-projects",
    "security-events",
    "statuses",
];

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
        if SHELLS.contains(&shell.value.as_str()) || shell.value.contains("{0}") {
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
                self.check_keys(pairs, &["group", "cancel-in-progress"], "`concurrency`");
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
                self.check_keys(pairs, PERMISSION_SCOPES, "`permissions`");
                for (k, v) in pairs {
                    let scope = k.as_str().unwrap_or_default();
                    // OIDC tokens can only be requested, models only read.
                    let allowed: &[&str] = match scope {
                        "id-token" => &["write", "none"],
                        "models" => &["read", "none"],
                        _ => &["read", "write", "none"],
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

    /// An event named without configuration (`on: push`, `on: [push, pull_request]`).
    fn bare_event(&mut self, t: &mut Triggers, node: &Node, what: &str) {
        if let Some(name) = self.string(node, what) {
            self.event_name(&name.value, name.span);
            t.events.insert(
                name.value.clone(),
                EventTrigger {
                    name: name.value,
                    span: name.span,
                    ..Default::default()
                },
            );
        }
    }

    fn triggers(&mut self, node: &Node) -> Triggers {
        let mut t = Triggers {
            events: IndexMap::new(),
            span: node.span,
        };
        match &node.kind {
            NodeKind::Scalar(_) => self.bare_event(&mut t, node, "`on`"),
            NodeKind::Sequence(items) => {
                for item in items {
                    self.bare_event(&mut t, item, "an event in `on`");
                }
            }
            NodeKind::Mapping(pairs) => {
                for (k, v) in pairs {
                    let name = k.as_str().unwrap_or_default().to_owned();
                    if !self.event_name(&name, k.span) {
                        continue;
                    }
                    let trigger = self.event(&name, k.span, v);
                    t.events.insert(name, trigger);
                }
            }
        }
        t
    }

    fn event_name(&mut self, name: &str, span: Span) -> bool {
        if EVENTS.contains(&name) {
            return true;
        }
        let hint = did_you_mean(name, EVENTS.iter().copied())
            .map(|s| format!("did you mean `{s}`?"))
            .unwrap_or_else(|| {
                "see the list of events that trigger workflows in GitHub's documentation".to_owned()
            });
        self.error(
            "unknown-event",
            span,
            format!("unknown event `{name}`"),
            Some(&hint),
        );
        false
    }

    fn event(&mut self, name: &str, span: Span, node: &Node) -> EventTrigger {
        let mut e = EventTrigger {
            name: name.to_owned(),
            span,
            ..Default::default()
        };
        if node.is_null() {
            return e;
        }
        if name == "schedule" {
            let Some(items) = node.as_sequence() else {
                self.type_error(node, "`schedule`", "a sequence of `- cron: '...'` entries");
                return e;
            };
            for item in items {
                let Some(pairs) = self.mapping(item, "a `schedule` entry") else {
                    continue;
                };
                self.check_keys(pairs, &["cron"], "a `schedule` entry");
                match item.get("cron") {
                    Some(c) => {
                        if let Some(s) = self.string(c, "`cron`") {
                            e.crons.push(s);
                        }
                    }
                    None => self.error(
                        "missing-key",
                        item.span,
                        "a `schedule` entry needs `cron`",
                        None,
                    ),
                }
            }
            return e;
        }
        let what = format!("`on.{name}`");
        let Some(pairs) = self.mapping(node, &what) else {
            return e;
        };
        self.check_keys(pairs, event_keys(name), &what);
        for (k, v) in pairs {
            let key = k.as_str().unwrap_or_default();
            let key_what = format!("`on.{name}.{key}`");
            match key {
                "types" => e.types = self.string_list(v, &key_what).unwrap_or_default(),
                "branches" => e.branches = self.string_list(v, &key_what),
                "branches-ignore" => e.branches_ignore = self.string_list(v, &key_what),
                "tags" => e.tags = self.string_list(v, &key_what),
                "tags-ignore" => e.tags_ignore = self.string_list(v, &key_what),
                "paths" => e.paths = self.string_list(v, &key_what),
                "paths-ignore" => e.paths_ignore = self.string_list(v, &key_what),
                "workflows" => e.workflows = self.string_list(v, &key_what).unwrap_or_default(),
                "inputs" => e.inputs = self.inputs(name, v),
                "outputs" => e.outputs = self.call_outputs(v),
                "secrets" => e.secrets = self.call_secrets(v),
                _ => {}
            }
        }
        for (a, b) in [
            ("branches", "branches-ignore"),
            ("tags", "tags-ignore"),
            ("paths", "paths-ignore"),
        ] {
            if let (Some((ka, _)), Some(_)) = (node.entry(a), node.get(b)) {
                self.error(
                    "conflicting-filters",
                    ka.span,
                    format!("`{a}` and `{b}` cannot both be used for the same event"),
                    Some(&format!(
                        "use `{a}` with `!`-negated patterns instead of `{b}`"
                    )),
                );
            }
        }
        e
    }

    fn inputs(&mut self, event: &str, node: &Node) -> IndexMap<String, InputDef> {
        let mut out = IndexMap::new();
        let what = format!("`on.{event}.inputs`");
        let Some(pairs) = self.mapping(node, &what) else {
            return out;
        };
        let is_call = event == "workflow_call";
        for (k, v) in pairs {
            let name = k.as_str().unwrap_or_default().to_owned();
            let input_what = format!("input `{name}`");
            let mut def = InputDef {
                name: name.clone(),
                span: k.span,
                description: None,
                required: false,
                default: None,
                kind: InputType::String,
                options: Vec::new(),
            };
            if v.is_null() {
                out.insert(name, def);
                continue;
            }
            let Some(ipairs) = self.mapping(v, &input_what) else {
                continue;
            };
            let allowed: &[&str] = if is_call {
                &["description", "required", "default", "type"]
            } else {
                &["description", "required", "default", "type", "options"]
            };
            self.check_keys(ipairs, allowed, &input_what);
            if let Some(d) = v.get("description") {
                def.description = self.string(d, "`description`").map(|s| s.value);
            }
            if let Some(r) = v.get("required") {
                match r.as_bool() {
                    Some(b) => def.required = b,
                    None => self.type_error(r, "`required`", "a boolean"),
                }
            }
            if let Some(t) = v.get("type") {
                let types: &[&str] = if is_call {
                    &["string", "boolean", "number"]
                } else {
                    &["string", "boolean", "number", "choice", "environment"]
                };
                match t.as_str() {
                    Some(s) if types.contains(&s) => {
                        def.kind = match s {
                            "boolean" => InputType::Boolean,
                            "number" => InputType::Number,
                            "choice" => InputType::Choice,
                            "environment" => InputType::Environment,
                            _ => InputType::String,
                        };
                    }
                    _ => self.error(
                        "invalid-value",
                        t.span,
                        format!("the type of {input_what} must be one of {}", list(types)),
                        None,
                    ),
                }
            } else if is_call {
                self.error(
                    "missing-key",
                    k.span,
                    format!("{input_what} of `workflow_call` needs a `type`"),
                    Some("add `type: string`, `type: boolean` or `type: number`"),
                );
            }
            if let Some(o) = v.get("options") {
                def.options = self.string_sequence(o, "`options`").unwrap_or_default();
            }
            if let Some(d) = v.get("default") {
                if is_call {
                    self.site(d, Location::CallInputDefault, None, None);
                }
                def.default = Some(d.clone());
            }
            self.check_input_def(&def, v);
            out.insert(name, def);
        }
        out
    }

    fn check_input_def(&mut self, def: &InputDef, node: &Node) {
        if def.kind == InputType::Choice && def.options.is_empty() {
            self.error(
                "invalid-value",
                def.span,
                format!(
                    "choice input `{}` needs a non-empty `options` list",
                    def.name
                ),
                None,
            );
        }
        if def.kind != InputType::Choice && node.get("options").is_some() {
            self.error(
                "invalid-value",
                def.span,
                format!(
                    "input `{}` has `options` but its type is not `choice`",
                    def.name
                ),
                Some("add `type: choice`"),
            );
        }
        let Some(default) = &def.default else { return };
        if is_expression(default) {
            return;
        }
        match def.kind {
            InputType::Boolean if default.as_bool().is_none() => self.error(
                "type-mismatch",
                default.span,
                format!(
                    "the default of boolean input `{}` must be `true` or `false`",
                    def.name
                ),
                None,
            ),
            InputType::Number if default.as_number().is_none() => self.error(
                "type-mismatch",
                default.span,
                format!(
                    "the default of number input `{}` must be a number",
                    def.name
                ),
                None,
            ),
            InputType::Choice => {
                let value = default.as_str().unwrap_or_default();
                if !def.options.iter().any(|o| o.value == value) {
                    self.error(
                        "invalid-value",
                        default.span,
                        format!(
                            "the default `{value}` of choice input `{}` is not one of its options",
                            def.name
                        ),
                        Some(&format!(
                            "options are {}",
                            list(
                                &def.options
                                    .iter()
                                    .map(|o| o.value.as_str())
                                    .collect::<Vec<_>>()
                            )
                        )),
                    );
                }
            }
            _ => {}
        }
    }

    fn call_outputs(&mut self, node: &Node) -> IndexMap<String, CallOutput> {
        let mut out = IndexMap::new();
        let Some(pairs) = self.mapping(node, "`on.workflow_call.outputs`") else {
            return out;
        };
        for (k, v) in pairs {
            let name = k.as_str().unwrap_or_default().to_owned();
            let what = format!("output `{name}`");
            let Some(opairs) = self.mapping(v, &what) else {
                continue;
            };
            self.check_keys(opairs, &["description", "value"], &what);
            let value = v.get("value").and_then(|x| self.string(x, "`value`"));
            if let Some(x) = v.get("value") {
                self.site(x, Location::CallOutputValue, None, None);
            } else {
                self.error(
                    "missing-key",
                    k.span,
                    format!("{what} of `workflow_call` needs a `value`"),
                    None,
                );
            }
            let description = v
                .get("description")
                .and_then(|d| self.string(d, "`description`"))
                .map(|s| s.value);
            out.insert(
                name.clone(),
                CallOutput {
                    name,
                    span: k.span,
                    description,
                    value,
                },
            );
        }
        out
    }

    fn call_secrets(&mut self, node: &Node) -> IndexMap<String, SecretDef> {
        let mut out = IndexMap::new();
        let Some(pairs) = self.mapping(node, "`on.workflow_call.secrets`") else {
            return out;
        };
        for (k, v) in pairs {
            let name = k.as_str().unwrap_or_default().to_owned();
            let mut required = false;
            if !v.is_null() {
                let what = format!("secret `{name}`");
                if let Some(spairs) = self.mapping(v, &what) {
                    self.check_keys(spairs, &["description", "required"], &what);
                    if let Some(r) = v.get("required") {
                        match r.as_bool() {
                            Some(b) => required = b,
                            None => self.type_error(r, "`required`", "a boolean"),
                        }
                    }
                }
            }
            out.insert(
                name.clone(),
                SecretDef {
                    name,
                    span: k.span,
                    required,
                },
            );
        }
        out
    }

    fn jobs(&mut self, node: &Node) -> IndexMap<String, Job> {
        let mut out = IndexMap::new();
        let Some(pairs) = self.mapping(node, "`jobs`") else {
            return out;
        };
        if pairs.is_empty() {
            self.error(
                "missing-key",
                node.span,
                "`jobs` is empty",
                Some("add at least one job"),
            );
        }
        for (k, v) in pairs {
            let id = k.as_str().unwrap_or_default().to_owned();
            if !is_valid_id(&id) {
                self.error(
                    "invalid-id",
                    k.span,
                    format!("invalid job id `{id}`"),
                    Some("a job id must start with a letter or `_` and contain only letters, digits, `-` and `_`"),
                );
            }
            if let Some(job) = self.job(&id, k.span, v) {
                out.insert(id, job);
            }
        }
        out
    }

    fn job(&mut self, id: &str, id_span: Span, node: &Node) -> Option<Job> {
        let what = format!("job `{id}`");
        let pairs = self.mapping(node, &what)?;
        let uses = node.get("uses");
        self.check_keys(
            pairs,
            if uses.is_some() {
                CALLER_JOB_KEYS
            } else {
                JOB_KEYS
            },
            &what,
        );
        let j = Some(id);
        let mut job = Job {
            id: id.to_owned(),
            id_span,
            name: None,
            needs: Vec::new(),
            condition: None,
            runs_on: None,
            environment: None,
            outputs: IndexMap::new(),
            env: IndexMap::new(),
            defaults: RunDefaults::default(),
            timeout_minutes: None,
            continue_on_error: None,
            concurrency: None,
            permissions: None,
            container: None,
            services: IndexMap::new(),
            strategy: None,
            steps: Vec::new(),
            uses: None,
            with: IndexMap::new(),
            secrets: None,
        };
        for (k, v) in pairs {
            match k.as_str().unwrap_or_default() {
                "name" => {
                    job.name = self.string(v, "`name`");
                    self.site(v, Location::JobName, j, None);
                }
                "needs" => job.needs = self.string_list(v, "`needs`").unwrap_or_default(),
                "if" => job.condition = self.condition(v, Location::JobIf, j, None),
                "runs-on" => {
                    self.runs_on(v);
                    self.site(v, Location::JobRunsOn, j, None);
                    job.runs_on = Some(v.clone());
                }
                "environment" => job.environment = self.environment(v, id),
                "outputs" => {
                    if let Some(opairs) = self.mapping(v, "`outputs`") {
                        for (ok, ov) in opairs {
                            if let Some(s) = self.string(ov, "an output value") {
                                self.site(ov, Location::JobOutputs, j, None);
                                job.outputs
                                    .insert(ok.as_str().unwrap_or_default().to_owned(), s);
                            }
                        }
                    }
                }
                "env" => job.env = self.env(v, "`env`", Location::JobEnv, j, None),
                "defaults" => job.defaults = self.defaults(v, "`defaults`", j),
                "timeout-minutes" => {
                    job.timeout_minutes = self.number_or_expr(v, "`timeout-minutes`");
                    self.site(v, Location::JobTimeoutMinutes, j, None);
                }
                "continue-on-error" => {
                    job.continue_on_error = self.bool_or_expr(v, "`continue-on-error`");
                    self.site(v, Location::JobContinueOnError, j, None);
                }
                "concurrency" => job.concurrency = self.concurrency(v, Location::JobConcurrency, j),
                "permissions" => {
                    self.permissions(v);
                    job.permissions = Some(v.clone());
                }
                "container" => {
                    job.container = self.container(v, "`container`", id, false);
                }
                "services" => {
                    if let Some(spairs) = self.mapping(v, "`services`") {
                        for (sk, sv) in spairs {
                            let sname = sk.as_str().unwrap_or_default().to_owned();
                            if let Some(c) =
                                self.container(sv, &format!("service `{sname}`"), id, true)
                            {
                                job.services.insert(sname, c);
                            }
                        }
                    }
                }
                "strategy" => job.strategy = self.strategy(v, id),
                "steps" => job.steps = self.steps(v, id),
                "uses" => job.uses = self.string(v, "`uses`"),
                "with" => {
                    if let Some(wpairs) = self.mapping(v, "`with`") {
                        for (wk, wv) in wpairs {
                            self.site(wv, Location::JobWith, j, None);
                            job.with.insert(
                                wk.as_str().unwrap_or_default().to_owned(),
                                (wk.span, wv.clone()),
                            );
                        }
                    }
                }
                "secrets" => job.secrets = self.job_secrets(v, id),
                _ => {}
            }
        }
        if job.uses.is_none() {
            if job.runs_on.is_none() {
                self.error(
                    "missing-key",
                    id_span,
                    format!("job `{id}` has no `runs-on`"),
                    Some("add `runs-on: ubuntu-latest` (or the labels of your runners)"),
                );
            }
            if node.get("steps").is_none() {
                self.error(
                    "missing-key",
                    id_span,
                    format!("job `{id}` has no `steps`"),
                    Some("add `steps:`, or `uses:` to call a reusable workflow"),
                );
            }
        }
        Some(job)
    }

    fn runs_on(&mut self, node: &Node) {
        match &node.kind {
            NodeKind::Scalar(_) => {
                self.string(node, "`runs-on`");
            }
            NodeKind::Sequence(_) => {
                self.string_sequence(node, "`runs-on`");
            }
            NodeKind::Mapping(pairs) => {
                self.check_keys(pairs, &["group", "labels"], "`runs-on`");
                if let Some(l) = node.get("labels") {
                    self.string_list(l, "`runs-on.labels`");
                }
                if let Some(g) = node.get("group") {
                    self.string(g, "`runs-on.group`");
                }
            }
        }
    }

    fn environment(&mut self, node: &Node, job: &str) -> Option<Environment> {
        let j = Some(job);
        match &node.kind {
            NodeKind::Scalar(_) => {
                self.site(node, Location::JobEnvironment, j, None);
                self.string(node, "`environment`")
                    .map(|name| Environment { name, url: None })
            }
            NodeKind::Mapping(pairs) => {
                self.check_keys(pairs, &["name", "url", "deployment"], "`environment`");
                let name = match node.get("name") {
                    Some(n) => {
                        self.site(n, Location::JobEnvironment, j, None);
                        self.string(n, "`environment.name`")?
                    }
                    None => {
                        self.error(
                            "missing-key",
                            node.span,
                            "`environment` needs a `name`",
                            None,
                        );
                        return None;
                    }
                };
                let url = node.get("url").and_then(|u| {
                    self.site(u, Location::JobEnvironmentUrl, j, None);
                    self.string(u, "`environment.url`")
                });
                Some(Environment { name, url })
            }
            NodeKind::Sequence(_) => {
                self.type_error(
                    node,
                    "`environment`",
                    "a string or a mapping with `name` and `url`",
                );
                None
            }
        }
    }

    fn container(
        &mut self,
        node: &Node,
        what: &str,
        job: &str,
        service: bool,
    ) -> Option<Container> {
        let j = Some(job);
        let (loc, cred_loc, env_loc) = if service {
            (
                Location::JobServices,
                Location::JobServiceCredentials,
                Location::JobServiceEnv,
            )
        } else {
            (
                Location::JobContainer,
                Location::JobContainerCredentials,
                Location::JobContainerEnv,
            )
        };
        if let NodeKind::Scalar(_) = node.kind {
            self.site(node, loc, j, None);
            let image = self.string(node, what)?;
            return Some(Container {
                image: Some(image),
                credentials: None,
                env: IndexMap::new(),
                ports: Vec::new(),
                volumes: Vec::new(),
                options: None,
                span: node.span,
            });
        }
        let pairs = self.mapping(node, what)?;
        self.check_keys(pairs, CONTAINER_KEYS, what);
        let mut c = Container {
            image: None,
            credentials: None,
            env: IndexMap::new(),
            ports: Vec::new(),
            volumes: Vec::new(),
            options: None,
            span: node.span,
        };
        for (k, v) in pairs {
            match k.as_str().unwrap_or_default() {
                "image" => {
                    self.site(v, loc, j, None);
                    c.image = self.string(v, "`image`");
                }
                "credentials" => {
                    if let Some(cp) = self.mapping(v, "`credentials`") {
                        self.check_keys(cp, &["username", "password"], "`credentials`");
                    }
                    self.site(v, cred_loc, j, None);
                    c.credentials = Some(v.clone());
                }
                "env" => c.env = self.env(v, "`env`", env_loc, j, None),
                "ports" => {
                    self.site(v, loc, j, None);
                    c.ports = self.string_sequence(v, "`ports`").unwrap_or_default();
                }
                "volumes" => {
                    self.site(v, loc, j, None);
                    c.volumes = self.string_sequence(v, "`volumes`").unwrap_or_default();
                }
                "options" => {
                    self.site(v, loc, j, None);
                    c.options = self.string(v, "`options`");
                }
                _ => {}
            }
        }
        if c.image.is_none() && !service {
            self.error(
                "missing-key",
                node.span,
                format!("{what} needs an `image`"),
                None,
            );
        }
        if c.image.is_none() && service {
            self.error(
                "missing-key",
                node.span,
                format!("{what} needs an `image`"),
                None,
            );
        }
        Some(c)
    }

    fn strategy(&mut self, node: &Node, job: &str) -> Option<Strategy> {
        let j = Some(job);
        if is_expression(node) {
            self.site(node, Location::JobStrategy, j, None);
            return Some(Strategy {
                matrix: Some(Matrix::Expression(Spanned::new(
                    node.as_str().unwrap_or_default().to_owned(),
                    node.span,
                ))),
                fail_fast: None,
                max_parallel: None,
            });
        }
        let pairs = self.mapping(node, "`strategy`")?;
        self.check_keys(pairs, STRATEGY_KEYS, "`strategy`");
        let mut s = Strategy {
            matrix: None,
            fail_fast: None,
            max_parallel: None,
        };
        for (k, v) in pairs {
            match k.as_str().unwrap_or_default() {
                "matrix" => {
                    self.site(v, Location::JobStrategy, j, None);
                    s.matrix = self.matrix(v);
                }
                "fail-fast" => {
                    self.site(v, Location::JobStrategy, j, None);
                    s.fail_fast = self.bool_or_expr(v, "`fail-fast`");
                }
                "max-parallel" => {
                    self.site(v, Location::JobStrategy, j, None);
                    s.max_parallel = self.number_or_expr(v, "`max-parallel`");
                }
                _ => {}
            }
        }
        Some(s)
    }

    fn matrix(&mut self, node: &Node) -> Option<Matrix> {
        if is_expression(node) {
            return Some(Matrix::Expression(Spanned::new(
                node.as_str().unwrap_or_default().to_owned(),
                node.span,
            )));
        }
        let pairs = self.mapping(node, "`matrix`")?;
        let mut dims = IndexMap::new();
        let mut include = None;
        let mut exclude = None;
        for (k, v) in pairs {
            let key = k.as_str().unwrap_or_default();
            match key {
                "include" | "exclude" => {
                    let ok = is_expression(v)
                        || v.as_sequence().is_some_and(|items| {
                            items
                                .iter()
                                .all(|i| i.as_mapping().is_some() || is_expression(i))
                        });
                    if !ok {
                        self.type_error(v, &format!("`matrix.{key}`"), "a sequence of mappings");
                        continue;
                    }
                    if key == "include" {
                        include = Some(v.clone());
                    } else {
                        exclude = Some(v.clone());
                    }
                }
                _ => {
                    if v.as_sequence().is_none() && !is_expression(v) {
                        self.type_error(
                            v,
                            &format!("matrix dimension `{key}`"),
                            "a sequence of values or a `${{ }}` expression",
                        );
                        continue;
                    }
                    if v.as_sequence().is_some_and(<[Node]>::is_empty) {
                        self.error(
                            "invalid-matrix",
                            v.span,
                            format!("matrix dimension `{key}` has no values"),
                            Some(
                                "an empty dimension would produce no jobs; remove it or add values",
                            ),
                        );
                    }
                    dims.insert(key.to_owned(), v.clone());
                }
            }
        }
        Some(Matrix::Dimensions {
            dims,
            include,
            exclude,
            span: node.span,
        })
    }

    fn job_secrets(&mut self, node: &Node, job: &str) -> Option<JobSecrets> {
        if node.as_str() == Some("inherit") {
            return Some(JobSecrets::Inherit(node.span));
        }
        let pairs = self.mapping(node, "`secrets`")?;
        let mut out = IndexMap::new();
        for (k, v) in pairs {
            self.site(v, Location::JobSecrets, Some(job), None);
            if let Some(s) = self.string(v, "a secret value") {
                out.insert(k.as_str().unwrap_or_default().to_owned(), s);
            }
        }
        Some(JobSecrets::Map(out))
    }

    pub(crate) fn steps(&mut self, node: &Node, job: &str) -> Vec<Step> {
        let Some(items) = node.as_sequence() else {
            self.type_error(node, "`steps`", "a sequence of steps");
            return Vec::new();
        };
        if items.is_empty() {
            self.error(
                "missing-key",
                node.span,
                format!("job `{job}` has an empty `steps` list"),
                None,
            );
        }
        items
            .iter()
            .enumerate()
            .filter_map(|(i, s)| self.step(s, job, i))
            .collect()
    }

    fn step(&mut self, node: &Node, job: &str, index: usize) -> Option<Step> {
        let what = format!("step {} of job `{job}`", index + 1);
        let pairs = self.mapping(node, &what)?;
        self.check_keys(pairs, STEP_KEYS, &what);
        let (j, st) = (Some(job), Some(index));
        let mut step = Step {
            index,
            span: node.span,
            id: None,
            name: None,
            condition: None,
            run: None,
            shell: None,
            working_directory: None,
            uses: None,
            with: IndexMap::new(),
            env: IndexMap::new(),
            continue_on_error: None,
            timeout_minutes: None,
        };
        for (k, v) in pairs {
            match k.as_str().unwrap_or_default() {
                "id" => {
                    step.id = self.string(v, "`id`");
                    if let Some(id) = &step.id
                        && !is_valid_id(&id.value)
                    {
                        self.error(
                                "invalid-id",
                                id.span,
                                format!("invalid step id `{}`", id.value),
                                Some("a step id must start with a letter or `_` and contain only letters, digits, `-` and `_`"),
                            );
                    }
                }
                "name" => {
                    step.name = self.string(v, "`name`");
                    self.site(v, Location::StepName, j, st);
                }
                "if" => step.condition = self.condition(v, Location::StepIf, j, st),
                "run" => {
                    step.run = self.string(v, "`run`");
                    self.site(v, Location::StepRun, j, st);
                }
                "shell" => {
                    step.shell = self.string(v, "`shell`");
                    self.check_shell(step.shell.as_ref());
                }
                "working-directory" => {
                    step.working_directory = self.string(v, "`working-directory`");
                    self.site(v, Location::StepWorkingDirectory, j, st);
                }
                "uses" => {
                    if let Some(s) = self.string(v, "`uses`") {
                        match crate::action_ref::parse_action_ref(&s.value) {
                            Ok(r) => step.uses = Some(Spanned::new(r, s.span)),
                            Err(msg) => self.error("invalid-uses", s.span, msg, Some("use `./path`, `owner/repo@ref`, `owner/repo/path@ref` or `docker://image`")),
                        }
                    }
                }
                "with" => {
                    if let Some(wpairs) = self.mapping(v, "`with`") {
                        for (wk, wv) in wpairs {
                            self.site(wv, Location::StepWith, j, st);
                            step.with.insert(
                                wk.as_str().unwrap_or_default().to_owned(),
                                (wk.span, wv.clone()),
                            );
                        }
                    }
                }
                "env" => step.env = self.env(v, "`env`", Location::StepEnv, j, st),
                "continue-on-error" => {
                    step.continue_on_error = self.bool_or_expr(v, "`continue-on-error`");
                    self.site(v, Location::StepContinueOnError, j, st);
                }
                "timeout-minutes" => {
                    step.timeout_minutes = self.number_or_expr(v, "`timeout-minutes`");
                    self.site(v, Location::StepTimeoutMinutes, j, st);
                }
                _ => {}
            }
        }
        let has_run = node.get("run").is_some();
        let has_uses = node.get("uses").is_some();
        if has_run && has_uses {
            self.error(
                "invalid-step",
                node.span,
                format!("{what} has both `run` and `uses`"),
                Some("a step either runs a command or uses an action; split it in two"),
            );
        } else if !has_run && !has_uses {
            self.error(
                "invalid-step",
                Span::on_line(node.span.start, 1),
                format!("{what} has neither `run` nor `uses`"),
                Some("add `run:` with a command or `uses:` with an action"),
            );
        }
        if has_uses {
            if let Some((k, _)) = node.entry("shell") {
                self.error(
                    "invalid-step",
                    k.span,
                    "`shell` only applies to `run` steps",
                    None,
                );
            }
            if let Some((k, _)) = node.entry("working-directory") {
                self.error(
                    "invalid-step",
                    k.span,
                    "`working-directory` only applies to `run` steps",
                    None,
                );
            }
        }
        if has_run && let Some((k, _)) = node.entry("with") {
            self.error(
                "invalid-step",
                k.span,
                "`with` only applies to `uses` steps",
                Some("pass values to a `run` step through `env`"),
            );
        }
        Some(step)
    }
}

/// True when the node is a scalar holding a `${{ }}` expression.
pub(crate) fn is_expression(node: &Node) -> bool {
    node.as_str().is_some_and(|s| s.contains("${{"))
}

/// Job and step ids: a letter or `_`, then letters, digits, `-` and `_`.
pub(crate) fn is_valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub(crate) fn list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    quoted.join(", ")
}
