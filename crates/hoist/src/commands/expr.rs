//! `hoist expr`: evaluate one expression, to debug `if:` conditions and templates.

use std::io::Read;

use anyhow::{Context, bail};
use hoist_expr::{ExprError, Object, ParseOptions, Value, evaluate, parse, parse_template};

use crate::cli::ExprArgs;
use crate::commands::Outcome;
use crate::output;

pub(crate) fn run(args: &ExprArgs) -> anyhow::Result<Outcome> {
    let contexts = load_contexts(args)?;
    let names: Vec<&str> = contexts.iter().map(|(k, _)| k).collect();
    let options = ParseOptions {
        contexts: Some(&names),
        functions: &[],
    };
    let result = if args.template {
        parse_template(&args.expression, &options)
            .and_then(|t| t.evaluate_to_string(&contexts))
            .map(Value::from)
    } else {
        parse(&args.expression, &options).and_then(|e| evaluate(e.as_ref(), &contexts))
    };
    match result {
        Ok(value) => {
            output::stdout(&format!("{}\n", render(&value)));
            Ok(Outcome::Success)
        }
        Err(e) => {
            output::stderr(&explain(&args.expression, &e));
            Ok(Outcome::Failure)
        }
    }
}

fn load_contexts(args: &ExprArgs) -> anyhow::Result<Object> {
    let Some(path) = &args.context_file else {
        return Ok(Object::new());
    };
    let text = if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read contexts from stdin")?;
        s
    } else {
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read context file `{}`", path.display()))?
    };
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "context file `{}` is not valid JSON at line {}, column {}: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    match Value::from_json(&json) {
        Value::Object(o) => Ok((*o).clone()),
        other => bail!(
            "context file `{}` must hold a JSON object keyed by context name (like {{\"github\": {{...}}}}), found {}",
            path.display(),
            hoist_expr::kind_name(&other)
        ),
    }
}

/// JSON for the result; numbers JSON cannot hold print as GitHub prints them (`NaN`).
fn render(value: &Value) -> String {
    match value {
        Value::Number(n) if !n.is_finite() => hoist_expr::number::to_js_string(*n),
        v => v.to_pretty_json(),
    }
}

/// The error with the expression underlined at the offending token.
fn explain(source: &str, e: &ExprError) -> String {
    let mut out = format!("error: {} ({} error)\n", e.message, e.kind.as_str());
    if let Some(offset) = e.offset {
        // Show the line of a multi-line expression that holds the offending token.
        let mut line_start = 0;
        let chars: Vec<char> = source.chars().collect();
        for (i, c) in chars.iter().enumerate().take(offset) {
            if *c == '\n' {
                line_start = i + 1;
            }
        }
        let line: String = chars[line_start..]
            .iter()
            .take_while(|c| **c != '\n')
            .collect();
        let col = offset - line_start;
        out.push_str(&format!(
            "  | {line}\n  | {}{}\n",
            " ".repeat(col),
            "^".repeat(e.len.max(1))
        ));
    }
    if e.name.is_some() && e.reason == hoist_expr::Reason::UnrecognizedNamedValue {
        out.push_str("  = hint: pass the context in --context-file, e.g. {\"github\": {...}}\n");
    }
    out
}
