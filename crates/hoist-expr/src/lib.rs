//! The `${{ }}` expression language of GitHub Actions workflows.
//!
//! Pure and synchronous: [`parse`] turns text into a tree (checking names against what the
//! caller says is available), [`evaluate`] computes a [`Value`] from it against a [`Scope`].
//! Semantics follow GitHub's published known-answer tests, down to error wording and the way
//! numbers print.

mod ast;
mod condition;
mod errors;
mod eval;
mod functions;
mod lexer;
pub mod number;
mod parser;
mod template;
mod value;

pub use ast::{BinaryOp, Expr, ExprKind, Index, LogicalOp, PathSegment, PropertyPath};
pub use condition::{Condition, ConditionForm, parse_condition};
pub use errors::{ErrorKind, ExprError, Reason};
pub use eval::{MAX_MEMORY_BYTES, Scope, evaluate};
pub use functions::{
    BUILTIN_FUNCTIONS, FunctionSig, HASH_FILES, STATUS_FUNCTIONS, STATUS_FUNCTIONS_ANY_ARGUMENTS,
    kind_name,
};
pub use lexer::MAX_EXPRESSION_LENGTH;
pub use parser::{MAX_DEPTH, ParseOptions, parse};
pub use template::{EmbeddedExpr, Template, TemplatePart, has_expression, parse_template};
pub use value::{Array, Kind, Object, Value, compare_ignore_case};

/// Parses and evaluates `source` in one go, with any context name allowed by the parser.
pub fn eval_str(source: &str, scope: &dyn Scope) -> Result<Value, ExprError> {
    let expr = parse(source, &ParseOptions::ANY_CONTEXT)?;
    evaluate(expr.as_ref(), scope)
}
