//! `terraform validate`'s static half, without providers, and tflint's recommended rules
//! for the Terraform language, over the files of one module (one directory).
//!
//! The files are parsed with `hcl-edit` (a lossless HCL syntax tree with byte spans). What is
//! checked: references to undeclared variables, locals, modules, data sources and resources
//! (with "did you mean"), names declared twice, `count` with `for_each`, variables in a
//! `backend` block; and tflint's `terraform_unused_declarations`, `terraform_typed_variables`,
//! `terraform_required_version`, `terraform_required_providers`,
//! `terraform_module_pinned_source` and `terraform_deprecated_interpolation`, shown under
//! tflint's names.

use std::collections::{BTreeMap, HashSet};

use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, ForExpr, Traversal, TraversalOperator};
use hcl_edit::structure::{Attribute, Block, BlockLabel, Body, Structure};
use hcl_edit::visit::{self, Visit};
use hoist_diagnostics::{Diagnostic, Position, Span};

/// One file of the module.
#[derive(Clone, Debug)]
pub struct ModuleFile {
    pub path: String,
    pub text: String,
}

/// Where something is: a file of the module and a byte range in it.
#[derive(Clone, Debug)]
struct At {
    file: usize,
    range: std::ops::Range<usize>,
}

/// What the module declares, by kind and name.
#[derive(Default)]
struct Declarations {
    /// (kind, name) → where, for `variable`, `local`, `module`, `data`, `resource`, `output`.
    names: BTreeMap<(&'static str, String), At>,
    /// Variables declared without `type`.
    untyped: Vec<(String, At)>,
    required_version: bool,
    /// Provider local names with a version constraint in `required_providers`.
    versioned_providers: HashSet<String>,
    /// The first `terraform` block.
    terraform_block: Option<At>,
}

/// A reference found in an expression: `var.x`, `local.y`, `module.z`, `data.t.n`, `t.n`.
struct Reference {
    kind: &'static str,
    name: String,
    at: At,
}

/// Diagnostics, each with the index of its file.
pub type Findings = Vec<(usize, Diagnostic)>;

/// The module's files parsed (each with its index), and the syntax errors of those that do
/// not parse.
pub(crate) fn parse(files: &[ModuleFile]) -> (Vec<(usize, Body)>, Findings) {
    let mut out = Vec::new();
    let mut bodies = Vec::new();
    for (i, f) in files.iter().enumerate() {
        match hcl_edit::parser::parse_body(&f.text) {
            Ok(body) => bodies.push((i, body)),
            Err(e) => {
                let at = Position::new(e.location().line() as u32, e.location().column() as u32);
                out.push((
                    i,
                    Diagnostic::error(
                        "terraform-syntax",
                        Span::new(at, at),
                        format!("the file does not parse: {}", e.message()),
                    ),
                ));
            }
        }
    }
    (bodies, out)
}

/// The findings for every file of the module, with the file's index: syntax errors, then
/// the checks of `terraform validate` and tflint (not the security rules).
pub fn validate(files: &[ModuleFile]) -> Vec<(usize, Diagnostic)> {
    let (bodies, mut out) = parse(files);
    out.extend(checks(files, &bodies));
    out
}

/// [`validate`] and the security rules, parsing each file once.
pub fn check_module(files: &[ModuleFile]) -> Vec<(usize, Diagnostic)> {
    let (bodies, mut out) = parse(files);
    out.extend(checks(files, &bodies));
    out.extend(crate::security::scan(files, &bodies));
    out
}

fn checks(files: &[ModuleFile], bodies: &[(usize, Body)]) -> Vec<(usize, Diagnostic)> {
    let mut out = Vec::new();
    let mut decls = Declarations::default();
    let mut duplicates = Vec::new();
    for (file, body) in bodies {
        declare(*file, body, &mut decls, &mut duplicates, &mut out, files);
    }
    out.extend(duplicates);
    let mut refs = Vec::new();
    for (file, body) in bodies {
        for s in body.iter() {
            if let Structure::Block(b) = s {
                let mut finder = References {
                    file: *file,
                    scopes: Vec::new(),
                    found: &mut refs,
                };
                if b.ident.value().as_str() == "terraform" {
                    continue;
                }
                finder.block(b);
            }
        }
    }
    let mut used: HashSet<(&'static str, String)> = HashSet::new();
    for r in &refs {
        used.insert((r.kind, r.name.clone()));
        if !decls.names.contains_key(&(r.kind, r.name.clone())) {
            let known: Vec<&str> = decls
                .names
                .keys()
                .filter(|(k, _)| *k == r.kind)
                .map(|(_, n)| n.as_str())
                .collect();
            let what = match r.kind {
                "variable" => "input variable",
                "local" => "local value",
                "module" => "module call",
                "data" => "data source",
                _ => "resource",
            };
            let shown = match r.kind {
                "variable" => format!("var.{}", r.name),
                "local" => format!("local.{}", r.name),
                "module" => format!("module.{}", r.name),
                "data" => format!("data.{}", r.name),
                _ => r.name.clone(),
            };
            let mut d = Diagnostic::error(
                "undeclared-reference",
                span(files, &r.at),
                format!("`{shown}` refers to an undeclared {what}"),
            );
            d.hint = Some(match closest(&r.name, &known) {
                Some(near) => format!("did you mean `{near}`?"),
                None => "declare it, or correct the name".to_owned(),
            });
            out.push((r.at.file, d));
        }
    }
    // tflint: terraform_unused_declarations (variables, locals, data sources).
    for ((kind, name), at) in &decls.names {
        if matches!(*kind, "variable" | "local" | "data") && !used.contains(&(kind, name.clone())) {
            let what = match *kind {
                "variable" => format!("variable `{name}`"),
                "local" => format!("local value `{name}`"),
                _ => format!("data source `data.{name}`"),
            };
            let mut d = Diagnostic::warning(
                "terraform_unused_declarations",
                span(files, at),
                format!("{what} is declared but not used"),
            );
            d.hint = Some("remove it, or use it".to_owned());
            out.push((at.file, d));
        }
    }
    for (name, at) in &decls.untyped {
        let mut d = Diagnostic::warning(
            "terraform_typed_variables",
            span(files, at),
            format!("variable `{name}` has no type"),
        );
        d.hint = Some("add `type = string` (or the type it takes)".to_owned());
        out.push((at.file, d));
    }
    if !bodies.is_empty() && !decls.required_version {
        let (file, where_) = match &decls.terraform_block {
            Some(t) => (t.file, span(files, t)),
            None => {
                let at = Position::new(1, 1);
                (bodies[0].0, Span::new(at, at))
            }
        };
        let mut d = Diagnostic::warning(
            "terraform_required_version",
            where_,
            "the module does not say which Terraform versions it works with".to_owned(),
        );
        d.hint = Some(if decls.terraform_block.is_some() {
            "add `required_version = \">= 1.0\"` to this `terraform` block".to_owned()
        } else {
            "add `terraform { required_version = \">= 1.0\" }`".to_owned()
        });
        out.push((file, d));
    }
    // tflint: terraform_required_providers, for the providers resources and data use.
    let mut reported = HashSet::new();
    for ((kind, name), at) in &decls.names {
        if !matches!(*kind, "resource" | "data") {
            continue;
        }
        let provider = name.split('_').next().unwrap_or_default().to_owned();
        if provider.is_empty()
            || provider == "terraform"
            || decls.versioned_providers.contains(&provider)
        {
            continue;
        }
        if reported.insert(provider.clone()) {
            let mut d = Diagnostic::warning(
                "terraform_required_providers",
                span(files, at),
                format!("provider `{provider}` has no version constraint in `required_providers`"),
            );
            d.hint = Some(format!(
                "add `{provider} = {{ source = \"…/{provider}\", version = \"~> X.Y\" }}` to `terraform {{ required_providers {{ }} }}`"
            ));
            out.push((at.file, d));
        }
    }
    out
}

fn closest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (distance(name, k), *k))
        .filter(|(d, k)| *d <= (k.len().max(name.len()) / 3).max(1))
        .min()
        .map(|(_, k)| k)
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for j in 0..b.len() {
            let cur = row[j + 1];
            row[j + 1] = if ca == b[j] {
                prev
            } else {
                1 + prev.min(row[j]).min(cur)
            };
            prev = cur;
        }
    }
    row[b.len()]
}

fn position(text: &str, offset: usize) -> Position {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Position::new(line as u32, column as u32)
}

fn span(files: &[ModuleFile], at: &At) -> Span {
    let text = &files[at.file].text;
    Span::new(position(text, at.range.start), position(text, at.range.end))
}

fn label(l: &BlockLabel) -> String {
    l.as_str().to_owned()
}

fn at(file: usize, node: &impl hcl_edit::Span) -> At {
    At {
        file,
        range: node.span().unwrap_or(0..0),
    }
}

fn declare(
    file: usize,
    body: &Body,
    decls: &mut Declarations,
    duplicates: &mut Vec<(usize, Diagnostic)>,
    out: &mut Vec<(usize, Diagnostic)>,
    files: &[ModuleFile],
) {
    let mut add = |kind: &'static str, name: String, here: At, decls: &mut Declarations| {
        if let Some(before) = decls.names.get(&(kind, name.clone())) {
            let first = span(files, before);
            let mut d = Diagnostic::error(
                "duplicate-declaration",
                span(files, &here),
                format!("{kind} `{name}` is declared twice"),
            );
            d.hint = Some(format!(
                "it is first declared at {}:{}:{}; rename or remove one",
                files[before.file].path, first.start.line, first.start.column
            ));
            duplicates.push((here.file, d));
        } else {
            decls.names.insert((kind, name), here);
        }
    };
    for s in body.iter() {
        let Structure::Block(b) = s else { continue };
        let labels: Vec<String> = b.labels.iter().map(label).collect();
        let here = at(file, b);
        match (b.ident.value().as_str(), labels.as_slice()) {
            ("variable", [name]) => {
                if !b.body.iter().any(
                    |s| matches!(s, Structure::Attribute(a) if a.key.value().as_str() == "type"),
                ) {
                    decls.untyped.push((name.clone(), here.clone()));
                }
                add("variable", name.clone(), here, decls);
            }
            ("locals", []) => {
                for s in b.body.iter() {
                    if let Structure::Attribute(a) = s {
                        add(
                            "local",
                            a.key.value().as_str().to_owned(),
                            at(file, a),
                            decls,
                        );
                    }
                }
            }
            ("module", [name]) => {
                pinned_source(file, b, files, out);
                add("module", name.clone(), here, decls);
            }
            ("output", [name]) => add("output", name.clone(), here, decls),
            ("data", [ty, name]) => {
                count_and_for_each(file, b, files, out);
                add("data", format!("{ty}.{name}"), here, decls);
            }
            ("resource", [ty, name]) => {
                count_and_for_each(file, b, files, out);
                add("resource", format!("{ty}.{name}"), here, decls);
            }
            ("terraform", []) => {
                if decls.terraform_block.is_none() {
                    decls.terraform_block = Some(here.clone());
                }
                for s in b.body.iter() {
                    match s {
                        Structure::Attribute(a) if a.key.value().as_str() == "required_version" => {
                            decls.required_version = true;
                        }
                        Structure::Block(inner)
                            if inner.ident.value().as_str() == "required_providers" =>
                        {
                            for s in inner.body.iter() {
                                if let Structure::Attribute(a) = s
                                    && let Expression::Object(obj) = &a.value
                                    && obj.iter().any(|(k, _)| object_key(k) == "version")
                                {
                                    decls
                                        .versioned_providers
                                        .insert(a.key.value().as_str().to_owned());
                                }
                            }
                        }
                        Structure::Block(inner) if inner.ident.value().as_str() == "backend" => {
                            backend_interpolation(file, inner, files, out);
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        // tflint: terraform_deprecated_interpolation, in every attribute of the block.
        deprecated_interpolation(file, &b.body, files, out);
    }
}

fn object_key(k: &hcl_edit::expr::ObjectKey) -> String {
    match k {
        hcl_edit::expr::ObjectKey::Ident(i) => i.value().as_str().to_owned(),
        hcl_edit::expr::ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
        hcl_edit::expr::ObjectKey::Expression(_) => String::new(),
    }
}

fn attribute<'a>(b: &'a Block, name: &str) -> Option<&'a Attribute> {
    b.body.iter().find_map(|s| match s {
        Structure::Attribute(a) if a.key.value().as_str() == name => Some(a),
        _ => None,
    })
}

fn count_and_for_each(
    file: usize,
    b: &Block,
    files: &[ModuleFile],
    out: &mut Vec<(usize, Diagnostic)>,
) {
    if let (Some(_), Some(each)) = (attribute(b, "count"), attribute(b, "for_each")) {
        let mut d = Diagnostic::error(
            "count-and-for-each",
            span(files, &at(file, each)),
            "`count` and `for_each` are both set; a block can repeat by one of them only"
                .to_owned(),
        );
        d.hint =
            Some("keep one: `for_each` for a map or set of keys, `count` for a number".to_owned());
        out.push((file, d));
    }
}

fn pinned_source(file: usize, b: &Block, files: &[ModuleFile], out: &mut Vec<(usize, Diagnostic)>) {
    let Some(source) = attribute(b, "source") else {
        return;
    };
    let Expression::String(s) = &source.value else {
        return;
    };
    let url = s.value();
    let remote = url.starts_with("git::")
        || url.starts_with("github.com/")
        || url.starts_with("git@")
        || url.contains(".git");
    if !remote {
        return;
    }
    let reference = url
        .split_once("?ref=")
        .map(|(_, r)| r.split('&').next().unwrap_or(r));
    let problem = match reference {
        None => Some("is not pinned to a version (`?ref=`)".to_owned()),
        Some(r) if matches!(r, "main" | "master" | "develop" | "trunk" | "HEAD") => {
            Some(format!("is pinned to the branch `{r}`, which moves"))
        }
        _ => None,
    };
    if let Some(problem) = problem {
        let mut d = Diagnostic::warning(
            "terraform_module_pinned_source",
            span(files, &at(file, &source.value)),
            format!("the module source `{url}` {problem}"),
        );
        d.hint = Some("pin it to a tag or a commit: `?ref=v1.2.0`".to_owned());
        out.push((file, d));
    }
}

fn backend_interpolation(
    file: usize,
    b: &Block,
    files: &[ModuleFile],
    out: &mut Vec<(usize, Diagnostic)>,
) {
    for s in b.body.iter() {
        let Structure::Attribute(a) = s else { continue };
        let mut refs = Vec::new();
        let mut finder = References {
            file,
            scopes: Vec::new(),
            found: &mut refs,
        };
        finder.visit_expr(&a.value);
        let templated = matches!(
            a.value,
            Expression::StringTemplate(_) | Expression::HeredocTemplate(_)
        );
        if !refs.is_empty()
            || templated
            || matches!(
                a.value,
                Expression::Traversal(_) | Expression::Variable(_) | Expression::FuncCall(_)
            )
        {
            let mut d = Diagnostic::error(
                "backend-interpolation",
                span(files, &at(file, &a.value)),
                format!(
                    "`{}` of the backend is not a constant; a backend's settings cannot refer to variables or call functions",
                    a.key.value().as_str()
                ),
            );
            d.hint = Some(
                "write the value, or give it at init: `terraform init -backend-config=…`"
                    .to_owned(),
            );
            out.push((file, d));
        }
    }
}

fn deprecated_interpolation(
    file: usize,
    body: &Body,
    files: &[ModuleFile],
    out: &mut Vec<(usize, Diagnostic)>,
) {
    struct Finder<'a> {
        file: usize,
        files: &'a [ModuleFile],
        out: &'a mut Vec<(usize, Diagnostic)>,
    }
    impl Visit for Finder<'_> {
        fn visit_string_template(&mut self, node: &hcl_edit::template::StringTemplate) {
            if node.len() == 1
                && matches!(
                    node.iter().next(),
                    Some(hcl_edit::template::Element::Interpolation(_))
                )
            {
                let mut d = Diagnostic::warning(
                    "terraform_deprecated_interpolation",
                    span(self.files, &at(self.file, node)),
                    "an interpolation-only expression; since Terraform 0.12 the expression needs no quotes and `${}`".to_owned(),
                );
                d.hint = Some("write the expression bare".to_owned());
                self.out.push((self.file, d));
            }
            visit::visit_string_template(self, node);
        }
    }
    Finder { file, files, out }.visit_body(body);
}

/// Finds references in expressions, knowing the names that `for` expressions and
/// `dynamic` blocks bring into scope.
struct References<'a> {
    file: usize,
    scopes: Vec<Vec<String>>,
    found: &'a mut Vec<Reference>,
}

/// Names every expression may use that are not declarations.
const BUILTINS: &[&str] = &["count", "each", "self", "path", "terraform"];

impl References<'_> {
    fn in_scope(&self, name: &str) -> bool {
        self.scopes.iter().any(|s| s.iter().any(|n| n == name))
    }

    fn block(&mut self, b: &Block) {
        // `dynamic "x" { content { x.value } }`: the iterator is the label, or `iterator`.
        let mut pushed = false;
        if b.ident.value().as_str() == "dynamic" {
            let name = attribute(b, "iterator")
                .and_then(|a| match &a.value {
                    Expression::Variable(v) => Some(v.value().as_str().to_owned()),
                    _ => None,
                })
                .or_else(|| b.labels.first().map(label));
            if let Some(n) = name {
                self.scopes.push(vec![n]);
                pushed = true;
            }
        }
        for s in b.body.iter() {
            match s {
                Structure::Attribute(a) => self.visit_expr(&a.value),
                Structure::Block(inner) => self.block(inner),
            }
        }
        if pushed {
            self.scopes.pop();
        }
    }
}

impl Visit for References<'_> {
    fn visit_traversal(&mut self, node: &Traversal) {
        if let Expression::Variable(root) = &node.expr {
            let root_name = root.value().as_str();
            let attrs: Vec<&str> = node
                .operators
                .iter()
                .map_while(|op| match op.value() {
                    TraversalOperator::GetAttr(i) => Some(i.value().as_str()),
                    _ => None,
                })
                .collect();
            let here = At {
                file: self.file,
                range: node.span().unwrap_or(0..0),
            };
            let reference = match (root_name, attrs.as_slice()) {
                ("var", [name, ..]) => Some(("variable", (*name).to_owned())),
                ("local", [name, ..]) => Some(("local", (*name).to_owned())),
                ("module", [name, ..]) => Some(("module", (*name).to_owned())),
                ("data", [ty, name, ..]) => Some(("data", format!("{ty}.{name}"))),
                (root, [name, ..])
                    if !BUILTINS.contains(&root)
                        && !matches!(root, "var" | "local" | "module" | "data")
                        && !self.in_scope(root) =>
                {
                    Some(("resource", format!("{root}.{name}")))
                }
                _ => None,
            };
            if let Some((kind, name)) = reference {
                self.found.push(Reference {
                    kind,
                    name,
                    at: here,
                });
            }
        }
        visit::visit_traversal(self, node);
    }

    fn visit_for_expr(&mut self, node: &ForExpr) {
        // The collection is outside the loop's scope; the rest inside it.
        self.visit_expr(&node.intro.collection_expr);
        let mut names = vec![node.intro.value_var.value().as_str().to_owned()];
        if let Some(k) = &node.intro.key_var {
            names.push(k.value().as_str().to_owned());
        }
        self.scopes.push(names);
        if let Some(k) = &node.key_expr {
            self.visit_expr(k);
        }
        self.visit_expr(&node.value_expr);
        if let Some(c) = &node.cond {
            self.visit_expr(&c.expr);
        }
        self.scopes.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::distance;

    #[test]
    fn edit_distance() {
        assert_eq!(distance("region", "regoin"), 2);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("same", "same"), 0);
    }
}
