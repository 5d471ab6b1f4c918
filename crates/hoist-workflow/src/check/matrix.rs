//! A matrix known before the run must expand to between 1 and 256 jobs.

use hoist_diagnostics::Diagnostic;

use super::RuleContext;
use crate::lower::is_expression;
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
