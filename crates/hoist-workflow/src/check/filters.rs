//! Branch, tag and path filter patterns must compile.

use hoist_diagnostics::Diagnostic;

use super::RuleContext;
use crate::filter::Pattern;

pub(super) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for trigger in ctx.workflow.on.events.values() {
        let lists = [
            &trigger.branches,
            &trigger.branches_ignore,
            &trigger.tags,
            &trigger.tags_ignore,
            &trigger.paths,
            &trigger.paths_ignore,
        ];
        for list in lists.into_iter().flatten() {
            for pattern in list {
                if let Err(message) = Pattern::new(&pattern.value) {
                    out.push(
                        Diagnostic::error("invalid-filter", pattern.span, message)
                            .with_hint("escape special characters (`*?+[]!`) with `\\` to match them literally"),
                    );
                }
            }
        }
    }
}
