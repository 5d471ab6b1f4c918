//! `jobs:`: each job's keys, `runs-on`, `environment` and the secrets passed to a called
//! workflow.

use hoist_diagnostics::Span;
use hoist_yaml::{Node, NodeKind};
use indexmap::IndexMap;

use super::*;

impl Lowerer<'_> {
    pub(super) fn jobs(&mut self, node: &Node) -> IndexMap<String, Job> {
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
        let mut seen: Vec<&str> = Vec::new();
        for (k, v) in pairs {
            let id = k.as_str().unwrap_or_default().to_owned();
            if let Some(problem) = id_problem(&id) {
                self.error(
                    "invalid-id",
                    k.span,
                    format!("invalid job id `{id}`"),
                    Some(problem),
                );
            }
            // GitHub compares job ids without case: `Build` and `build` are one job twice.
            if let Some(other) = seen.iter().find(|s| s.eq_ignore_ascii_case(&id)) {
                self.error(
                    "duplicate-job-id",
                    k.span,
                    format!("job id `{id}` differs from `{other}` only in case; GitHub reads them as the same job"),
                    Some("give one of them another id"),
                );
            }
            seen.push(k.as_str().unwrap_or_default());
            if let Some(job) = self.job(&id, k.span, v) {
                out.insert(id, job);
            }
        }
        out
    }

    pub(super) fn job(&mut self, id: &str, id_span: Span, node: &Node) -> Option<Job> {
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

    pub(super) fn runs_on(&mut self, node: &Node) {
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
                if let Some(g) = node.get("group")
                    && let Some(group) = self.string(g, "`runs-on.group`")
                    && !group.value.contains("${{")
                {
                    self.runner_group(&group);
                }
            }
        }
    }

    /// A runner group is a name, or `organization/NAME` / `enterprise/NAME` (also `org/`,
    /// `ent/`) to pick one of that level, as GitHub's parser requires.
    fn runner_group(&mut self, group: &Spanned<String>) {
        let parts: Vec<&str> = group.value.split('/').collect();
        let problem = match parts.as_slice() {
            [""] => Some("a runner group needs a name"),
            [_] => None,
            [level, name] if ["org", "organization", "ent", "enterprise"].contains(level) => name
                .is_empty()
                .then_some("the group's name is missing after the `/`"),
            _ => Some(
                "use a group name, or prefix it with `organization/` or `enterprise/` to pick a group of that level",
            ),
        };
        if let Some(problem) = problem {
            self.error(
                "invalid-value",
                group.span,
                format!("invalid runner group `{}`", group.value),
                Some(problem),
            );
        }
    }

    pub(super) fn environment(&mut self, node: &Node, job: &str) -> Option<Environment> {
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

    pub(super) fn job_secrets(&mut self, node: &Node, job: &str) -> Option<JobSecrets> {
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
}
