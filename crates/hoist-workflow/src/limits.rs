//! The sizes GitHub's workflow reader refuses to go past: a file's length and its nesting.
//!
//! Both figures are actions/runner's `ParseOptions`, which the runner shares with the
//! service: `MaxFileSize` (1 MiB, counted in UTF-16 code units as .NET strings are) and
//! `MaxDepth`. GitHub's template reader counts one level for every mapping and sequence it enters and
//! refuses a workflow nested deeper than 50 levels ("Maximum object depth exceeded"; the
//! figure is `MaxDepth` of actions/runner's `PipelineTemplateEvaluator`, the evaluator the
//! runner shares with the service). Real workflows nest a dozen levels at most; this catches
//! generated ones.

use hoist_diagnostics::{Diagnostic, Span};
use hoist_yaml::{Node, NodeKind};

/// The longest file GitHub reads, in UTF-16 code units.
pub(crate) const MAX_FILE_SIZE: usize = 1024 * 1024;

/// An error at the file's first line when it is longer than GitHub reads, if it is.
pub(crate) fn check_size(source: &str) -> Option<Diagnostic> {
    // Cheap first: UTF-8 is never shorter than UTF-16 in code units, so a short file is fine.
    if source.len() <= MAX_FILE_SIZE {
        return None;
    }
    let length = source.encode_utf16().count();
    (length > MAX_FILE_SIZE).then(|| {
        Diagnostic::error(
            "max-file-size",
            Span::on_line(hoist_diagnostics::Position::new(1, 1), 1),
            format!(
                "this file is {length} characters long; GitHub reads at most {MAX_FILE_SIZE} (\"The maximum file size of {MAX_FILE_SIZE} characters has been exceeded\")"
            ),
        )
        .with_hint("move long scripts into files of the repository and run them from the step")
    })
}

/// The deepest nesting GitHub reads.
pub(crate) const MAX_DEPTH: usize = 50;

/// An error at the first mapping or sequence that goes past [`MAX_DEPTH`], if one does.
pub(crate) fn check_depth(root: &Node) -> Option<Diagnostic> {
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
