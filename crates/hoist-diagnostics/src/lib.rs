//! Diagnostics that point into source files, and their renderings as text, JSON and SARIF.
//!
//! Every checker in Hoist reports through [`Diagnostic`], so that `hoist check`, the secret
//! scanner and the server all print problems the same way: `path:line:col: error: message`,
//! the offending line with a caret, and a hint where one helps.

mod junit;
mod render;
mod sarif;
mod text_diff;

pub use junit::render_junit;
pub use render::{render_human, render_json};
pub use sarif::{SarifRule, render_sarif};
pub use text_diff::unified_diff;

/// A position in a source file: 1-based line, 1-based column counted in characters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl Position {
    pub fn new(line: u32, column: u32) -> Self {
        Self { line, column }
    }
}

/// A half-open range `[start, end)` in a source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: Position,
    pub end: Position,
}

impl Span {
    pub fn new(start: Position, end: Position) -> Self {
        Self { start, end }
    }

    /// A span covering `len` characters from `start` on one line.
    pub fn on_line(start: Position, len: u32) -> Self {
        Self {
            start,
            end: Position::new(start.line, start.column + len),
        }
    }

    /// The span of a sub-range of a single-line value starting at `self.start`,
    /// `offset` characters in and `len` long. Used to point inside a scalar.
    pub fn sub(&self, offset: u32, len: u32) -> Self {
        let start = Position::new(self.start.line, self.start.column + offset);
        Self::on_line(start, len)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// One problem found in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable, kebab-case rule id such as `unknown-key`; used by SARIF and for filtering.
    pub code: &'static str,
    pub message: String,
    pub span: Span,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            code,
            message: message.into(),
            span,
            hint: None,
        }
    }

    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            code,
            message: message.into(),
            span,
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A file's path (as shown to the user) and text, with the diagnostics found in it.
#[derive(Clone, Debug)]
pub struct FileReport {
    pub path: String,
    pub text: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl FileReport {
    /// Sorts diagnostics by position so output is stable whatever order checks ran in.
    pub fn sort(&mut self) {
        self.diagnostics.sort_by(|a, b| {
            (a.span.start, a.severity, a.code, &a.message).cmp(&(
                b.span.start,
                b.severity,
                b.code,
                &b.message,
            ))
        });
        self.diagnostics.dedup();
    }

    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    /// The text of 1-based line `line`, without its line ending.
    pub fn line_text(&self, line: u32) -> Option<&str> {
        if line == 0 {
            return None;
        }
        self.text.lines().nth(line as usize - 1)
    }
}
