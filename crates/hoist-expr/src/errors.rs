//! Errors of the expression language.
//!
//! Unlike the rest of Hoist, these messages keep GitHub's exact wording ("Unexpected symbol:
//! '='. Located at position 3 within expression: 1 = < 2"), so that a user can search for them
//! and our conformance tests can compare them with GitHub's published answers.

/// Which stage rejected the expression; the names match GitHub's test data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    Lexing,
    Parsing,
    Evaluation,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Lexing => "lexing",
            ErrorKind::Parsing => "parsing",
            ErrorKind::Evaluation => "evaluation",
        }
    }
}

/// An expression that could not be lexed, parsed or evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExprError {
    pub kind: ErrorKind,
    pub message: String,
    /// 0-based character offset of the offending token within the expression, when known.
    pub offset: Option<usize>,
    /// Length in characters of the offending token (at least 1 when `offset` is set).
    pub len: usize,
    /// The unrecognised name, for "Unrecognized named-value" and "Unrecognized function"
    /// errors, so checkers can explain *why* a name is not available.
    pub name: Option<String>,
    pub reason: Reason,
}

/// A machine-readable reason, for callers that word their own diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    UnexpectedSymbol,
    UnexpectedEnd,
    UnrecognizedNamedValue,
    UnrecognizedFunction,
    TooFewParameters,
    TooManyParameters,
    EvenParameters,
    MaxDepth,
    MaxLength,
    Evaluation,
}

impl ExprError {
    pub(crate) fn evaluation(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Evaluation,
            message: message.into(),
            offset: None,
            len: 0,
            name: None,
            reason: Reason::Evaluation,
        }
    }
}
