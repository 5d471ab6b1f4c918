//! The syntax tree of a parsed expression.

use crate::value::Value;

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    /// Character offsets `[start, end)` within the expression text.
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogicalOp {
    And,
    Or,
}

#[derive(Clone, Debug)]
pub enum Index {
    /// `[*]` or `.*`
    Star,
    Expr(Box<Expr>),
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Literal(Value),
    Not(Box<Expr>),
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// A chain `a && b && c` (or `||`), evaluated left to right with short-circuit.
    Logical {
        op: LogicalOp,
        args: Vec<Expr>,
    },
    Group(Box<Expr>),
    /// A named value (context) such as `github`, as written.
    Context(String),
    Index {
        target: Box<Expr>,
        index: Index,
    },
    /// A function call; `name` is as written (names are case-insensitive).
    Call {
        name: String,
        args: Vec<Expr>,
    },
}

/// One segment of a property path such as `needs.build.outputs.x`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSegment {
    Name(String),
    Star,
    /// An index that is not a literal, like `matrix[inputs.key]`: the path is known up to here.
    Dynamic,
}

/// A named value followed by property accesses, with the span of the whole access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropertyPath {
    pub context: String,
    pub segments: Vec<PathSegment>,
    pub start: usize,
    pub end: usize,
    /// Character offsets `[start, end)` of each segment, parallel to `segments`.
    pub segment_spans: Vec<(usize, usize)>,
}

impl Expr {
    /// Calls `f` on this node and every node below it, parents first.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match &self.kind {
            ExprKind::Literal(_) | ExprKind::Context(_) => {}
            ExprKind::Not(e) | ExprKind::Group(e) => e.walk(f),
            ExprKind::Binary { left, right, .. } => {
                left.walk(f);
                right.walk(f);
            }
            ExprKind::Logical { args, .. } | ExprKind::Call { args, .. } => {
                for a in args {
                    a.walk(f);
                }
            }
            ExprKind::Index { target, index } => {
                target.walk(f);
                if let Index::Expr(e) = index {
                    e.walk(f);
                }
            }
        }
    }

    /// The longest property paths in the expression: for `needs.a.outputs.x == 'y'`, one path
    /// `needs` → `a` → `outputs` → `x`. Paths nested inside dynamic indexes are found too.
    pub fn property_paths(&self) -> Vec<PropertyPath> {
        let mut out = Vec::new();
        collect_paths(self, &mut out);
        out
    }

    /// Whether the expression calls any of the named functions (case-insensitively).
    pub fn calls_any(&self, names: &[&str]) -> bool {
        let mut found = false;
        self.walk(&mut |e| {
            if let ExprKind::Call { name, .. } = &e.kind
                && names.iter().any(|n| n.eq_ignore_ascii_case(name))
            {
                found = true;
            }
        });
        found
    }
}

fn collect_paths(e: &Expr, out: &mut Vec<PropertyPath>) {
    if let Some(path) = as_path(e) {
        // Still look inside dynamic indexes of the chain.
        let mut cur = e;
        while let ExprKind::Index { target, index } = &cur.kind {
            if let Index::Expr(ix) = index
                && !matches!(ix.kind, ExprKind::Literal(_))
            {
                collect_paths(ix, out);
            }
            cur = target;
        }
        out.push(path);
        return;
    }
    match &e.kind {
        ExprKind::Literal(_) | ExprKind::Context(_) => {}
        ExprKind::Not(x) | ExprKind::Group(x) => collect_paths(x, out),
        ExprKind::Binary { left, right, .. } => {
            collect_paths(left, out);
            collect_paths(right, out);
        }
        ExprKind::Logical { args, .. } | ExprKind::Call { args, .. } => {
            for a in args {
                collect_paths(a, out);
            }
        }
        ExprKind::Index { target, index } => {
            collect_paths(target, out);
            if let Index::Expr(ix) = index {
                collect_paths(ix, out);
            }
        }
    }
}

fn as_path(e: &Expr) -> Option<PropertyPath> {
    match &e.kind {
        ExprKind::Context(name) => Some(PropertyPath {
            context: name.clone(),
            segments: Vec::new(),
            start: e.start,
            end: e.end,
            segment_spans: Vec::new(),
        }),
        ExprKind::Index { target, index } => {
            let mut path = as_path(target)?;
            let (segment, span) = match index {
                Index::Star => (PathSegment::Star, (target.end, e.end)),
                Index::Expr(ix) => match &ix.kind {
                    ExprKind::Literal(Value::String(s)) => {
                        (PathSegment::Name(s.to_string()), (ix.start, ix.end))
                    }
                    _ => (PathSegment::Dynamic, (ix.start, ix.end)),
                },
            };
            path.segments.push(segment);
            path.segment_spans.push(span);
            path.end = e.end;
            Some(path)
        }
        _ => None,
    }
}
