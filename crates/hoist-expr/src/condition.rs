//! `if:` conditions: written with or without `${{ }}`, with an implied `success() &&`.

use crate::ast::Expr;
use crate::errors::ExprError;
use crate::eval::{Scope, evaluate};
use crate::functions::STATUS_FUNCTIONS;
use crate::parser::{ParseOptions, parse};
use crate::template::{Template, parse_template};

/// A parsed `if:` value.
#[derive(Clone, Debug)]
pub struct Condition {
    pub form: ConditionForm,
    /// False when the condition calls none of `success()`, `failure()`, `always()`,
    /// `cancelled()`; GitHub then runs it only if everything before succeeded.
    pub has_status_function: bool,
}

#[derive(Clone, Debug)]
pub enum ConditionForm {
    /// A bare expression or one wrapped whole in `${{ }}`. `offset` is where the expression
    /// text starts within the `if:` value, in characters.
    Expr { expr: Option<Expr>, offset: usize },
    /// Text mixed with `${{ }}`, such as `${{ a }} && b`: GitHub interpolates it into a string,
    /// which is true whenever it is not empty. Almost always a mistake.
    Template(Template),
}

/// Parses an `if:` value.
pub fn parse_condition(s: &str, options: &ParseOptions<'_>) -> Result<Condition, ExprError> {
    let trimmed_start = s.len() - s.trim_start().len();
    let trimmed = s.trim();
    if trimmed.contains("${{") {
        let template = parse_template(s, options)?;
        if let Some(single) = template.as_single_expression() {
            let has_status = single
                .expr
                .as_ref()
                .is_some_and(|e| e.calls_any(&status_names()));
            return Ok(Condition {
                form: ConditionForm::Expr {
                    expr: single.expr.clone(),
                    offset: single.offset,
                },
                has_status_function: has_status,
            });
        }
        // Whitespace around a lone `${{ }}` does not make it a template.
        if trimmed.len() != s.len() {
            let inner = parse_template(trimmed, options)?;
            if let Some(single) = inner.as_single_expression() {
                let offset = s[..trimmed_start].chars().count() + single.offset;
                let has_status = single
                    .expr
                    .as_ref()
                    .is_some_and(|e| e.calls_any(&status_names()));
                return Ok(Condition {
                    form: ConditionForm::Expr {
                        expr: single.expr.clone(),
                        offset,
                    },
                    has_status_function: has_status,
                });
            }
        }
        let has_status = template.expressions().any(|e| {
            e.expr
                .as_ref()
                .is_some_and(|x| x.calls_any(&status_names()))
        });
        return Ok(Condition {
            form: ConditionForm::Template(template),
            has_status_function: has_status,
        });
    }
    let expr = parse(s, options)?;
    let has_status = expr.as_ref().is_some_and(|e| e.calls_any(&status_names()));
    Ok(Condition {
        form: ConditionForm::Expr { expr, offset: 0 },
        has_status_function: has_status,
    })
}

fn status_names() -> [&'static str; 4] {
    [
        STATUS_FUNCTIONS[0].name,
        STATUS_FUNCTIONS[1].name,
        STATUS_FUNCTIONS[2].name,
        STATUS_FUNCTIONS[3].name,
    ]
}

impl Condition {
    /// Evaluates the condition. Without a status function, `success()` must also hold, which
    /// the scope answers through its `success` function.
    pub fn evaluate(&self, scope: &dyn Scope) -> Result<bool, ExprError> {
        if !self.has_status_function {
            let ok = match scope.call_function("success", &[]) {
                Some(Ok(v)) => v.is_truthy(),
                Some(Err(m)) => return Err(ExprError::evaluation(m)),
                None => true,
            };
            if !ok {
                return Ok(false);
            }
        }
        match &self.form {
            ConditionForm::Expr { expr, .. } => Ok(evaluate(expr.as_ref(), scope)?.is_truthy()),
            ConditionForm::Template(t) => Ok(!t.evaluate_to_string(scope)?.is_empty()),
        }
    }
}
