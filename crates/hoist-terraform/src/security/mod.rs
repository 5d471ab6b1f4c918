//! Security rules for Terraform resources: each a [`Rule`] with an id, a severity, the ids
//! of its trivy/tfsec and checkov counterparts, and a check over one resource (seeing the
//! whole module, for rules that need another resource, such as a bucket's public access
//! block). One file per provider area; `RULES` lists them all.
//!
//! Findings are suppressed by a comment on the finding's line or the line above it, or on
//! the line above its resource: `# hoist:allow RULE reason`, or trivy's and tfsec's own
//! `#trivy:ignore:ID` and `#tfsec:ignore:ID` (with their ids), read as they are.

mod aws_audit;
mod aws_ec2;
mod aws_iam;
mod aws_lb;
mod aws_network;
mod aws_rds;
mod aws_s3;
mod linode;
mod values;

use hcl_edit::Span as _;
use hcl_edit::structure::{Block, Body, Structure};
use hoist_diagnostics::{Diagnostic, Position, Span};

use crate::validate::ModuleFile;
pub(crate) use values::{Lit, attr, blocks, refers_to};

/// How bad a finding is, as trivy and checkov grade them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

/// One resource of the module, as a rule sees it.
pub(crate) struct Resource<'a> {
    /// The resource type, or `data.TYPE` for a data source.
    pub(crate) ty: String,
    pub(crate) name: &'a str,
    pub(crate) block: &'a Block,
    pub(crate) file: usize,
}

/// A rule's verdict on a resource: where (a byte range of its file) and what.
pub(crate) struct Hit {
    pub(crate) range: std::ops::Range<usize>,
    pub(crate) message: String,
}

/// A security rule.
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub hint: &'static str,
    /// trivy's id (`AVD-AWS-0086`) and its tfsec name (`aws-s3-block-public-acls`).
    pub trivy: Option<(&'static str, &'static str)>,
    pub checkov: Option<&'static str>,
    /// The resource types it looks at.
    pub(crate) types: &'static [&'static str],
    pub(crate) check: fn(&Resource<'_>, &Module<'_>) -> Vec<Hit>,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule")
            .field("id", &self.id)
            .field("severity", &self.severity)
            .finish()
    }
}

/// Every resource of the module, for rules that look beyond one, and what its references
/// resolve to where that is static: variables (by the module's auto-loaded `.tfvars`, else
/// their defaults) and locals.
pub(crate) struct Module<'a> {
    pub(crate) resources: Vec<Resource<'a>>,
    variables: std::collections::HashMap<String, &'a hcl_edit::expr::Expression>,
    locals: std::collections::HashMap<String, &'a hcl_edit::expr::Expression>,
}

impl Module<'_> {
    /// The value of `e`, with `var.x` and `local.y` resolved where they are static.
    pub(crate) fn lit(&self, e: &hcl_edit::expr::Expression) -> Lit {
        self.resolve(e, 0)
    }

    fn resolve(&self, e: &hcl_edit::expr::Expression, depth: usize) -> Lit {
        use hcl_edit::expr::{Expression, TraversalOperator};
        // Locals may refer to each other; a cycle, or a chain this long, stays unknown.
        if depth > 16 {
            return Lit::Unknown;
        }
        if let Expression::Traversal(t) = e
            && let Expression::Variable(root) = &t.expr
            && let [op] = t.operators.as_slice()
            && let TraversalOperator::GetAttr(name) = op.value()
        {
            let table = match root.value().as_str() {
                "var" => &self.variables,
                "local" => &self.locals,
                _ => return Lit::Unknown,
            };
            return table
                .get(name.value().as_str())
                .map_or(Lit::Unknown, |found| self.resolve(found, depth + 1));
        }
        values::lit_with(e, &|part| self.resolve(part, depth + 1))
    }

    /// The value of attribute `name` of block `b`, when it is set.
    pub(crate) fn value(&self, b: &Block, name: &str) -> Option<Lit> {
        attr(b, name).map(|a| self.lit(&a.value))
    }

    /// The resources of type `ty`.
    pub(crate) fn of_type<'s>(
        &'s self,
        ty: &'s str,
    ) -> impl Iterator<Item = &'s Resource<'s>> + 's {
        self.resources.iter().filter(move |r| r.ty == ty)
    }
}

/// All rules, in id order.
pub fn rules() -> Vec<&'static Rule> {
    let mut all: Vec<&'static Rule> = [
        aws_s3::RULES,
        aws_ec2::RULES,
        aws_network::RULES,
        aws_rds::RULES,
        aws_iam::RULES,
        aws_audit::RULES,
        aws_lb::RULES,
        linode::RULES,
    ]
    .iter()
    .flat_map(|rules| rules.iter())
    .collect();
    all.sort_by_key(|r| r.id);
    all
}

fn position(text: &str, offset: usize) -> Position {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Position::new(line as u32, column as u32)
}

/// The rules' findings on the module's files (already parsed), with each file's index.
pub fn scan(files: &[ModuleFile], bodies: &[(usize, Body)]) -> Vec<(usize, Diagnostic)> {
    let mut resources = Vec::new();
    for (file, body) in bodies {
        for s in body.iter() {
            let Structure::Block(b) = s else { continue };
            let data = match b.ident.value().as_str() {
                "resource" => false,
                "data" => true,
                _ => continue,
            };
            if b.labels.len() != 2 {
                continue;
            }
            let ty = b.labels[0].as_str();
            resources.push(Resource {
                ty: if data {
                    format!("data.{ty}")
                } else {
                    ty.to_owned()
                },
                name: b.labels[1].as_str(),
                block: b,
                file: *file,
            });
        }
    }
    let mut variables = std::collections::HashMap::new();
    let mut locals = std::collections::HashMap::new();
    let mut tfvars = std::collections::HashMap::new();
    for (file, body) in bodies {
        let auto_vars = files[*file].path.ends_with(".tfvars");
        for s in body.iter() {
            match s {
                Structure::Attribute(a) if auto_vars => {
                    tfvars.insert(a.key.value().as_str().to_owned(), &a.value);
                }
                Structure::Block(b)
                    if b.ident.value().as_str() == "variable" && b.labels.len() == 1 =>
                {
                    if let Some(d) = attr(b, "default") {
                        variables.insert(b.labels[0].as_str().to_owned(), &d.value);
                    }
                }
                Structure::Block(b) if b.ident.value().as_str() == "locals" => {
                    for s in b.body.iter() {
                        if let Structure::Attribute(a) = s {
                            locals.insert(a.key.value().as_str().to_owned(), &a.value);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    variables.extend(tfvars);
    let module = Module {
        resources,
        variables,
        locals,
    };
    let rules = rules();
    let mut out = Vec::new();
    for r in &module.resources {
        for rule in rules
            .iter()
            .filter(|rule| rule.types.contains(&r.ty.as_str()))
        {
            for hit in (rule.check)(r, &module) {
                let text = &files[r.file].text;
                let start = position(text, hit.range.start);
                let end = position(text, hit.range.end);
                let block_line = position(text, r.block.span().map_or(0, |s| s.start)).line;
                if suppressed(
                    text,
                    rule,
                    &[
                        start.line,
                        start.line.saturating_sub(1),
                        block_line.saturating_sub(1),
                    ],
                ) {
                    continue;
                }
                let d = Diagnostic {
                    severity: if rule.severity >= Severity::High {
                        hoist_diagnostics::Severity::Error
                    } else {
                        hoist_diagnostics::Severity::Warning
                    },
                    code: rule.id,
                    message: format!(
                        "{} {}: {}",
                        rule.severity.as_str(),
                        format_args!("`{}.{}`", r.ty, r.name),
                        hit.message
                    ),
                    span: Span::new(start, end),
                    hint: Some(format!("{}{}", rule.hint, equivalents(rule))),
                };
                out.push((r.file, d));
            }
        }
    }
    out
}

fn equivalents(rule: &Rule) -> String {
    let mut ids = Vec::new();
    if let Some((avd, tfsec)) = rule.trivy {
        ids.push(format!("trivy {avd} / tfsec {tfsec}"));
    }
    if let Some(c) = rule.checkov {
        ids.push(format!("checkov {c}"));
    }
    if ids.is_empty() {
        String::new()
    } else {
        format!(" (as {})", ids.join(", "))
    }
}

/// Whether a comment on one of `lines` (1-based) suppresses `rule`.
fn suppressed(text: &str, rule: &Rule, lines: &[u32]) -> bool {
    lines.iter().filter(|l| **l > 0).any(|&l| {
        let Some(line) = text.lines().nth(l as usize - 1) else {
            return false;
        };
        let Some(comment) = line
            .find('#')
            .map(|i| &line[i..])
            .or_else(|| line.find("//").map(|i| &line[i..]))
        else {
            return false;
        };
        let comment = comment.trim_start_matches(['#', '/']).trim();
        if let Some(rest) = comment.strip_prefix("hoist:allow") {
            return rest.split_whitespace().next() == Some(rule.id);
        }
        for prefix in ["trivy:ignore:", "tfsec:ignore:"] {
            if let Some(rest) = comment.strip_prefix(prefix) {
                let id = rest.split([' ', '[']).next().unwrap_or_default();
                return rule.trivy.is_some_and(|(avd, tfsec)| {
                    id.eq_ignore_ascii_case(avd) || id.eq_ignore_ascii_case(tfsec)
                });
            }
        }
        false
    })
}

/// A hit on `node` (an attribute, a block, an expression).
pub(crate) fn at(node: &impl hcl_edit::Span, message: impl Into<String>) -> Hit {
    Hit {
        range: node.span().unwrap_or(0..0),
        message: message.into(),
    }
}

/// A hit on the resource's header (`resource "t" "n"`), for what it lacks.
pub(crate) fn on_block(r: &Resource<'_>, message: impl Into<String>) -> Hit {
    let start = r.block.span().map_or(0, |s| s.start);
    let end = r
        .block
        .labels
        .last()
        .and_then(|l| l.span())
        .map_or(start, |s| s.end);
    Hit {
        range: start..end,
        message: message.into(),
    }
}
