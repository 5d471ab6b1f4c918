//! Dangerous operations in migrations: what locks a busy table, rewrites it, or breaks the
//! code still running against the old schema. Built on squawk's linter (its rule id is shown
//! beside Hoist's), with the transaction the tool wraps each file in, and a profile of its
//! own for downs, which are expected to drop what their up created.

use hoist_diagnostics::{Diagnostic, Position, Span};
use squawk_linter::{Linter, Rule};

use crate::layout::{Part, Tool};

/// Hoist's rule for a squawk rule, and whether it is only hygiene (a warning).
fn hoist_rule(rule: Rule) -> Option<(&'static str, bool)> {
    Some(match rule {
        Rule::RequireConcurrentIndexCreation => ("index-not-concurrent", false),
        Rule::RequireConcurrentIndexDeletion => ("index-drop-not-concurrent", false),
        Rule::BanConcurrentIndexCreationInTransaction => ("concurrently-in-transaction", false),
        Rule::ConstraintMissingNotValid | Rule::AddingForeignKeyConstraint => {
            ("constraint-not-valid", false)
        }
        Rule::AddingFieldWithDefault => ("volatile-default", false),
        Rule::ChangingColumnType => ("column-type-change", false),
        Rule::AddingNotNullableField | Rule::AddingRequiredField => {
            ("not-null-without-default", false)
        }
        Rule::RenamingColumn | Rule::RenamingTable | Rule::RenamingObject => ("rename", false),
        Rule::BanDropColumn
        | Rule::BanDropTable
        | Rule::BanDropConstraint
        | Rule::BanDropType
        | Rule::BanDropIndex
        | Rule::BanDropNotNull
        | Rule::BanDropDatabase
        | Rule::BanDropSchema => ("drop", false),
        Rule::RequireLockTimeout => ("missing-lock-timeout", true),
        Rule::PreferTextField => ("varchar-length", true),
        Rule::PreferTimestampTz => ("timestamp-without-time-zone", true),
        Rule::PreferBigintOverInt | Rule::PreferBigintOverSmallint => ("int-key", true),
        _ => return None,
    })
}

/// Rules that a down is expected to break: it undoes, so it drops (even an index, which
/// nothing reads yet). A rollback is run by hand, watching: the lock timeout is for
/// unattended ups.
fn expected_in_down(rule: Rule) -> bool {
    hoist_rule(rule).is_some_and(|(id, _)| id == "drop")
        || matches!(
            rule,
            Rule::RequireConcurrentIndexDeletion | Rule::RequireLockTimeout
        )
}

/// Findings of one part of a migration file (whose parse has no syntax errors: lints on a
/// broken tree would only add noise).
pub(crate) fn check(
    text: &str,
    part: &Part,
    parse: &squawk_syntax::Parse<squawk_syntax::SourceFile>,
    tool: Tool,
    is_down: bool,
) -> Vec<Diagnostic> {
    let Some(sql) = text.get(part.start..part.end) else {
        return Vec::new();
    };
    let mut linter = Linter::with_rules(
        &[
            Rule::AddingForeignKeyConstraint,
            Rule::BanDropColumn,
            Rule::BanDropTable,
        ],
        &[],
    );
    linter.settings.assume_in_transaction = tool.runs_in_transaction();
    let mut out = Vec::new();
    for violation in linter.lint(parse, sql) {
        let Some((id, hygiene)) = hoist_rule(violation.code) else {
            continue;
        };
        if is_down && expected_in_down(violation.code) {
            continue;
        }
        let offset = part.start + u32::from(violation.text_range.start()) as usize;
        let at = crate::syntax::position(text, offset);
        if allowed(text, at.line, id, &violation.code.to_string()) {
            continue;
        }
        let mut message = format!("{} [squawk: {}]", violation.message, violation.code);
        if violation.code == Rule::BanConcurrentIndexCreationInTransaction {
            message.push_str(&format!(
                "; {} runs each migration file in one transaction",
                tool.name()
            ));
        }
        // Two of squawk's rules may say the same of one statement (a foreign key without
        // NOT VALID): once is enough.
        if out
            .iter()
            .any(|d: &Diagnostic| d.code == id && d.span.start.line == at.line)
        {
            continue;
        }
        let span = Span::on_line(Position::new(at.line, at.column), 1);
        let d = if hygiene {
            Diagnostic::warning(id, span, message)
        } else {
            Diagnostic::error(id, span, message)
        };
        out.push(d.with_hint(violation.help.unwrap_or_else(|| {
            format!("if it is safe here, say so with `-- hoist:allow {id}` above the statement")
        })));
    }
    out
}

/// `-- hoist:allow <rule>` on the finding's line or the line above it.
fn allowed(text: &str, line: u32, id: &str, squawk_id: &str) -> bool {
    let lines: Vec<&str> = text.lines().collect();
    let at = line as usize;
    [at.checked_sub(2), at.checked_sub(1)]
        .into_iter()
        .flatten()
        .filter_map(|i| lines.get(i))
        .any(|l| {
            l.split("hoist:allow")
                .nth(1)
                .is_some_and(|rest| rest.split([' ', ',']).any(|r| r == id || r == squawk_id))
        })
}

#[cfg(test)]
mod tests {
    use super::{Rule, hoist_rule};

    /// `[migrations] rules` and SARIF's rule table accept only what `RULES` lists.
    #[test]
    fn every_rule_the_lints_report_is_in_the_rule_table() {
        let mut mapped = 0;
        for rule in enum_iterator::all::<Rule>() {
            if let Some((id, _)) = hoist_rule(rule) {
                mapped += 1;
                assert!(
                    crate::RULES.iter().any(|r| r.id == id),
                    "`{id}` (squawk `{rule}`) is not in `RULES`"
                );
            }
        }
        assert!(mapped > 20, "only {mapped} squawk rules are mapped");
    }
}
