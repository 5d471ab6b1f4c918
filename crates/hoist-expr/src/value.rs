//! Values of the expression language and GitHub's coercion rules between them.

use std::cmp::Ordering;
use std::fmt::Write;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::number;

/// A value produced or consumed by an expression.
///
/// Arrays and objects are reference-counted: `==` on them is reference equality, exactly as in
/// GitHub's evaluator, and copying a context into many evaluations stays cheap.
#[derive(Clone, Debug, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(f64),
    String(Arc<str>),
    Array(Arc<Array>),
    Object(Arc<Object>),
}

/// The kind of a value, as GitHub names it in its test data and error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Null,
    Boolean,
    Number,
    String,
    Array,
    Object,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Null => "Null",
            Kind::Boolean => "Boolean",
            Kind::Number => "Number",
            Kind::String => "String",
            Kind::Array => "Array",
            Kind::Object => "Object",
        }
    }
}

/// An array. `filtered` marks the result of a `*` filter, to which a following index applies
/// element-wise (`a.*.b` picks `b` of every element).
#[derive(Clone, Debug, Default)]
pub struct Array {
    pub items: Vec<Value>,
    pub filtered: bool,
}

/// An object with case-insensitive keys. The first spelling of a key wins and keeps its place,
/// as in GitHub's dictionaries.
#[derive(Clone, Debug, Default)]
pub struct Object {
    entries: IndexMap<String, (String, Value)>,
}

impl Object {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key` unless a key equal to it ignoring case is already present.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        let key = key.into();
        let folded = fold_key(&key);
        self.entries.entry(folded).or_insert((key, value));
    }

    /// Sets `key`, replacing the value of an existing key equal ignoring case.
    pub fn set(&mut self, key: impl Into<String>, value: Value) {
        let key = key.into();
        let folded = fold_key(&key);
        match self.entries.get_mut(&folded) {
            Some(slot) => slot.1 = value,
            None => {
                self.entries.insert(folded, (key, value));
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.get(&fold_key(key)).map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.entries.contains_key(&fold_key(key))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.values().map(|(k, v)| (k.as_str(), v))
    }

    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.entries.values().map(|(_, v)| v)
    }
}

fn fold_key(key: &str) -> String {
    if key.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        key.to_owned()
    } else {
        key.to_lowercase()
    }
}

impl Value {
    pub fn string(s: impl AsRef<str>) -> Value {
        Value::String(Arc::from(s.as_ref()))
    }

    pub fn array(items: Vec<Value>) -> Value {
        Value::Array(Arc::new(Array {
            items,
            filtered: false,
        }))
    }

    pub fn object(object: Object) -> Value {
        Value::Object(Arc::new(object))
    }

    pub fn kind(&self) -> Kind {
        match self {
            Value::Null => Kind::Null,
            Value::Bool(_) => Kind::Boolean,
            Value::Number(_) => Kind::Number,
            Value::String(_) => Kind::String,
            Value::Array(_) => Kind::Array,
            Value::Object(_) => Kind::Object,
        }
    }

    pub fn is_primitive(&self) -> bool {
        !matches!(self, Value::Array(_) | Value::Object(_))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(&a.items),
            _ => None,
        }
    }

    /// Looks up a property of an object, ignoring case; `None` for anything else.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object().and_then(|o| o.get(key))
    }

    /// GitHub's truthiness: `null`, `false`, `0`, `NaN` and `''` are false; arrays and objects
    /// are always true.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => !(*n == 0.0 || n.is_nan()),
            Value::String(s) => !s.is_empty(),
            Value::Array(_) | Value::Object(_) => true,
        }
    }

    /// The string form used by interpolation and string functions: `''` for null,
    /// `Array`/`Object` for compound values, and numbers as GitHub prints them.
    pub fn coerce_string(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => number::coerce_string(*n),
            Value::String(s) => s.to_string(),
            Value::Array(_) => "Array".to_owned(),
            Value::Object(_) => "Object".to_owned(),
        }
    }

    /// The number form used by comparisons: JavaScript's `Number()` on strings,
    /// `NaN` for arrays and objects.
    pub fn to_number(&self) -> f64 {
        match self {
            Value::Null => 0.0,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Number(n) => *n,
            Value::String(s) => number::parse_js_number(s).unwrap_or(f64::NAN),
            Value::Array(_) | Value::Object(_) => f64::NAN,
        }
    }

    /// GitHub's loose equality (`==`).
    pub fn loose_eq(&self, other: &Value) -> bool {
        let (l, r) = coerce_pair(self, other);
        match (&l, &r) {
            (Value::Null, Value::Null) => true,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => compare_ignore_case(a, b) == Ordering::Equal,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => Arc::ptr_eq(a, b),
            (Value::Object(a), Value::Object(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// GitHub's ordering for `<` and `>`: `None` when the operands do not compare (different
    /// kinds after coercion, NaN, arrays, objects).
    pub fn loose_cmp(&self, other: &Value) -> Option<Ordering> {
        let (l, r) = coerce_pair(self, other);
        match (&l, &r) {
            (Value::Number(a), Value::Number(b)) => a.partial_cmp(b),
            (Value::String(a), Value::String(b)) => Some(compare_ignore_case(a, b)),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    /// Converts a JSON value; object keys become case-insensitive.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => Value::string(s),
            serde_json::Value::Array(items) => {
                Value::array(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => {
                let mut o = Object::new();
                for (k, v) in map {
                    o.insert(k.clone(), Value::from_json(v));
                }
                Value::object(o)
            }
        }
    }

    /// Converts to a JSON value. Non-finite numbers have no JSON form and become `null`,
    /// as `JSON.stringify` does.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => json_number(*n),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::Array(a) => {
                serde_json::Value::Array(a.items.iter().map(Value::to_json).collect())
            }
            Value::Object(o) => serde_json::Value::Object(
                o.iter().map(|(k, v)| (k.to_owned(), v.to_json())).collect(),
            ),
        }
    }

    /// `JSON.stringify(value, null, 2)`, which is what `toJSON()` returns.
    pub fn to_pretty_json(&self) -> String {
        let mut out = String::new();
        write_json(&mut out, self, 0);
        out
    }
}

fn json_number(n: f64) -> serde_json::Value {
    if !n.is_finite() {
        return serde_json::Value::Null;
    }
    if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        // Integral values print without a trailing `.0`.
        return serde_json::Value::from(n as i64);
    }
    serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

fn write_json(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if n.is_finite() {
                out.push_str(&number::to_js_string(*n));
            } else {
                out.push_str("null");
            }
        }
        Value::String(s) => write_json_string(out, s),
        Value::Array(a) => {
            if a.items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in a.items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline_indent(out, indent + 1);
                write_json(out, item, indent + 1);
            }
            newline_indent(out, indent);
            out.push(']');
        }
        Value::Object(o) => {
            if o.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (i, (k, v)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline_indent(out, indent + 1);
                write_json_string(out, k);
                out.push_str(": ");
                write_json(out, v, indent + 1);
            }
            newline_indent(out, indent);
            out.push('}');
        }
    }
}

fn newline_indent(out: &mut String, indent: usize) {
    out.push('\n');
    for _ in 0..indent {
        out.push_str("  ");
    }
}

/// Escapes like `JSON.stringify`: quotes, backslashes and control characters only.
fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Coerces two operands to a common kind the way GitHub does before comparing: like
/// JavaScript's abstract equality, except that arrays and objects are never converted.
fn coerce_pair(l: &Value, r: &Value) -> (Value, Value) {
    if l.kind() == r.kind() {
        return (l.clone(), r.clone());
    }
    match (l, r) {
        (Value::Number(_), Value::String(_)) => (l.clone(), Value::Number(r.to_number())),
        (Value::String(_), Value::Number(_)) => (Value::Number(l.to_number()), r.clone()),
        (Value::Null | Value::Bool(_), _) => coerce_pair(&Value::Number(l.to_number()), r),
        (_, Value::Null | Value::Bool(_)) => coerce_pair(l, &Value::Number(r.to_number())),
        _ => (l.clone(), r.clone()),
    }
}

/// Compares strings ignoring case by upper-casing both (the dotless `ı` is left alone, as in
/// GitHub's evaluator), then ordering by UTF-16 code units like JavaScript does.
pub fn compare_ignore_case(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        let a = a.bytes().map(|c| c.to_ascii_uppercase());
        let b = b.bytes().map(|c| c.to_ascii_uppercase());
        return a.cmp(b);
    }
    let a = upper_special(a);
    let b = upper_special(b);
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Upper-cases `s`, leaving the dotless `ı` as it is.
pub(crate) fn upper_special(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == 'ı' {
            out.push(c);
        } else {
            out.extend(c.to_uppercase());
        }
    }
    out
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::string(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(Arc::from(s))
    }
}

impl From<Object> for Value {
    fn from(o: Object) -> Self {
        Value::object(o)
    }
}
