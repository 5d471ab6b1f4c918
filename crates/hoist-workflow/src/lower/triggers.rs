//! `on:`: events, their filters, and the inputs, outputs and secrets of `workflow_dispatch`
//! and `workflow_call`.

use hoist_diagnostics::Span;
use hoist_yaml::{Node, NodeKind};
use indexmap::IndexMap;

use super::*;

impl Lowerer<'_> {
    /// An event named without configuration (`on: push`, `on: [push, pull_request]`).
    pub(super) fn bare_event(&mut self, t: &mut Triggers, node: &Node, what: &str) {
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

    pub(super) fn triggers(&mut self, node: &Node) -> Triggers {
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

    pub(super) fn event_name(&mut self, name: &str, span: Span) -> bool {
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

    pub(super) fn event(&mut self, name: &str, span: Span, node: &Node) -> EventTrigger {
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
                self.check_keys(pairs, &["cron", "timezone"], "a `schedule` entry");
                if let Some(tz) = item.get("timezone") {
                    self.string(tz, "`timezone`");
                }
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
        // GitHub reads every event but `workflow_call` loosely: keys it does not know are
        // ignored, so they are warnings here.
        if name == "workflow_call" {
            self.check_keys(pairs, event_keys(name), &what);
        } else {
            self.warn_keys(pairs, event_keys(name), &what);
        }
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

    pub(super) fn inputs(&mut self, event: &str, node: &Node) -> IndexMap<String, InputDef> {
        let mut out = IndexMap::new();
        let what = format!("`on.{event}.inputs`");
        // `inputs:` with nothing under it is null to GitHub: no inputs.
        if node.is_null() {
            return out;
        }
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

    pub(super) fn check_input_def(&mut self, def: &InputDef, node: &Node) {
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

    pub(super) fn call_outputs(&mut self, node: &Node) -> IndexMap<String, CallOutput> {
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

    pub(super) fn call_secrets(&mut self, node: &Node) -> IndexMap<String, SecretDef> {
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
}
