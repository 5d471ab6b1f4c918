//! Strings with embedded `${{ expression }}` parts, as found in workflow values.

use crate::ast::Expr;
use crate::errors::{ErrorKind, ExprError, Reason};
use crate::eval::{Scope, evaluate};
use crate::parser::{ParseOptions, parse};
use crate::value::Value;

/// A parsed template: literal text and expressions, in order.
#[derive(Clone, Debug)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
}

#[derive(Clone, Debug)]
pub enum TemplatePart {
    Text(String),
    Expr(EmbeddedExpr),
}

/// One `${{ }}` of a template.
#[derive(Clone, Debug)]
pub struct EmbeddedExpr {
    /// The text between `${{` and `}}`.
    pub source: String,
    /// Character offset of `source` within the template string.
    pub offset: usize,
    /// Character offset of the `${{` that opens it.
    pub open: usize,
    pub expr: Option<Expr>,
}

/// Whether `s` contains a `${{`.
pub fn has_expression(s: &str) -> bool {
    s.contains("${{")
}

/// Splits `s` into text and expressions and parses each expression. Errors carry an offset
/// relative to the whole template string.
pub fn parse_template(s: &str, options: &ParseOptions<'_>) -> Result<Template, ExprError> {
    let chars: Vec<char> = s.chars().collect();
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '$' && chars.get(i + 1) == Some(&'{') && chars.get(i + 2) == Some(&'{') {
            let open = i;
            let start = i + 3;
            let Some(close) = find_close(&chars, start) else {
                return Err(template_error(
                    open,
                    3,
                    "The expression is not closed. An unescaped ${{ sequence was found, but the closing }} sequence was not found.",
                ));
            };
            let source: String = chars[start..close].iter().collect();
            if source.trim().is_empty() {
                return Err(template_error(
                    open,
                    close + 2 - open,
                    "An expression was expected",
                ));
            }
            let expr = parse(&source, options).map_err(|mut e| {
                e.offset = Some(e.offset.map_or(start, |o| o + start));
                e
            })?;
            if !text.is_empty() {
                parts.push(TemplatePart::Text(std::mem::take(&mut text)));
            }
            parts.push(TemplatePart::Expr(EmbeddedExpr {
                source,
                offset: start,
                open,
                expr,
            }));
            i = close + 2;
        } else {
            text.push(chars[i]);
            i += 1;
        }
    }
    if !text.is_empty() {
        parts.push(TemplatePart::Text(text));
    }
    Ok(Template { parts })
}

/// Finds the `}}` that closes an expression starting at `from`, skipping string literals so
/// that `${{ format('}}') }}` closes at the second pair.
fn find_close(chars: &[char], from: usize) -> Option<usize> {
    let mut in_string = false;
    let mut i = from;
    while i < chars.len() {
        match chars[i] {
            '\'' => in_string = !in_string,
            '}' if !in_string && chars.get(i + 1) == Some(&'}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn template_error(offset: usize, len: usize, message: &str) -> ExprError {
    ExprError {
        kind: ErrorKind::Parsing,
        message: message.to_owned(),
        offset: Some(offset),
        len,
        name: None,
        reason: Reason::UnexpectedSymbol,
    }
}

impl Template {
    /// The single expression when the template is exactly `${{ expr }}` with no text around it.
    pub fn as_single_expression(&self) -> Option<&EmbeddedExpr> {
        match self.parts.as_slice() {
            [TemplatePart::Expr(e)] => Some(e),
            _ => None,
        }
    }

    pub fn expressions(&self) -> impl Iterator<Item = &EmbeddedExpr> {
        self.parts.iter().filter_map(|p| match p {
            TemplatePart::Expr(e) => Some(e),
            TemplatePart::Text(_) => None,
        })
    }

    /// Evaluates the template. A lone expression keeps its type (so `${{ fromJSON(x) }}` can
    /// give a matrix); anything else is interpolated into a string.
    pub fn evaluate(&self, scope: &dyn Scope) -> Result<Value, ExprError> {
        if let Some(e) = self.as_single_expression() {
            return evaluate(e.expr.as_ref(), scope);
        }
        self.evaluate_to_string(scope).map(Value::from)
    }

    /// Evaluates the template into a string; compound values show as `Array` or `Object`.
    pub fn evaluate_to_string(&self, scope: &dyn Scope) -> Result<String, ExprError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Text(t) => out.push_str(t),
                TemplatePart::Expr(e) => {
                    out.push_str(&evaluate(e.expr.as_ref(), scope)?.coerce_string());
                }
            }
        }
        Ok(out)
    }
}
