//! A matrix known before the run must expand to between 1 and 256 jobs; a value listed twice
//! in a dimension, or an `exclude` entry that matches no combination, is a warning.

use hoist_diagnostics::Diagnostic;

use super::RuleContext;
use crate::lower::{is_expression, list};
use crate::model::Matrix;

pub(super) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for job in ctx.workflow.jobs.values() {
        let Some(Matrix::Dimensions {
            dims,
            include,
            exclude,
            span,
        }) = job.strategy.as_ref().and_then(|s| s.matrix.as_ref())
        else {
            continue;
        };
        let dynamic = dims
            .values()
            .any(|d| is_expression(d) || contains_expression(d))
            || include.as_ref().is_some_and(contains_expression)
            || exclude.as_ref().is_some_and(contains_expression);
        if dynamic {
            continue;
        }
        duplicates(dims, out);
        if let Some(exclude) = exclude {
            unmatched_excludes(dims, exclude, out);
        }
        let mut object = serde_json::Map::new();
        for (k, v) in dims {
            object.insert(k.clone(), v.to_json());
        }
        if let Some(i) = include {
            object.insert("include".into(), i.to_json());
        }
        if let Some(e) = exclude {
            object.insert("exclude".into(), e.to_json());
        }
        match crate::matrix::expand(&serde_json::Value::Object(object)) {
            Ok(_) => {}
            // Reported while lowering, where the empty dimension is.
            Err(crate::errors::MatrixError::EmptyDimension(_)) => {}
            Err(e) => out.push(
                Diagnostic::error("invalid-matrix", *span, format!("in job `{}`: {e}", job.id))
                    .with_hint("split the job or narrow the matrix with `exclude`"),
            ),
        }
    }
}

fn contains_expression(node: &hoist_yaml::Node) -> bool {
    match &node.kind {
        hoist_yaml::NodeKind::Scalar(s) => s.value.contains("${{"),
        hoist_yaml::NodeKind::Sequence(items) => items.iter().any(contains_expression),
        hoist_yaml::NodeKind::Mapping(pairs) => pairs.iter().any(|(_, v)| contains_expression(v)),
    }
}

/// A value that appears twice in one dimension makes the same job twice.
fn duplicates(dims: &indexmap::IndexMap<String, hoist_yaml::Node>, out: &mut Vec<Diagnostic>) {
    for (name, values) in dims {
        let items = values.as_sequence().unwrap_or_default();
        for (i, item) in items.iter().enumerate() {
            let json = item.to_json();
            if items[..i].iter().any(|earlier| earlier.to_json() == json) {
                out.push(
                    Diagnostic::warning(
                        "matrix-duplicate-value",
                        item.span,
                        format!("`{json}` is listed twice in matrix dimension `{name}`"),
                    )
                    .with_hint("remove the repeated value; it would run the same job twice"),
                );
            }
        }
    }
}

/// An `exclude` entry leaves out the combinations it matches (every key it names is a
/// dimension and every value one of that dimension's); one that matches none is a mistake,
/// usually a typo in a key or a value.
fn unmatched_excludes(
    dims: &indexmap::IndexMap<String, hoist_yaml::Node>,
    exclude: &hoist_yaml::Node,
    out: &mut Vec<Diagnostic>,
) {
    for entry in exclude.as_sequence().unwrap_or_default() {
        let Some(pairs) = entry.as_mapping() else {
            continue;
        };
        for (key, value) in pairs {
            let name = key.as_str().unwrap_or_default();
            let problem = match dims.get(name) {
                None => Some(format!(
                    "`exclude` names `{name}`, which is not a dimension of the matrix, so it matches nothing"
                )),
                Some(values) => {
                    let json = value.to_json();
                    let listed = values
                        .as_sequence()
                        .unwrap_or_default()
                        .iter()
                        .any(|v| v.to_json() == json);
                    (!listed).then(|| {
                        format!("`exclude` sets `{name}: {json}`, a value the dimension does not have, so it matches nothing")
                    })
                }
            };
            if let Some(message) = problem {
                out.push(
                    Diagnostic::warning("matrix-exclude-unmatched", key.span, message).with_hint(
                        format!(
                            "the dimensions are {}",
                            list(&dims.keys().map(String::as_str).collect::<Vec<_>>())
                        ),
                    ),
                );
            }
        }
    }
}
