//! Deciding whether an event starts a workflow, and why not when it does not.

use indexmap::IndexMap;

use crate::filter::Filter;
use crate::model::{EventTrigger, InputType, Workflow};

/// An event as the engine sees it: what happened, on which ref, touching which files.
#[derive(Clone, Debug, Default)]
pub struct Event {
    /// `push`, `pull_request`, `workflow_dispatch`, ...
    pub name: String,
    /// The activity type (`opened`, `published`, ...), for events that have one.
    pub action: Option<String>,
    /// The full ref: `refs/heads/main`, `refs/tags/v1.2.0`.
    pub git_ref: Option<String>,
    /// For pull requests: the base branch name (`main`).
    pub base_ref: Option<String>,
    /// Files changed by the event, relative to the repository root; `None` when unknown.
    pub changed_paths: Option<Vec<String>>,
    /// For `workflow_run`: the name of the workflow that completed.
    pub workflow_name: Option<String>,
}

/// The verdict for one workflow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Run,
    Skip(String),
}

/// The activity types a `pull_request` runs for when `types` is not given.
const DEFAULT_PR_TYPES: &[&str] = &["opened", "synchronize", "reopened"];

/// Whether `workflow` runs for `event`; when not, a sentence saying which filter stopped it.
pub fn decide(workflow: &Workflow, event: &Event) -> Decision {
    let Some(trigger) = workflow.on.events.get(&event.name) else {
        let listens: Vec<&str> = workflow.on.events.keys().map(String::as_str).collect();
        return Decision::Skip(format!(
            "it does not listen to `{}` (it runs on {})",
            event.name,
            if listens.is_empty() {
                "nothing".to_owned()
            } else {
                crate::lower::list(&listens)
            }
        ));
    };
    if let Some(reason) = check_types(trigger, event) {
        return Decision::Skip(reason);
    }
    let result = match event.name.as_str() {
        "push" => check_push(trigger, event),
        "pull_request" | "pull_request_target" => check_pull_request(trigger, event),
        "workflow_run" => check_workflow_run(trigger, event),
        _ => Ok(()),
    };
    match result {
        Ok(()) => Decision::Run,
        Err(reason) => Decision::Skip(reason),
    }
}

fn check_types(trigger: &EventTrigger, event: &Event) -> Option<String> {
    let action = event.action.as_deref()?;
    let types: Vec<&str> = if trigger.types.is_empty() {
        if matches!(event.name.as_str(), "pull_request" | "pull_request_target") {
            DEFAULT_PR_TYPES.to_vec()
        } else {
            return None;
        }
    } else {
        trigger.types.iter().map(|t| t.value.as_str()).collect()
    };
    (!types.contains(&action)).then(|| {
        format!(
            "activity type `{action}` is not among its `types` ({})",
            crate::lower::list(&types)
        )
    })
}

fn filter(patterns: &Option<Vec<crate::model::Spanned<String>>>) -> Option<Filter> {
    patterns
        .as_ref()
        .map(|p| Filter::new(p.iter().map(|s| s.value.as_str())).unwrap_or_default())
}

/// Applies an include filter (`branches`/`tags`) and an ignore filter to a ref name.
fn check_ref_filters(
    kind: &str,
    key: &str,
    name: &str,
    include: Option<Filter>,
    ignore: Option<Filter>,
) -> Result<(), String> {
    if let Some(f) = include
        && !f.selects(name)
    {
        return Err(format!("{kind} `{name}` does not match its `{key}` filter"));
    }
    if let Some(f) = ignore
        && f.selects(name)
    {
        return Err(format!(
            "{kind} `{name}` is ignored by its `{key}-ignore` filter"
        ));
    }
    Ok(())
}

fn check_paths(trigger: &EventTrigger, event: &Event) -> Result<(), String> {
    let Some(changed) = &event.changed_paths else {
        return Ok(());
    };
    if let Some(f) = filter(&trigger.paths)
        && !changed.iter().any(|p| f.selects(p))
    {
        return Err(format!(
            "none of the {} changed file(s) matches its `paths` filter",
            changed.len()
        ));
    }
    if let Some(f) = filter(&trigger.paths_ignore)
        && !changed.is_empty()
        && changed.iter().all(|p| f.selects(p))
    {
        return Err(format!(
            "all {} changed file(s) match its `paths-ignore` filter",
            changed.len()
        ));
    }
    Ok(())
}

fn check_push(trigger: &EventTrigger, event: &Event) -> Result<(), String> {
    let has_branch_filter = trigger.branches.is_some() || trigger.branches_ignore.is_some();
    let has_tag_filter = trigger.tags.is_some() || trigger.tags_ignore.is_some();
    let git_ref = event.git_ref.as_deref().unwrap_or_default();
    if let Some(tag) = git_ref.strip_prefix("refs/tags/") {
        if has_tag_filter {
            return check_ref_filters(
                "tag",
                "tags",
                tag,
                filter(&trigger.tags),
                filter(&trigger.tags_ignore),
            );
        }
        if has_branch_filter {
            return Err(format!(
                "tag `{tag}` was pushed but it filters branches only"
            ));
        }
        // Path filters do not apply to tag pushes.
        return Ok(());
    }
    let branch = git_ref.strip_prefix("refs/heads/").unwrap_or(git_ref);
    if has_branch_filter {
        check_branch_filters(trigger, branch)?;
    } else if has_tag_filter {
        return Err(format!(
            "branch `{branch}` was pushed but it filters tags only"
        ));
    }
    check_paths(trigger, event)
}

/// `branches` / `branches-ignore` against a branch name (without `refs/heads/`).
fn check_branch_filters(trigger: &EventTrigger, branch: &str) -> Result<(), String> {
    check_ref_filters(
        "branch",
        "branches",
        branch,
        filter(&trigger.branches),
        filter(&trigger.branches_ignore),
    )
}

fn check_pull_request(trigger: &EventTrigger, event: &Event) -> Result<(), String> {
    if let Some(base) = event.base_ref.as_deref() {
        let base = base.strip_prefix("refs/heads/").unwrap_or(base);
        check_branch_filters(trigger, base).map_err(|e| format!("base {e}"))?;
    }
    check_paths(trigger, event)
}

fn check_workflow_run(trigger: &EventTrigger, event: &Event) -> Result<(), String> {
    if let Some(name) = &event.workflow_name
        && !trigger.workflows.is_empty()
        && !trigger.workflows.iter().any(|w| &w.value == name)
    {
        return Err(format!("workflow `{name}` is not in its `workflows` list"));
    }
    if let Some(git_ref) = event.git_ref.as_deref() {
        let branch = git_ref.strip_prefix("refs/heads/").unwrap_or(git_ref);
        check_branch_filters(trigger, branch)?;
    }
    Ok(())
}

/// Checks `workflow_dispatch` (or `workflow_call`) inputs given as text against their
/// definitions and returns the full set of inputs with defaults filled in and types applied.
pub fn resolve_inputs(
    trigger: &EventTrigger,
    given: &IndexMap<String, String>,
) -> Result<serde_json::Map<String, serde_json::Value>, Vec<String>> {
    let mut errors = Vec::new();
    let mut out = serde_json::Map::new();
    for name in given.keys() {
        if !trigger.inputs.contains_key(name) {
            let known: Vec<&str> = trigger.inputs.keys().map(String::as_str).collect();
            let hint = crate::suggest::did_you_mean(name, known.iter().copied())
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            errors.push(format!("unknown input `{name}`{hint}"));
        }
    }
    for (name, def) in &trigger.inputs {
        let text = match given.get(name) {
            Some(v) => Some(v.clone()),
            None => def
                .default
                .as_ref()
                .map(|d| d.as_str().unwrap_or_default().to_owned()),
        };
        let Some(text) = text else {
            if def.required {
                errors.push(format!("input `{name}` is required"));
            }
            let empty = match def.kind {
                InputType::Boolean => serde_json::Value::Bool(false),
                _ => serde_json::Value::String(String::new()),
            };
            out.insert(name.clone(), empty);
            continue;
        };
        let value = match def.kind {
            InputType::Boolean => match text.as_str() {
                "true" => serde_json::Value::Bool(true),
                "false" => serde_json::Value::Bool(false),
                other => {
                    errors.push(format!(
                        "input `{name}` must be `true` or `false`, got `{other}`"
                    ));
                    continue;
                }
            },
            InputType::Number => match text.trim().parse::<f64>() {
                Ok(n) => serde_json::Number::from_f64(n)
                    .map_or(serde_json::Value::Null, serde_json::Value::Number),
                Err(_) => {
                    errors.push(format!("input `{name}` must be a number, got `{text}`"));
                    continue;
                }
            },
            InputType::Choice => {
                if !def.options.iter().any(|o| o.value == text) {
                    let options: Vec<&str> = def.options.iter().map(|o| o.value.as_str()).collect();
                    errors.push(format!(
                        "input `{name}` must be one of {}, got `{text}`",
                        crate::lower::list(&options)
                    ));
                    continue;
                }
                serde_json::Value::String(text)
            }
            InputType::String | InputType::Environment => serde_json::Value::String(text),
        };
        out.insert(name.clone(), value);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}
