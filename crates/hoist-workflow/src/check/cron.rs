//! `schedule` cron expressions must be valid; GitHub runs schedules at most every 5 minutes.

use hoist_diagnostics::Diagnostic;

use super::RuleContext;

pub(super) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(schedule) = ctx.workflow.on.events.get("schedule") else {
        return;
    };
    for cron in &schedule.crons {
        match crate::cron::validate(&cron.value) {
            Ok(interval) if interval < 5 => out.push(
                Diagnostic::warning(
                    "invalid-cron",
                    cron.span,
                    format!("cron `{}` runs every {interval} minute(s); GitHub runs schedules at most every 5 minutes", cron.value),
                )
                .with_hint("use an interval of 5 minutes or more, e.g. `*/5 * * * *`"),
            ),
            Ok(_) => {}
            Err(e) => {
                let field: String = cron.value.chars().skip(e.offset).take(e.len).collect();
                let span = if e.field.is_some() {
                    ctx.locator
                        .locate_in_span(cron.span, &cron.value, e.offset, &field)
                } else {
                    cron.span
                };
                out.push(
                    Diagnostic::error("invalid-cron", span, e.message)
                        .with_hint("fields are: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12 or JAN-DEC) day-of-week (0-6 or SUN-SAT)"),
                );
            }
        }
    }
}
