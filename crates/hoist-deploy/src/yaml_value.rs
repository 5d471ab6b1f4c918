//! Between YAML text and JSON values: finding the span of a JSON path in the YAML it came
//! from (so a field error points at its line), and writing values back as YAML the way
//! `kubectl` prints objects.

use hoist_diagnostics::Span;
use hoist_yaml::Node;
use serde_json::Value;

/// The span of the node at `path` in `root`, or of the deepest node that exists on the way.
///
/// `path` is as serde prints it: keys separated by dots, sequence indices as `[n]` or as a
/// bare number segment (`spec.sources[0].helm`, `spec.sources.0.helm`).
pub fn locate_path(root: &Node, path: &str) -> Span {
    node_at(root, path).span
}

/// The node at `path` in `root`, or the deepest node that exists on the way.
pub(crate) fn node_at<'a>(root: &'a Node, path: &str) -> &'a Node {
    let mut node = root;
    for segment in path_segments(path) {
        let next = match (segment.parse::<usize>(), node.as_sequence()) {
            (Ok(i), Some(items)) => items.get(i),
            _ => node.entry(&segment).map(|(key, value)| {
                // A key whose value is null has no span of its own worth showing.
                if value.is_null() { key } else { value }
            }),
        };
        match next {
            Some(n) => node = n,
            None => break,
        }
    }
    node
}

fn path_segments(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            if open > 0 {
                out.push(rest[..open].to_owned());
            }
            rest = &rest[open..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let Some(close) = stripped.find(']') else {
                    break;
                };
                out.push(stripped[..close].trim_matches('"').to_owned());
                rest = &stripped[close + 1..];
            }
        } else if !rest.is_empty() && rest != "?" {
            out.push(rest.to_owned());
        }
    }
    out
}

/// `value` as a YAML document (no leading `---`), keys in the value's own order.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(map, 0, &mut out),
        Value::Array(items) if !items.is_empty() => write_seq(items, 0, &mut out),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn write_map(map: &serde_json::Map<String, Value>, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for (key, value) in map {
        out.push_str(&pad);
        out.push_str(&string_scalar(key));
        out.push(':');
        write_value_after_key(value, indent, out);
    }
}

fn write_value_after_key(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            write_map(m, indent + 2, out);
        }
        // kubectl writes sequences under a key without extra indentation.
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(items, indent, out);
        }
        Value::String(s) if is_block_candidate(s) => {
            write_block(s, indent + 2, out);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn write_seq(items: &[Value], indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for item in items {
        out.push_str(&pad);
        out.push('-');
        match item {
            Value::Object(m) if !m.is_empty() => {
                // The first key sits on the dash's line; the rest line up under it.
                let mut first = true;
                for (key, value) in m {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        out.push_str(&pad);
                        out.push_str("  ");
                    }
                    out.push_str(&string_scalar(key));
                    out.push(':');
                    write_value_after_key(value, indent + 2, out);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_seq(inner, indent + 2, out);
            }
            Value::String(s) if is_block_candidate(s) => write_block(s, indent + 2, out),
            other => {
                out.push(' ');
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
}

/// Multi-line strings print as literal blocks when that keeps them exact.
fn is_block_candidate(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with(' ')
        && !s.contains("\n ")
        && !s.contains(" \n")
        && !s.contains('\t')
        && !s.contains('\r')
        && !s.trim_end_matches('\n').is_empty()
        && !s.ends_with("\n\n")
        && s.chars().all(|c| !c.is_control() || c == '\n')
}

fn write_block(s: &str, indent: usize, out: &mut String) {
    let chomp = if s.ends_with('\n') { "|" } else { "|-" };
    out.push(' ');
    out.push_str(chomp);
    out.push('\n');
    let pad = " ".repeat(indent);
    for line in s.trim_end_matches('\n').split('\n') {
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
        out.push('\n');
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string_scalar(s),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// A string plain when YAML would read it back as the same string, else double-quoted.
fn string_scalar(s: &str) -> String {
    if needs_quotes(s) {
        serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
    } else {
        s.to_owned()
    }
}

fn needs_quotes(s: &str) -> bool {
    if s.is_empty() || s.trim() != s {
        return true;
    }
    // Words that YAML 1.1 or 1.2 readers take for something other than a string.
    const SPECIAL: &[&str] = &[
        "null", "Null", "NULL", "~", "true", "True", "TRUE", "false", "False", "FALSE", "yes",
        "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N",
        ".inf", ".Inf", ".INF", "-.inf", ".nan", ".NaN", ".NAN", "=", "<<",
    ];
    if SPECIAL.contains(&s) {
        return true;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        // `-` and `?`/`:` followed by a letter are plain, but quoting them is always safe.
        return true;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return true;
    }
    if s.chars().any(|c| c.is_control()) {
        return true;
    }
    looks_numeric(s)
}

fn looks_numeric(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if body.is_empty() {
        return false;
    }
    if body.starts_with("0x") || body.starts_with("0o") || body.starts_with("0b") {
        return true;
    }
    // Digits with dots, underscores, colons (YAML 1.1 sexagesimal) or an exponent.
    body.chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '.')
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || "._:eE+-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_reads_back_as_the_same_value() {
        let value = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "x", "labels": {"app": "a", "on": "yes"}},
            "data": {
                "empty": "", "num": "0123", "colon": "a: b", "script": "#!/bin/sh\necho hi\n",
                "nolf": "a\nb", "spaced": " lead", "list": "[1]", "float": "1e3", "ver": "1.20",
                "star": "*", "dash": "- x", "tab": "a\tb",
            },
            "list": [{"name": "a", "ports": [{"port": 80}]}, "b", [1, 2], {}],
            "nothing": null,
            "flag": true,
        });
        let text = to_yaml(&value);
        let parsed = hoist_yaml::parse(&text);
        assert!(
            parsed.diagnostics.is_empty(),
            "{text}\n{:?}",
            parsed.diagnostics
        );
        assert_eq!(parsed.root.map(|r| r.to_json()), Some(value), "{text}");
    }

    #[test]
    fn paths_find_their_lines() {
        let text = "spec:\n  sources:\n    - repoURL: x\n      helm:\n        valueFiles: 3\n";
        let root = hoist_yaml::parse(text).root.expect("root");
        assert_eq!(
            locate_path(&root, "spec.sources[0].helm.valueFiles")
                .start
                .line,
            5
        );
        assert_eq!(locate_path(&root, "spec.sources.0.helm").start.line, 5);
        assert_eq!(locate_path(&root, "spec.nothing.deeper").start.line, 2);
    }
}
