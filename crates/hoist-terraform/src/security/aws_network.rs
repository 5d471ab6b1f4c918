//! Security groups: ingress from the whole internet to SSH, RDP or every port; egress to it;
//! rules without descriptions.

use super::{Hit, Lit, Module, Resource, Rule, Severity, at, attr, blocks, on_block};

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "aws-sg-ssh-open",
        severity: Severity::Critical,
        title: "Security group open to the internet on SSH (22)",
        hint: "allow SSH from known addresses only, or use SSM Session Manager",
        trivy: Some(("AVD-AWS-0107", "aws-ec2-no-public-ingress-sgr")),
        checkov: Some("CKV_AWS_24"),
        types: SG_TYPES,
        check: ssh_open,
    },
    Rule {
        id: "aws-sg-rdp-open",
        severity: Severity::Critical,
        title: "Security group open to the internet on RDP (3389)",
        hint: "allow RDP from known addresses only",
        trivy: Some(("AVD-AWS-0107", "aws-ec2-no-public-ingress-sgr")),
        checkov: Some("CKV_AWS_25"),
        types: SG_TYPES,
        check: rdp_open,
    },
    Rule {
        id: "aws-sg-all-ports-open",
        severity: Severity::Critical,
        title: "Security group open to the internet on every port",
        hint: "open only the ports the service listens on",
        trivy: Some(("AVD-AWS-0107", "aws-ec2-no-public-ingress-sgr")),
        checkov: Some("CKV_AWS_277"),
        types: SG_TYPES,
        check: all_ports_open,
    },
    Rule {
        id: "aws-sg-egress-open",
        severity: Severity::Low,
        title: "Security group allowing egress to the whole internet",
        hint: "restrict egress to the destinations the service needs",
        trivy: Some(("AVD-AWS-0104", "aws-ec2-no-public-egress-sgr")),
        checkov: None,
        types: SG_TYPES,
        check: egress_open,
    },
    Rule {
        id: "aws-sg-no-description",
        severity: Severity::Low,
        title: "Security group or rule without a description",
        hint: "add a `description` saying what the rule is for",
        trivy: Some(("AVD-AWS-0099", "aws-ec2-add-description-to-security-group")),
        checkov: Some("CKV_AWS_23"),
        types: SG_TYPES,
        check: no_description,
    },
];

const SG_TYPES: &[&str] = &[
    "aws_security_group",
    "aws_security_group_rule",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
];

/// One rule of a group: direction, ports, protocol, sources, and where it is.
struct SgRule<'a> {
    ingress: bool,
    from: Option<f64>,
    to: Option<f64>,
    protocol: Option<String>,
    world: bool,
    node: &'a hcl_edit::structure::Block,
}

fn is_world(l: &Lit) -> bool {
    l.strings()
        .iter()
        .any(|c| *c == "0.0.0.0/0" || *c == "::/0")
}

fn sg_rules<'a>(r: &'a Resource<'a>, m: &Module<'_>) -> Vec<SgRule<'a>> {
    let read = |b: &'a hcl_edit::structure::Block, ingress: bool| SgRule {
        ingress,
        from: m.value(b, "from_port").and_then(|l| l.as_num()),
        to: m.value(b, "to_port").and_then(|l| l.as_num()),
        protocol: m
            .value(b, "protocol")
            .or_else(|| m.value(b, "ip_protocol"))
            .and_then(|l| l.as_str().map(str::to_owned)),
        world: ["cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6"]
            .iter()
            .any(|k| m.value(b, k).is_some_and(|l| is_world(&l))),
        node: b,
    };
    match r.ty.as_str() {
        "aws_security_group" => blocks(r.block, "ingress")
            .map(|b| read(b, true))
            .chain(blocks(r.block, "egress").map(|b| read(b, false)))
            .collect(),
        "aws_security_group_rule" => {
            let ingress = m
                .value(r.block, "type")
                .and_then(|l| l.as_str().map(str::to_owned))
                .as_deref()
                != Some("egress");
            vec![read(r.block, ingress)]
        }
        "aws_vpc_security_group_ingress_rule" => vec![read(r.block, true)],
        _ => vec![read(r.block, false)],
    }
}

fn all_protocols(p: &Option<String>) -> bool {
    matches!(p.as_deref(), Some("-1" | "all"))
}

fn covers(rule: &SgRule<'_>, port: f64) -> bool {
    if all_protocols(&rule.protocol) {
        return true;
    }
    match (rule.from, rule.to) {
        (Some(f), Some(t)) => f <= port && port <= t,
        (Some(f), None) => f == port,
        _ => false,
    }
}

fn open_on(r: &Resource<'_>, m: &Module<'_>, port: f64, name: &str) -> Vec<Hit> {
    sg_rules(r, m)
        .into_iter()
        .filter(|s| s.ingress && s.world && covers(s, port))
        .map(|s| {
            at(
                s.node,
                format!("ingress from 0.0.0.0/0 (or ::/0) reaches {name} (port {port})"),
            )
        })
        .collect()
}

fn is_all_ports(s: &SgRule<'_>) -> bool {
    all_protocols(&s.protocol) || (s.from == Some(0.0) && s.to == Some(65535.0))
}

fn ssh_open(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    open_on(r, m, 22.0, "SSH")
}

fn rdp_open(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    open_on(r, m, 3389.0, "RDP")
}

fn all_ports_open(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    sg_rules(r, m)
        .into_iter()
        .filter(|s| s.ingress && s.world && is_all_ports(s))
        .map(|s| at(s.node, "ingress from 0.0.0.0/0 (or ::/0) to every port"))
        .collect()
}

fn egress_open(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    sg_rules(r, m)
        .into_iter()
        .filter(|s| !s.ingress && s.world)
        .map(|s| at(s.node, "egress to 0.0.0.0/0 (or ::/0)"))
        .collect()
}

fn no_description(r: &Resource<'_>, _: &Module<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    if attr(r.block, "description").is_none() {
        hits.push(on_block(r, "no `description`"));
    }
    if r.ty == "aws_security_group" {
        for b in blocks(r.block, "ingress").chain(blocks(r.block, "egress")) {
            if attr(b, "description").is_none() {
                hits.push(at(
                    b,
                    format!(
                        "this `{}` rule has no `description`",
                        b.ident.value().as_str()
                    ),
                ));
            }
        }
    }
    hits
}
