//! A YAML tree in which every node keeps its source span.
//!
//! Built from `saphyr-parser` events. Syntax errors, duplicate keys, unknown aliases and
//! oversized alias expansions become [`Diagnostic`]s instead of failures, so callers always get
//! as much of the tree as could be read.

mod locate;
mod relax;
mod tree;

pub use locate::{Locator, locate_in_scalar, locate_in_span};
pub use tree::{Node, NodeKind, Scalar, ScalarStyle, parse, parse_stream};

use hoist_diagnostics::Diagnostic;

/// The result of parsing a YAML text: the first document's root node (if any) and problems.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    pub root: Option<Node>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The result of parsing a multi-document YAML text: every non-empty document's root node, in
/// order, and problems.
#[derive(Clone, Debug, Default)]
pub struct ParsedStream {
    pub documents: Vec<Node>,
    pub diagnostics: Vec<Diagnostic>,
}
