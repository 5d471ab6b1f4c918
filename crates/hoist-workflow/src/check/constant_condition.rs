//! An `if:` whose value does not depend on anything (`if: true`, `if: ${{ false }}`,
//! `if: 1 == 1`) decides the same way every run: left over from debugging, usually.

use hoist_diagnostics::Diagnostic;
use hoist_expr::{Condition, ConditionForm, ExprKind, Scope, Value};

use crate::model::ExprSite;

/// A scope with nothing in it: a constant condition needs none.
struct Empty;

impl Scope for Empty {
    fn named_value(&self, _name: &str) -> Option<Value> {
        None
    }
}

pub(super) fn check_condition(site: &ExprSite, condition: &Condition, out: &mut Vec<Diagnostic>) {
    let ConditionForm::Expr {
        expr: Some(expr), ..
    } = &condition.form
    else {
        return;
    };
    let mut depends = false;
    expr.walk(&mut |e| {
        if matches!(e.kind, ExprKind::Context(_) | ExprKind::Call { .. }) {
            depends = true;
        }
    });
    if depends {
        return;
    }
    let Ok(always) = condition.evaluate(&Empty) else {
        return;
    };
    let (verdict, hint) = if always {
        (
            "always true",
            "remove the `if:`, or make it depend on something (a context or a status function)",
        )
    } else {
        (
            "always false",
            "remove the step or job, or make the condition depend on something",
        )
    };
    out.push(
        Diagnostic::warning(
            "constant-condition",
            site.node.span,
            format!("this `if:` is {verdict}: it depends on nothing"),
        )
        .with_hint(hint),
    );
}
