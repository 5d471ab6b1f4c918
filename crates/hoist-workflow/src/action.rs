//! The metadata of an action (`action.yml`): inputs, outputs, and how it runs.

use hoist_diagnostics::{Diagnostic, Span};
use hoist_yaml::Node;
use indexmap::IndexMap;

use crate::lower::Lowerer;
use crate::model::Step;

/// A parsed `action.yml`.
#[derive(Clone, Debug)]
pub struct Action {
    pub name: Option<String>,
    pub description: Option<String>,
    pub inputs: IndexMap<String, ActionInput>,
    pub outputs: IndexMap<String, ActionOutput>,
    pub runs: ActionRuns,
}

#[derive(Clone, Debug)]
pub struct ActionInput {
    pub description: Option<String>,
    pub required: bool,
    /// May hold `${{ }}`, evaluated where the action runs.
    pub default: Option<String>,
    pub deprecation_message: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ActionOutput {
    pub description: Option<String>,
    /// Composite actions map outputs from their steps: `${{ steps.x.outputs.y }}`.
    pub value: Option<String>,
}

#[derive(Clone, Debug)]
pub enum ActionRuns {
    Composite {
        steps: Vec<Step>,
    },
    /// `node12`/`node16`/`node20`/`node24`: a script run by Node.js.
    Node {
        using: String,
        main: String,
        pre: Option<String>,
        pre_if: Option<String>,
        post: Option<String>,
        post_if: Option<String>,
    },
    Docker {
        image: String,
    },
}

/// The action, or the problems that make it unusable.
pub fn parse_action(source: &str) -> Result<Action, Vec<Diagnostic>> {
    let yaml = hoist_yaml::parse(source);
    let mut diagnostics = yaml.diagnostics;
    let action = yaml
        .root
        .as_ref()
        .and_then(|root| lower_action(root, &mut diagnostics));
    match action {
        Some(a) if !diagnostics.iter().any(Diagnostic::is_error) => Ok(a),
        _ => {
            if diagnostics.is_empty() {
                diagnostics.push(Diagnostic::error(
                    "missing-key",
                    Span::default(),
                    "the action file is empty",
                ));
            }
            Err(diagnostics)
        }
    }
}

fn text(node: Option<&Node>) -> Option<String> {
    node.and_then(Node::as_str).map(str::to_owned)
}

fn lower_action(root: &Node, diagnostics: &mut Vec<Diagnostic>) -> Option<Action> {
    let mut l = Lowerer::new(diagnostics);
    let pairs = l.mapping(root, "the action")?;
    l.check_keys(
        pairs,
        &[
            "name",
            "author",
            "description",
            "inputs",
            "outputs",
            "runs",
            "branding",
        ],
        "the action",
    );
    let mut inputs = IndexMap::new();
    if let Some(node) = root.get("inputs") {
        for (k, v) in l.mapping(node, "`inputs`").unwrap_or_default() {
            let name = k.as_str().unwrap_or_default().to_owned();
            if let Some(p) = v.as_mapping() {
                l.check_keys(
                    p,
                    &["description", "required", "default", "deprecationMessage"],
                    &format!("input `{name}`"),
                );
            }
            inputs.insert(
                name,
                ActionInput {
                    description: text(v.get("description")),
                    required: v
                        .get("required")
                        .and_then(|r| r.as_bool().or_else(|| r.as_str().map(|s| s == "true")))
                        .unwrap_or(false),
                    default: text(v.get("default")),
                    deprecation_message: text(v.get("deprecationMessage")),
                },
            );
        }
    }
    let mut outputs = IndexMap::new();
    if let Some(node) = root.get("outputs") {
        for (k, v) in l.mapping(node, "`outputs`").unwrap_or_default() {
            outputs.insert(
                k.as_str().unwrap_or_default().to_owned(),
                ActionOutput {
                    description: text(v.get("description")),
                    value: text(v.get("value")),
                },
            );
        }
    }
    let Some(runs) = root.get("runs") else {
        l.error(
            "missing-key",
            root.span,
            "the action has no `runs` section",
            Some("add `runs:` with `using: composite`, `node20` or `docker`"),
        );
        return None;
    };
    let runs_pairs = l.mapping(runs, "`runs`")?;
    let using = text(runs.get("using")).unwrap_or_default();
    let runs = match using.as_str() {
        "composite" => {
            l.check_keys(runs_pairs, &["using", "steps"], "`runs`");
            let steps_node = runs.get("steps")?;
            let steps = l.steps(steps_node, "composite");
            for (i, step) in steps.iter().enumerate() {
                if step.run.is_some() && step.shell.is_none() {
                    l.error(
                        "missing-key",
                        step.span,
                        format!("step {} of the composite action runs a command but has no `shell`", i + 1),
                        Some("composite actions must say which shell runs each `run:`; add `shell: bash`"),
                    );
                }
            }
            ActionRuns::Composite { steps }
        }
        "node12" | "node16" | "node20" | "node24" => {
            l.check_keys(
                runs_pairs,
                &["using", "main", "pre", "pre-if", "post", "post-if"],
                "`runs`",
            );
            let Some(main) = text(runs.get("main")) else {
                l.error(
                    "missing-key",
                    runs.span,
                    "a JavaScript action needs `runs.main`",
                    None,
                );
                return None;
            };
            ActionRuns::Node {
                using,
                main,
                pre: text(runs.get("pre")),
                pre_if: text(runs.get("pre-if")),
                post: text(runs.get("post")),
                post_if: text(runs.get("post-if")),
            }
        }
        "docker" => ActionRuns::Docker {
            image: text(runs.get("image")).unwrap_or_default(),
        },
        other => {
            l.error(
                "invalid-value",
                runs.get("using").map_or(runs.span, |u| u.span),
                format!("unknown `runs.using: {other}`"),
                Some("use `composite`, `node20`, `node24` or `docker`"),
            );
            return None;
        }
    };
    Some(Action {
        name: text(root.get("name")),
        description: text(root.get("description")),
        inputs,
        outputs,
        runs,
    })
}
