//! The built-in functions and the signatures of the ones a runner supplies.

use crate::errors::ExprError;
use crate::eval::Budget;
use crate::value::{Kind, Value, upper_special};

/// A function's name and how many arguments it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FunctionSig {
    pub name: &'static str,
    pub min_args: usize,
    pub max_args: usize,
}

const fn sig(name: &'static str, min_args: usize, max_args: usize) -> FunctionSig {
    FunctionSig {
        name,
        min_args,
        max_args,
    }
}

/// Functions available in every expression.
pub const BUILTIN_FUNCTIONS: &[FunctionSig] = &[
    sig("case", 3, usize::MAX),
    sig("contains", 2, 2),
    sig("endsWith", 2, 2),
    sig("format", 1, 255),
    sig("fromJSON", 1, 1),
    sig("join", 1, 2),
    sig("startsWith", 2, 2),
    sig("toJSON", 1, 1),
];

/// Job-status functions, available in `if:` conditions only.
pub const STATUS_FUNCTIONS: &[FunctionSig] = &[
    sig("success", 0, 0),
    sig("always", 0, 0),
    sig("cancelled", 0, 0),
    sig("failure", 0, 0),
];

/// The status functions with any number of arguments, as GitHub runs them: a job's `if:` may
/// name jobs in `success()` and `failure()`, and arguments elsewhere are ignored rather than
/// refused. `hoist check` warns about the arguments GitHub's schema does not list.
pub const STATUS_FUNCTIONS_ANY_ARGUMENTS: &[FunctionSig] = &[
    sig("success", 0, usize::MAX),
    sig("always", 0, usize::MAX),
    sig("cancelled", 0, usize::MAX),
    sig("failure", 0, usize::MAX),
];

/// `hashFiles(pattern, ...)`, available where steps run.
pub const HASH_FILES: FunctionSig = sig("hashFiles", 1, 255);

pub(crate) fn is_builtin(name: &str) -> bool {
    BUILTIN_FUNCTIONS
        .iter()
        .any(|f| f.name.eq_ignore_ascii_case(name))
}

/// Calls built-in function `name` (any case); the parser has already checked the arity.
pub(crate) fn call_builtin(
    name: &str,
    args: &[Value],
    budget: &mut Budget,
) -> Result<Value, ExprError> {
    let lower = name.to_ascii_lowercase();
    let result = match lower.as_str() {
        "case" => case(args)?,
        "contains" => Value::Bool(contains(&args[0], &args[1])),
        "startswith" => Value::Bool(affix(&args[0], &args[1], |l, r| l.starts_with(r))),
        "endswith" => Value::Bool(affix(&args[0], &args[1], |l, r| l.ends_with(r))),
        "format" => Value::from(format(args)?),
        "join" => Value::from(join(args)),
        "tojson" => Value::from(args[0].to_pretty_json()),
        "fromjson" => from_json(&args[0])?,
        _ => {
            return Err(ExprError::evaluation(format!(
                "Unrecognized function: '{name}'"
            )));
        }
    };
    if let Value::String(s) = &result {
        budget.charge_string(s)?;
    }
    Ok(result)
}

fn case(args: &[Value]) -> Result<Value, ExprError> {
    let mut i = 0;
    while i + 1 < args.len() {
        match &args[i] {
            Value::Bool(true) => return Ok(args[i + 1].clone()),
            Value::Bool(false) => {}
            _ => {
                return Err(ExprError::evaluation(
                    "case predicate must evaluate to a boolean value",
                ));
            }
        }
        i += 2;
    }
    Ok(args[args.len() - 1].clone())
}

fn contains(search: &Value, item: &Value) -> bool {
    match search {
        Value::Array(a) => a.items.iter().any(|v| item.loose_eq(v)),
        s if s.is_primitive() && item.is_primitive() => {
            let haystack = s.coerce_string().to_lowercase();
            haystack.contains(&item.coerce_string().to_lowercase())
        }
        _ => false,
    }
}

fn affix(left: &Value, right: &Value, test: impl Fn(&str, &str) -> bool) -> bool {
    if !left.is_primitive() || !right.is_primitive() {
        return false;
    }
    test(
        &upper_special(&left.coerce_string()),
        &upper_special(&right.coerce_string()),
    )
}

fn join(args: &[Value]) -> String {
    match &args[0] {
        v if v.is_primitive() => v.coerce_string(),
        Value::Array(a) => {
            let separator = match args.get(1) {
                Some(s) if s.is_primitive() => s.coerce_string(),
                _ => ",".to_owned(),
            };
            let parts: Vec<String> = a.items.iter().map(Value::coerce_string).collect();
            parts.join(&separator)
        }
        _ => String::new(),
    }
}

/// `format('{0} and {{literal}}', x)`: `{N}` is replaced by argument N, doubled braces escape.
fn format(args: &[Value]) -> Result<String, ExprError> {
    let fs: Vec<char> = args[0].coerce_string().chars().collect();
    let original: String = fs.iter().collect();
    let invalid = || {
        ExprError::evaluation(format!(
            "The following format string is invalid: {original}"
        ))
    };
    let mut out = String::new();
    let mut i = 0;
    while i < fs.len() {
        let lbrace = fs[i..].iter().position(|c| *c == '{').map(|p| p + i);
        let rbrace = fs[i..].iter().position(|c| *c == '}').map(|p| p + i);
        match (lbrace, rbrace) {
            (Some(l), r) if r.is_none_or(|r| r > l) => {
                if fs.get(l + 1) == Some(&'{') {
                    out.extend(&fs[i..=l]);
                    i = l + 2;
                    continue;
                }
                let Some(r) = r else { return Err(invalid()) };
                let digits = &fs[l + 1..r];
                if digits.is_empty() || !digits.iter().all(char::is_ascii_digit) {
                    return Err(invalid());
                }
                let n: String = digits.iter().collect();
                let index = n.parse::<usize>().map_err(|_| invalid())?;
                if index + 1 > args.len() - 1 {
                    return Err(ExprError::evaluation(format!(
                        "The following format string references more arguments than were supplied: {original}"
                    )));
                }
                out.extend(&fs[i..l]);
                out.push_str(&args[index + 1].coerce_string());
                i = r + 1;
            }
            (_, Some(r)) => {
                if fs.get(r + 1) == Some(&'}') {
                    out.extend(&fs[i..=r]);
                    i = r + 2;
                } else {
                    return Err(invalid());
                }
            }
            _ => {
                out.extend(&fs[i..]);
                break;
            }
        }
    }
    Ok(out)
}

fn from_json(input: &Value) -> Result<Value, ExprError> {
    let text = input.coerce_string();
    if text.trim().is_empty() {
        return Err(ExprError::evaluation(
            "Error parsing fromJson: the input is empty",
        ));
    }
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(json) => Ok(Value::from_json(&json)),
        Err(e) => Err(ExprError::evaluation(format!(
            "Error parsing fromJson: {e} (input: {})",
            shorten(&text)
        ))),
    }
}

fn shorten(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        format!("'{s}'")
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("'{head}...'")
    }
}

/// The kind name GitHub uses, for messages that mention a value's type.
pub fn kind_name(v: &Value) -> &'static str {
    match v.kind() {
        Kind::Null => "null",
        Kind::Boolean => "boolean",
        Kind::Number => "number",
        Kind::String => "string",
        Kind::Array => "array",
        Kind::Object => "object",
    }
}
