//! The contexts an expression sees at each point of a job, and the functions that depend on
//! the job's state (`success()`, `failure()`, `cancelled()`, `always()`, `hashFiles()`).

use std::path::{Path, PathBuf};

use hoist_expr::{Object, ParseOptions, Scope, Value, parse_template};
use sha2::{Digest, Sha256};

/// Parse options for run time: names were checked by `hoist check`; everything is allowed.
pub(crate) const RUNTIME: ParseOptions<'static> = ParseOptions {
    contexts: None,
    // A job's `if:` may pass job names to `success()` and `failure()`; `hoist check` holds
    // each place to its own list.
    functions: &[
        hoist_expr::STATUS_FUNCTIONS_ANY_ARGUMENTS[0],
        hoist_expr::STATUS_FUNCTIONS_ANY_ARGUMENTS[1],
        hoist_expr::STATUS_FUNCTIONS_ANY_ARGUMENTS[2],
        hoist_expr::STATUS_FUNCTIONS_ANY_ARGUMENTS[3],
        hoist_expr::HASH_FILES,
    ],
};

/// What the status functions answer.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Status {
    pub(crate) success: bool,
    pub(crate) failure: bool,
    pub(crate) cancelled: bool,
}

/// A scope: contexts plus status and, where steps run, a workspace for `hashFiles`.
pub(crate) struct ExprScope<'a> {
    pub(crate) contexts: &'a Object,
    pub(crate) status: Status,
    pub(crate) workspace: Option<&'a Path>,
}

impl Scope for ExprScope<'_> {
    fn named_value(&self, name: &str) -> Option<Value> {
        self.contexts.get(name).cloned()
    }

    fn call_function(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let lower = name.to_ascii_lowercase();
        let v = match lower.as_str() {
            "success" => Value::Bool(self.status.success && !self.status.cancelled),
            "failure" => Value::Bool(self.status.failure),
            "cancelled" => Value::Bool(self.status.cancelled),
            "always" => Value::Bool(true),
            "hashfiles" => {
                let Some(ws) = self.workspace else {
                    return Some(Err(
                        "hashFiles() is only available where steps run".to_owned()
                    ));
                };
                let patterns: Vec<String> = args.iter().map(Value::coerce_string).collect();
                return Some(hash_files(ws, &patterns).map(Value::from));
            }
            _ => return None,
        };
        Some(Ok(v))
    }
}

/// Evaluates a string that may hold `${{ }}` into text.
pub(crate) fn eval_string(text: &str, scope: &ExprScope<'_>) -> Result<String, String> {
    if !text.contains("${{") {
        return Ok(text.to_owned());
    }
    let t = parse_template(text, &RUNTIME)
        .map_err(|e| format!("invalid expression in `{text}`: {}", e.message))?;
    t.evaluate_to_string(scope)
        .map_err(|e| format!("error evaluating `{text}`: {}", e.message))
}

/// Evaluates a string that may hold `${{ }}`, keeping the type of a lone expression.
pub(crate) fn eval_value(text: &str, scope: &ExprScope<'_>) -> Result<Value, String> {
    if !text.contains("${{") {
        return Ok(Value::from(text));
    }
    let t = parse_template(text, &RUNTIME)
        .map_err(|e| format!("invalid expression in `{text}`: {}", e.message))?;
    t.evaluate(scope)
        .map_err(|e| format!("error evaluating `{text}`: {}", e.message))
}

/// Evaluates every string inside a YAML node (for `with:`, matrices, `runs-on`), giving JSON.
pub(crate) fn eval_node(
    node: &hoist_yaml::Node,
    scope: &ExprScope<'_>,
) -> Result<serde_json::Value, String> {
    use hoist_yaml::NodeKind;
    match &node.kind {
        NodeKind::Scalar(s) if s.value.contains("${{") => {
            Ok(eval_value(&s.value, scope)?.to_json())
        }
        NodeKind::Scalar(_) => Ok(node.to_json()),
        NodeKind::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for i in items {
                out.push(eval_node(i, scope)?);
            }
            Ok(serde_json::Value::Array(out))
        }
        NodeKind::Mapping(pairs) => {
            let mut out = serde_json::Map::new();
            for (k, v) in pairs {
                out.insert(
                    k.as_str().unwrap_or_default().to_owned(),
                    eval_node(v, scope)?,
                );
            }
            Ok(serde_json::Value::Object(out))
        }
    }
}

/// A YAML value as the text an input or env var receives (`true`, `3`, the string).
pub(crate) fn json_to_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => Value::from_json(other).coerce_string(),
    }
}

/// `hashFiles(patterns)`: SHA-256 over the SHA-256 of every matching file under the
/// workspace, in path order; the empty string when nothing matches.
pub(crate) fn hash_files(workspace: &Path, patterns: &[String]) -> Result<String, String> {
    let filter =
        hoist_workflow::filter::Filter::new(patterns.iter().map(|p| p.trim_start_matches("./")))
            .map_err(|(_, e)| format!("hashFiles: {e}"))?;
    let mut files = Vec::new();
    collect_files(workspace, workspace, &mut files);
    files.sort();
    let mut outer = Sha256::new();
    let mut any = false;
    for rel in files {
        let rel_str = rel.to_string_lossy().replace('\\', "/");
        if !filter.selects(&rel_str) {
            continue;
        }
        let bytes = std::fs::read(workspace.join(&rel))
            .map_err(|e| format!("hashFiles: cannot read `{rel_str}`: {e}"))?;
        outer.update(Sha256::digest(&bytes));
        any = true;
    }
    if !any {
        return Ok(String::new());
    }
    Ok(outer
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if entry.file_name() != ".git" {
                collect_files(root, &path, out);
            }
        } else if kind.is_file()
            && let Ok(rel) = path.strip_prefix(root)
        {
            out.push(rel.to_path_buf());
        }
    }
}

/// Builds an object from `(name, value)` pairs.
pub(crate) fn object(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Object {
    let mut o = Object::new();
    for (k, v) in pairs {
        o.insert(k, v);
    }
    o
}
