//! Load balancer listeners: plain HTTP, and old TLS policies.

use super::{Hit, Module, Resource, Rule, Severity, at, attr, blocks};

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "aws-lb-http-listener",
        severity: Severity::High,
        title: "Load balancer listener serving plain HTTP",
        hint: "listen on HTTPS, or make the HTTP listener redirect to HTTPS",
        trivy: Some(("AVD-AWS-0054", "aws-elb-http-not-used")),
        checkov: Some("CKV_AWS_2"),
        types: &["aws_lb_listener", "aws_alb_listener"],
        check: http_listener,
    },
    Rule {
        id: "aws-lb-old-tls",
        severity: Severity::High,
        title: "Load balancer listener with an outdated TLS policy",
        hint: "use `ssl_policy = \"ELBSecurityPolicy-TLS13-1-2-2021-06\"`",
        trivy: Some(("AVD-AWS-0047", "aws-elb-use-secure-tls-policy")),
        checkov: Some("CKV_AWS_103"),
        types: &["aws_lb_listener", "aws_alb_listener"],
        check: old_tls,
    },
];

fn http_listener(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    let Some(protocol) = attr(r.block, "protocol") else {
        return Vec::new();
    };
    if m.lit(&protocol.value).as_str() != Some("HTTP") {
        return Vec::new();
    }
    let redirects = blocks(r.block, "default_action").any(|a| {
        m.value(a, "type")
            .and_then(|l| l.as_str().map(str::to_owned))
            .as_deref()
            == Some("redirect")
            && blocks(a, "redirect").any(|rd| {
                m.value(rd, "protocol")
                    .and_then(|l| l.as_str().map(str::to_owned))
                    .as_deref()
                    == Some("HTTPS")
            })
    });
    if redirects {
        return Vec::new();
    }
    vec![at(
        protocol,
        "`protocol = \"HTTP\"` without a redirect to HTTPS",
    )]
}

const OLD_POLICIES: &[&str] = &[
    "ELBSecurityPolicy-2015-05",
    "ELBSecurityPolicy-2016-08",
    "ELBSecurityPolicy-TLS-1-0-2015-04",
    "ELBSecurityPolicy-TLS-1-1-2017-01",
];

fn old_tls(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    match attr(r.block, "ssl_policy") {
        Some(a) => match m.lit(&a.value).as_str() {
            Some(p) if OLD_POLICIES.contains(&p) => {
                vec![at(a, format!("`{p}` still accepts TLS 1.0 or 1.1"))]
            }
            _ => Vec::new(),
        },
        None => Vec::new(),
    }
}
