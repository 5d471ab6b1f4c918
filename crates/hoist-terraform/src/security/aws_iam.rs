//! IAM policies with `*` actions or resources, wherever the policy is written: a
//! `jsonencode` object, a heredoc of JSON, or an `aws_iam_policy_document` data source
//! (checked as the policies that use it are).

use super::{Hit, Lit, Module, Resource, Rule, Severity, attr, blocks};

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "aws-iam-wildcard-action",
        severity: Severity::High,
        title: "IAM policy allowing every action (`*` or `service:*`)",
        hint: "list the actions the role needs",
        trivy: Some(("AVD-AWS-0057", "aws-iam-no-policy-wildcards")),
        checkov: Some("CKV_AWS_63"),
        types: POLICY_TYPES,
        check: wildcard_action,
    },
    Rule {
        id: "aws-iam-wildcard-resource",
        severity: Severity::Medium,
        title: "IAM policy allowing actions on every resource (`*`)",
        hint: "name the resources (ARNs) the actions apply to",
        trivy: Some(("AVD-AWS-0057", "aws-iam-no-policy-wildcards")),
        checkov: None,
        types: POLICY_TYPES,
        check: wildcard_resource,
    },
    Rule {
        id: "aws-iam-admin",
        severity: Severity::Critical,
        title: "IAM policy granting full administrator rights (`*` on `*`)",
        hint: "grant the actions and resources the role needs, never `*:*`",
        trivy: Some(("AVD-AWS-0057", "aws-iam-no-policy-wildcards")),
        checkov: Some("CKV_AWS_62"),
        types: POLICY_TYPES,
        check: admin,
    },
];

const POLICY_TYPES: &[&str] = &[
    "data.aws_iam_policy_document",
    "aws_iam_policy",
    "aws_iam_role_policy",
    "aws_iam_user_policy",
    "aws_iam_group_policy",
    "aws_iam_role",
];

/// A statement: whether it allows, its actions and resources, and where it is written.
struct Statement {
    allow: bool,
    actions: Vec<String>,
    resources: Vec<String>,
    range: std::ops::Range<usize>,
}

fn statements_of(doc: &Lit, range: std::ops::Range<usize>) -> Vec<Statement> {
    let list = match doc.get("Statement") {
        Some(Lit::List(items)) => items.clone(),
        Some(one @ Lit::Obj(_)) => vec![one.clone()],
        _ => Vec::new(),
    };
    list.iter()
        .map(|s| Statement {
            allow: s.get("Effect").and_then(Lit::as_str) != Some("Deny"),
            actions: s
                .get("Action")
                .map(|a| a.strings().iter().map(|x| x.to_string()).collect())
                .unwrap_or_default(),
            resources: s
                .get("Resource")
                .map(|a| a.strings().iter().map(|x| x.to_string()).collect())
                .unwrap_or_default(),
            range: range.clone(),
        })
        .collect()
}

/// The statements of resource `r`'s policy, read from its `policy` (or the role's
/// `inline_policy` blocks), following a reference to an `aws_iam_policy_document`.
fn statements(r: &Resource<'_>, m: &Module<'_>) -> Vec<Statement> {
    let mut out = Vec::new();
    let mut policies: Vec<&hcl_edit::structure::Attribute> =
        attr(r.block, "policy").into_iter().collect();
    for inline in blocks(r.block, "inline_policy") {
        policies.extend(attr(inline, "policy"));
    }
    for p in policies {
        let range = hcl_edit::Span::span(p).unwrap_or(0..0);
        out.extend(statements_of(&m.lit(&p.value), range));
    }
    out
}

/// The statements of an `aws_iam_policy_document` data source (checked as the resource type
/// `data.aws_iam_policy_document`).
fn document_statements(block: &hcl_edit::structure::Block, m: &Module<'_>) -> Vec<Statement> {
    blocks(block, "statement")
        .map(|s| {
            let strings = |name: &str| {
                m.value(s, name)
                    .map(|l| l.strings().iter().map(|x| x.to_string()).collect())
                    .unwrap_or_default()
            };
            Statement {
                allow: m
                    .value(s, "effect")
                    .and_then(|l| l.as_str().map(str::to_owned))
                    .as_deref()
                    != Some("Deny"),
                actions: strings("actions"),
                resources: strings("resources"),
                range: hcl_edit::Span::span(s).unwrap_or(0..0),
            }
        })
        .collect()
}

fn all_statements(r: &Resource<'_>, m: &Module<'_>) -> Vec<Statement> {
    if r.ty == "data.aws_iam_policy_document" {
        return document_statements(r.block, m);
    }
    statements(r, m)
}

fn wildcard(s: &str) -> bool {
    s == "*" || s.ends_with(":*")
}

fn hit(range: std::ops::Range<usize>, message: String) -> Hit {
    Hit { range, message }
}

fn wildcard_action(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    all_statements(r, m)
        .into_iter()
        .filter(|s| s.allow && s.actions.iter().any(|a| wildcard(a)))
        .map(|s| {
            let actions: Vec<&str> = s
                .actions
                .iter()
                .filter(|a| wildcard(a))
                .map(String::as_str)
                .collect();
            hit(
                s.range,
                format!("a statement allows the actions `{}`", actions.join("`, `")),
            )
        })
        .collect()
}

fn wildcard_resource(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    all_statements(r, m)
        .into_iter()
        .filter(|s| {
            s.allow && s.resources.iter().any(|x| x == "*") && !s.actions.iter().any(|a| a == "*")
        })
        .map(|s| {
            hit(
                s.range,
                "a statement allows its actions on every resource (`*`)".to_owned(),
            )
        })
        .collect()
}

fn admin(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    all_statements(r, m)
        .into_iter()
        .filter(|s| {
            s.allow && s.actions.iter().any(|a| a == "*") && s.resources.iter().any(|x| x == "*")
        })
        .map(|s| {
            hit(
                s.range,
                "a statement allows every action (`*`) on every resource (`*`)".to_owned(),
            )
        })
        .collect()
}
