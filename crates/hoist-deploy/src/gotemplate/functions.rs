//! The functions a template may call: Go's builtins, the sprig ones Argo CD's ApplicationSets use, and Argo CD's own.

use serde_json::Value;

use super::{display, truthy};
use crate::TemplateError;

/// The functions: Go's builtins `eq ne not and or index len printf` and sprig's `lower upper
/// title trim trimPrefix trimSuffix replace quote squote default contains hasPrefix hasSuffix
/// toJson`, plus Argo CD's `normalize`.
pub(super) fn call(template: &str, name: &str, args: Vec<Value>) -> Result<Value, TemplateError> {
    let fail = |message: String| TemplateError::Execution {
        template: template.to_owned(),
        message,
    };
    let want = |n: usize| -> Result<(), TemplateError> {
        if args.len() == n {
            Ok(())
        } else {
            Err(fail(format!(
                "`{name}` takes {n} argument(s), got {}",
                args.len()
            )))
        }
    };
    let s = |i: usize| display(&args[i]);
    Ok(match name {
        "lower" => {
            want(1)?;
            Value::String(s(0).to_lowercase())
        }
        "upper" => {
            want(1)?;
            Value::String(s(0).to_uppercase())
        }
        "title" => {
            want(1)?;
            Value::String(
                s(0).split(' ')
                    .map(|w| {
                        let mut c = w.chars();
                        c.next()
                            .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        }
        "trim" => {
            want(1)?;
            Value::String(s(0).trim().to_owned())
        }
        "trimPrefix" => {
            want(2)?;
            let v = s(1);
            Value::String(v.strip_prefix(s(0).as_str()).unwrap_or(&v).to_owned())
        }
        "trimSuffix" => {
            want(2)?;
            let v = s(1);
            Value::String(v.strip_suffix(s(0).as_str()).unwrap_or(&v).to_owned())
        }
        "replace" => {
            want(3)?;
            Value::String(s(2).replace(&s(0), &s(1)))
        }
        "quote" => {
            want(1)?;
            Value::String(format!("{:?}", s(0)))
        }
        "squote" => {
            want(1)?;
            Value::String(format!("'{}'", s(0)))
        }
        "default" => {
            want(2)?;
            if truthy(&args[1]) {
                args[1].clone()
            } else {
                args[0].clone()
            }
        }
        "contains" => {
            want(2)?;
            Value::Bool(s(1).contains(&s(0)))
        }
        "hasPrefix" => {
            want(2)?;
            Value::Bool(s(1).starts_with(&s(0)))
        }
        "hasSuffix" => {
            want(2)?;
            Value::Bool(s(1).ends_with(&s(0)))
        }
        "toJson" => {
            want(1)?;
            Value::String(args[0].to_string())
        }
        "normalize" => {
            // Argo CD: lower case, anything but [a-z0-9.-] becomes `-`, at most 253 characters.
            want(1)?;
            let mut n: String = s(0)
                .to_lowercase()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            n.truncate(253);
            Value::String(n.trim_matches(|c| c == '-' || c == '.').to_owned())
        }
        "eq" => {
            if args.len() < 2 {
                return Err(fail("`eq` takes at least 2 arguments".to_owned()));
            }
            Value::Bool(args[1..].iter().any(|a| loose_eq(&args[0], a)))
        }
        "ne" => {
            want(2)?;
            Value::Bool(!loose_eq(&args[0], &args[1]))
        }
        "not" => {
            want(1)?;
            Value::Bool(!truthy(&args[0]))
        }
        "and" => args
            .iter()
            .find(|a| !truthy(a))
            .or(args.last())
            .cloned()
            .unwrap_or(Value::Null),
        "or" => args
            .iter()
            .find(|a| truthy(a))
            .or(args.last())
            .cloned()
            .unwrap_or(Value::Null),
        "len" => {
            want(1)?;
            Value::from(match &args[0] {
                Value::String(s) => s.chars().count(),
                Value::Array(a) => a.len(),
                Value::Object(o) => o.len(),
                _ => return Err(fail("`len` of a value without a length".to_owned())),
            })
        }
        "index" => {
            if args.is_empty() {
                return Err(fail("`index` needs a collection".to_owned()));
            }
            let mut v = args[0].clone();
            for key in &args[1..] {
                v = match (&v, key) {
                    (Value::Array(a), Value::Number(n)) => {
                        let i = n.as_u64().unwrap_or(u64::MAX) as usize;
                        a.get(i).cloned().ok_or_else(|| {
                            fail(format!("index {i} out of range (length {})", a.len()))
                        })?
                    }
                    (Value::Object(o), k) => o.get(&display(k)).cloned().unwrap_or(Value::Null),
                    _ => {
                        return Err(fail(
                            "`index` of a value that is not a list or map".to_owned(),
                        ));
                    }
                };
            }
            v
        }
        "printf" => {
            if args.is_empty() {
                return Err(fail("`printf` needs a format".to_owned()));
            }
            let format = s(0);
            let mut out = String::new();
            let mut values = args[1..].iter();
            let mut chars = format.chars();
            while let Some(c) = chars.next() {
                if c != '%' {
                    out.push(c);
                    continue;
                }
                match chars.next() {
                    Some('%') => out.push('%'),
                    Some('s' | 'v' | 'd') => out.push_str(
                        &values
                            .next()
                            .map(display)
                            .unwrap_or_else(|| "%!s(MISSING)".to_owned()),
                    ),
                    Some('q') => out.push_str(&format!(
                        "{:?}",
                        values.next().map(display).unwrap_or_default()
                    )),
                    other => {
                        return Err(fail(format!(
                            "`printf` verb `%{}` is not supported",
                            other.unwrap_or(' ')
                        )));
                    }
                }
            }
            Value::String(out)
        }
        _ => return Err(fail(format!("function `{name}` is not supported"))),
    })
}

fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}
