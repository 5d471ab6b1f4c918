//! What a rule can know of an expression without evaluating Terraform: literals (strings,
//! booleans, numbers, lists, objects, JSON in heredocs and `jsonencode`), else "unknown".

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Attribute, Block, Structure};
use hcl_edit::template::Element;

/// A literal value, or what cannot be known here.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Lit {
    Str(String),
    Bool(bool),
    Num(f64),
    List(Vec<Lit>),
    Obj(Vec<(String, Lit)>),
    Unknown,
}

impl Lit {
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Lit::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self {
            Lit::Bool(b) => Some(*b),
            Lit::Str(s) if s == "true" => Some(true),
            Lit::Str(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    pub(crate) fn as_num(&self) -> Option<f64> {
        match self {
            Lit::Num(n) => Some(*n),
            Lit::Str(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// A string, or every string of a list.
    pub(crate) fn strings(&self) -> Vec<&str> {
        match self {
            Lit::Str(s) => vec![s],
            Lit::List(items) => items.iter().filter_map(Lit::as_str).collect(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Lit> {
        match self {
            Lit::Obj(items) => items.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

fn from_json(v: &serde_json::Value) -> Lit {
    match v {
        serde_json::Value::String(s) => Lit::Str(s.clone()),
        serde_json::Value::Bool(b) => Lit::Bool(*b),
        serde_json::Value::Number(n) => n.as_f64().map_or(Lit::Unknown, Lit::Num),
        serde_json::Value::Array(a) => Lit::List(a.iter().map(from_json).collect()),
        serde_json::Value::Object(o) => {
            Lit::Obj(o.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
        serde_json::Value::Null => Lit::Unknown,
    }
}

/// The literal value of `e`, its parts read with `part` (which resolves references where
/// it can); a reference itself is unknown here.
pub(crate) fn lit_with(e: &Expression, part: &dyn Fn(&Expression) -> Lit) -> Lit {
    match e {
        Expression::String(s) => Lit::Str(s.value().clone()),
        Expression::Bool(b) => Lit::Bool(*b.value()),
        Expression::Number(n) => n.value().as_f64().map_or(Lit::Unknown, Lit::Num),
        Expression::Array(a) => Lit::List(a.iter().map(part).collect()),
        Expression::Object(o) => Lit::Obj(
            o.iter()
                .map(|(k, v)| {
                    let key = match k {
                        ObjectKey::Ident(i) => i.value().as_str().to_owned(),
                        ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                        ObjectKey::Expression(_) => String::new(),
                    };
                    (key, part(v.expr()))
                })
                .collect(),
        ),
        Expression::Parenthesis(p) => part(p.inner()),
        Expression::FuncCall(f) if f.name.name.value().as_str() == "jsonencode" => {
            f.args.iter().next().map_or(Lit::Unknown, part)
        }
        Expression::HeredocTemplate(h) => {
            // JSON policy documents: interpolations become placeholders, so the structure
            // (and every literal action and resource) can still be read.
            let mut text = String::new();
            for el in h.template.iter() {
                match el {
                    Element::Literal(l) => text.push_str(l.value()),
                    _ => text.push_str("interpolated"),
                }
            }
            serde_json::from_str::<serde_json::Value>(&text).map_or(Lit::Unknown, |v| from_json(&v))
        }
        Expression::StringTemplate(t) => {
            // Text with interpolations: known only when it is all literal.
            let mut text = String::new();
            for el in t.iter() {
                match el {
                    Element::Literal(l) => text.push_str(l.value()),
                    _ => return Lit::Unknown,
                }
            }
            Lit::Str(text)
        }
        _ => Lit::Unknown,
    }
}

/// Attribute `name` of a block's body.
pub(crate) fn attr<'a>(b: &'a Block, name: &str) -> Option<&'a Attribute> {
    b.body.iter().find_map(|s| match s {
        Structure::Attribute(a) if a.key.value().as_str() == name => Some(a),
        _ => None,
    })
}

/// The nested blocks `name` of a block's body.
pub(crate) fn blocks<'a>(b: &'a Block, name: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
    b.body.iter().filter_map(move |s| match s {
        Structure::Block(inner) if inner.ident.value().as_str() == name => Some(inner),
        _ => None,
    })
}

/// Whether expression `e` mentions resource `ty.name` (`aws_s3_bucket.logs.id`, …).
pub(crate) fn refers_to(e: &Expression, ty: &str, name: &str) -> bool {
    let text = e.to_string();
    let needle = format!("{ty}.{name}");
    text.match_indices(&needle).any(|(i, _)| {
        let after = text[i + needle.len()..].chars().next();
        let before = text[..i].chars().next_back();
        !after.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-')
            && !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
    })
}
