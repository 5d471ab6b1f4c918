//! `steps:`: `run` and `uses` steps, and the keys each kind accepts.

use hoist_diagnostics::Span;
use hoist_yaml::Node;
use indexmap::IndexMap;

use super::*;

impl Lowerer<'_> {
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
        // A `parallel:` group becomes its members, each a background step, and a step that
        // waits for them: the indices count the members, as the job's log shows them.
        let mut steps = Vec::new();
        for item in items {
            match item.get("parallel") {
                Some(members) => self.parallel_group(item, members, job, &mut steps),
                None => {
                    if let Some(step) = self.step(item, job, steps.len()) {
                        steps.push(step);
                    }
                }
            }
        }
        steps
    }

    /// `- parallel: [steps]` (with an optional `name`): the members run at once, and the
    /// group ends when all of them have.
    fn parallel_group(&mut self, group: &Node, members: &Node, job: &str, out: &mut Vec<Step>) {
        let what = format!(
            "the `parallel` group at step {} of job `{job}`",
            out.len() + 1
        );
        for (k, _) in group.as_mapping().unwrap_or_default() {
            let key = k.as_str().unwrap_or_default();
            if !matches!(key, "parallel" | "name") {
                self.error(
                    "invalid-step",
                    k.span,
                    format!("`{key}` does not apply to {what}"),
                    Some("a `parallel` group takes only `name`; put the key on its steps"),
                );
            }
        }
        let Some(items) = members.as_sequence() else {
            self.type_error(members, "`parallel`", "a sequence of steps");
            return;
        };
        if items.is_empty() {
            self.error(
                "missing-key",
                members.span,
                format!("{what} has no steps"),
                None,
            );
        }
        let mut indices = Vec::new();
        for item in items {
            for key in ["parallel", "background", "wait", "wait-all", "cancel"] {
                if let Some((k, _)) = item.entry(key) {
                    self.error(
                        "invalid-step",
                        k.span,
                        format!("a step of a `parallel` group cannot use `{key}`"),
                        Some(
                            "the group already runs its steps in the background and waits for them",
                        ),
                    );
                }
            }
            if let Some(mut step) = self.step(item, job, out.len()) {
                step.parallel_member = true;
                indices.push(step.index);
                out.push(step);
            }
        }
        let name = group.get("name").and_then(|n| self.string(n, "`name`"));
        out.push(Step {
            name,
            control: Some(StepControl::WaitGroup(indices)),
            ..blank_step(out.len(), group.span)
        });
    }

    pub(super) fn step(&mut self, node: &Node, job: &str, index: usize) -> Option<Step> {
        let what = format!("step {} of job `{job}`", index + 1);
        let pairs = self.mapping(node, &what)?;
        self.check_keys(pairs, STEP_KEYS, &what);
        let (j, st) = (Some(job), Some(index));
        let mut step = blank_step(index, node.span);
        for (k, v) in pairs {
            match k.as_str().unwrap_or_default() {
                "id" => {
                    step.id = self.string(v, "`id`");
                    if let Some(id) = &step.id
                        && let Some(problem) = id_problem(&id.value)
                    {
                        self.error(
                            "invalid-id",
                            id.span,
                            format!("invalid step id `{}`", id.value),
                            Some(problem),
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
                // Empty, it is null to GitHub: the default directory.
                "working-directory" if v.is_null() => {}
                "working-directory" => {
                    step.working_directory = self.string(v, "`working-directory`");
                    self.site(v, Location::StepWorkingDirectory, j, st);
                }
                "background" => step.background = self.bool_or_expr(v, "`background`"),
                "wait" => {
                    let ids = self.string_list(v, "`wait`").unwrap_or_default();
                    step.control = Some(StepControl::Wait(ids));
                }
                "wait-all" => {
                    if !v.is_null() && v.as_bool().is_none() {
                        self.type_error(v, "`wait-all`", "empty or a boolean");
                    }
                    if v.as_bool() != Some(false) {
                        step.control = Some(StepControl::WaitAll);
                    }
                }
                "cancel" => {
                    if let Some(id) = self.string(v, "`cancel`") {
                        step.control = Some(StepControl::Cancel(id));
                    }
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
        let controls: Vec<&str> = ["wait", "wait-all", "cancel"]
            .into_iter()
            .filter(|k| node.get(k).is_some())
            .collect();
        if !controls.is_empty() {
            self.control_step(node, &what, &controls, has_run || has_uses);
            return Some(step);
        }
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

    /// A `wait`, `wait-all` or `cancel` step takes only `name`, `id` and
    /// `continue-on-error` besides its own key, and exactly one of the three.
    fn control_step(&mut self, node: &Node, what: &str, controls: &[&str], runs: bool) {
        if controls.len() > 1 || runs {
            let mut found: Vec<&str> = controls.to_vec();
            found.extend(
                ["run", "uses"]
                    .into_iter()
                    .filter(|k| node.get(k).is_some()),
            );
            self.error(
                "invalid-step",
                Span::on_line(node.span.start, 1),
                format!("{what} combines {}", list(&found)),
                Some("a step runs a command, uses an action, or waits for or cancels background steps: one of these"),
            );
        }
        for (k, _) in node.as_mapping().unwrap_or_default() {
            let key = k.as_str().unwrap_or_default();
            if matches!(
                key,
                "if" | "shell"
                    | "working-directory"
                    | "with"
                    | "env"
                    | "timeout-minutes"
                    | "background"
            ) {
                self.error(
                    "invalid-step",
                    k.span,
                    format!("`{key}` does not apply to a `{}` step", controls[0]),
                    Some("such a step takes only `name`, `id` and `continue-on-error`"),
                );
            }
        }
    }
}

/// A step with nothing set but its place, for lowering to fill in.
fn blank_step(index: usize, span: Span) -> Step {
    Step {
        index,
        span,
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
        background: None,
        parallel_member: false,
        control: None,
    }
}
