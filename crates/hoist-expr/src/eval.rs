//! Evaluates a syntax tree against the contexts and functions a caller provides.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::ast::{BinaryOp, Expr, ExprKind, Index, LogicalOp};
use crate::errors::ExprError;
use crate::functions::{call_builtin, is_builtin};
use crate::value::{Array, Object, Value};

/// GitHub stops an evaluation that builds more than this many bytes of strings.
pub const MAX_MEMORY_BYTES: usize = 1024 * 1024;

/// What an expression can see: named values (contexts) and the functions a runner supplies
/// (`success()`, `hashFiles()`, ...). Built-in functions need nothing from the scope.
pub trait Scope {
    /// The value of named value `name` (matched ignoring case), or `None` when absent.
    fn named_value(&self, name: &str) -> Option<Value>;

    /// Calls a non-built-in function. `None` means the scope does not know it.
    fn call_function(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let _ = (name, args);
        None
    }
}

impl Scope for Object {
    fn named_value(&self, name: &str) -> Option<Value> {
        self.get(name).cloned()
    }
}

/// Counts the bytes of strings an evaluation creates, as GitHub's runner does (UTF-16).
#[derive(Debug, Default)]
pub(crate) struct Budget {
    used: usize,
}

impl Budget {
    pub(crate) fn charge_string(&mut self, s: &str) -> Result<(), ExprError> {
        let units = if s.is_ascii() {
            s.len()
        } else {
            s.encode_utf16().count()
        };
        self.used += units * 2;
        if self.used > MAX_MEMORY_BYTES {
            return Err(ExprError::evaluation(
                "The maximum allowed memory size was exceeded",
            ));
        }
        Ok(())
    }
}

/// Evaluates `expr`. `None` (the empty expression) evaluates to null.
pub fn evaluate(expr: Option<&Expr>, scope: &dyn Scope) -> Result<Value, ExprError> {
    let Some(expr) = expr else {
        return Ok(Value::Null);
    };
    let mut ev = Evaluator {
        scope,
        budget: Budget::default(),
    };
    ev.eval(expr)
}

struct Evaluator<'a> {
    scope: &'a dyn Scope,
    budget: Budget,
}

impl Evaluator<'_> {
    fn eval(&mut self, e: &Expr) -> Result<Value, ExprError> {
        match &e.kind {
            ExprKind::Literal(v) => Ok(v.clone()),
            ExprKind::Not(inner) => Ok(Value::Bool(!self.eval(inner)?.is_truthy())),
            ExprKind::Binary { op, left, right } => {
                let l = self.eval(left)?;
                let r = self.eval(right)?;
                let result = match op {
                    BinaryOp::Eq => l.loose_eq(&r),
                    BinaryOp::Ne => !l.loose_eq(&r),
                    BinaryOp::Lt => l.loose_cmp(&r) == Some(Ordering::Less),
                    BinaryOp::Gt => l.loose_cmp(&r) == Some(Ordering::Greater),
                    BinaryOp::Le => l.loose_eq(&r) || l.loose_cmp(&r) == Some(Ordering::Less),
                    BinaryOp::Ge => l.loose_eq(&r) || l.loose_cmp(&r) == Some(Ordering::Greater),
                };
                Ok(Value::Bool(result))
            }
            ExprKind::Logical { op, args } => {
                let mut result = Value::Null;
                for arg in args {
                    result = self.eval(arg)?;
                    let stop = match op {
                        LogicalOp::And => !result.is_truthy(),
                        LogicalOp::Or => result.is_truthy(),
                    };
                    if stop {
                        break;
                    }
                }
                Ok(result)
            }
            ExprKind::Group(inner) => {
                // Parentheses end a `*` filter: `(a.*.b)[0]` is the first element.
                match self.eval(inner)? {
                    Value::Array(a) if a.filtered => Ok(Value::array(a.items.clone())),
                    v => Ok(v),
                }
            }
            ExprKind::Context(name) => Ok(self.scope.named_value(name).unwrap_or_default()),
            ExprKind::Index { target, index } => {
                let key = match index {
                    Index::Star => None,
                    Index::Expr(ix) => Some(Key::new(&self.eval(ix)?)),
                };
                let target = self.eval(target)?;
                Ok(index_value(&target, key.as_ref()))
            }
            ExprKind::Call { name, args } => {
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push(self.eval(a)?);
                }
                if is_builtin(name) {
                    return call_builtin(name, &values, &mut self.budget);
                }
                match self.scope.call_function(name, &values) {
                    Some(Ok(v)) => Ok(v),
                    Some(Err(message)) => Err(ExprError::evaluation(message)),
                    None => Err(ExprError::evaluation(format!(
                        "Unrecognized function: '{name}'. The function is not available here."
                    ))),
                }
            }
        }
    }
}

/// An index converted once: its string form for objects and its integer form for arrays.
struct Key {
    string: Option<String>,
    integer: Option<usize>,
}

impl Key {
    fn new(v: &Value) -> Self {
        let string = v.is_primitive().then(|| v.coerce_string());
        let n = v.to_number();
        let integer = (n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n < usize::MAX as f64)
            .then_some(n as usize);
        Self { string, integer }
    }
}

fn index_value(target: &Value, key: Option<&Key>) -> Value {
    match target {
        Value::Array(a) if a.filtered => {
            let mut out = Vec::new();
            for item in &a.items {
                match (item, key) {
                    (Value::Object(o), None) => out.extend(o.values().cloned()),
                    (Value::Array(inner), None) => out.extend(inner.items.iter().cloned()),
                    (Value::Object(o), Some(k)) => {
                        if let Some(v) = k.string.as_deref().and_then(|s| o.get(s)) {
                            out.push(v.clone());
                        }
                    }
                    (Value::Array(inner), Some(k)) => {
                        if let Some(v) = k.integer.and_then(|i| inner.items.get(i)) {
                            out.push(v.clone());
                        }
                    }
                    _ => {}
                }
            }
            filtered(out)
        }
        Value::Array(a) => match key {
            None => filtered(a.items.clone()),
            Some(k) => k
                .integer
                .and_then(|i| a.items.get(i))
                .cloned()
                .unwrap_or_default(),
        },
        Value::Object(o) => match key {
            None => filtered(o.values().cloned().collect()),
            Some(k) => k
                .string
                .as_deref()
                .and_then(|s| o.get(s))
                .cloned()
                .unwrap_or_default(),
        },
        _ => match key {
            None => filtered(Vec::new()),
            Some(_) => Value::Null,
        },
    }
}

fn filtered(items: Vec<Value>) -> Value {
    Value::Array(Arc::new(Array {
        items,
        filtered: true,
    }))
}
