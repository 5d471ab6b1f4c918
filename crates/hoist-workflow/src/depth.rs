//! GitHub's template reader counts one level for every mapping and sequence it enters and
//! refuses a workflow nested deeper than 50 levels ("Maximum object depth exceeded"; the
//! figure is `MaxDepth` of actions/runner's `PipelineTemplateEvaluator`, the evaluator the
//! runner shares with the service). Real workflows nest a dozen levels at most; this catches
//! generated ones.

use hoist_diagnostics::{Diagnostic, Span};
use hoist_yaml::{Node, NodeKind};

/// The deepest nesting GitHub reads.
pub(crate) const MAX_DEPTH: usize = 50;

/// An error at the first mapping or sequence that goes past [`MAX_DEPTH`], if one does.
pub(crate) fn check(root: &Node) -> Option<Diagnostic> {
    // Iterative, so that depth itself can never exhaust the stack.
    let mut stack: Vec<(&Node, usize)> = vec![(root, 0)];
    while let Some((node, depth)) = stack.pop() {
        let children: Vec<&Node> = match &node.kind {
            NodeKind::Scalar(_) => continue,
            NodeKind::Sequence(items) => items.iter().collect(),
            NodeKind::Mapping(pairs) => pairs.iter().flat_map(|(k, v)| [k, v]).collect(),
        };
        let depth = depth + 1;
        if depth > MAX_DEPTH {
            return Some(
                Diagnostic::error(
                    "max-depth",
                    Span::on_line(node.span.start, 1),
                    format!(
                        "this is nested {depth} levels deep; GitHub reads at most {MAX_DEPTH} (\"Maximum object depth exceeded\")"
                    ),
                )
                .with_hint("flatten the value, or pass it as a JSON string and read it with `fromJSON()`"),
            );
        }
        stack.extend(children.into_iter().map(|c| (c, depth)));
    }
    None
}
