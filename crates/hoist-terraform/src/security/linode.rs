//! Linode (the seed's cloud, which trivy and checkov do not cover): firewalls, Kubernetes
//! control planes, object storage, instances and NodeBalancers.

use super::{
    Hit, Lit, Module, Resource, Rule, Severity, at, attr, blocks, on_block, refers_to, value,
};

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "linode-firewall-accepts-by-default",
        severity: Severity::High,
        title: "Linode firewall that accepts inbound traffic by default",
        hint: "set `inbound_policy = \"DROP\"` and accept what is needed with `inbound` rules",
        trivy: None,
        checkov: None,
        types: &["linode_firewall"],
        check: accepts_by_default,
    },
    Rule {
        id: "linode-firewall-ssh-open",
        severity: Severity::Critical,
        title: "Linode firewall accepting SSH (22) from the whole internet",
        hint: "accept SSH from known addresses only",
        trivy: None,
        checkov: None,
        types: &["linode_firewall"],
        check: ssh_open,
    },
    Rule {
        id: "linode-instance-no-firewall",
        severity: Severity::Medium,
        title: "Linode instance that no firewall protects",
        hint: "list the instance in a `linode_firewall`'s `linodes`",
        trivy: None,
        checkov: None,
        types: &["linode_instance"],
        check: no_firewall,
    },
    Rule {
        id: "linode-lke-open-control-plane",
        severity: Severity::Medium,
        title: "LKE cluster whose control plane accepts connections from anywhere",
        hint: "add `control_plane { acl { enabled = true  addresses { ipv4 = [...] } } }`",
        trivy: None,
        checkov: None,
        types: &["linode_lke_cluster"],
        check: open_control_plane,
    },
    Rule {
        id: "linode-object-storage-public",
        severity: Severity::High,
        title: "Linode Object Storage bucket with a public ACL",
        hint: "use `acl = \"private\"`",
        trivy: None,
        checkov: None,
        types: &[
            "linode_object_storage_bucket",
            "linode_object_storage_object",
        ],
        check: public_bucket,
    },
    Rule {
        id: "linode-root-password-in-code",
        severity: Severity::High,
        title: "Linode instance root password written in the configuration",
        hint: "pass it as a sensitive variable (or use `authorized_keys` only)",
        trivy: None,
        checkov: None,
        types: &["linode_instance"],
        check: root_password,
    },
    Rule {
        id: "linode-nodebalancer-http",
        severity: Severity::Medium,
        title: "NodeBalancer configuration serving plain HTTP",
        hint: "use `protocol = \"https\"` with a certificate, or redirect to it",
        trivy: None,
        checkov: None,
        types: &["linode_nodebalancer_config"],
        check: nodebalancer_http,
    },
];

fn accepts_by_default(r: &Resource<'_>, _: &Module<'_>) -> Vec<Hit> {
    match attr(r.block, "inbound_policy") {
        Some(a) if super::lit(&a.value).as_str() == Some("ACCEPT") => {
            vec![at(
                a,
                "`inbound_policy = \"ACCEPT\"`: whatever no rule drops gets in",
            )]
        }
        _ => Vec::new(),
    }
}

fn ports_cover(spec: &str, port: u32) -> bool {
    spec.split(',')
        .map(str::trim)
        .any(|p| match p.split_once('-') {
            Some((a, b)) => {
                a.parse::<u32>().is_ok_and(|a| a <= port)
                    && b.parse::<u32>().is_ok_and(|b| port <= b)
            }
            None => p.parse::<u32>() == Ok(port),
        })
}

fn world(l: &Lit) -> bool {
    l.strings()
        .iter()
        .any(|c| *c == "0.0.0.0/0" || *c == "::/0")
}

fn ssh_open(r: &Resource<'_>, _: &Module<'_>) -> Vec<Hit> {
    blocks(r.block, "inbound")
        .filter(|rule| {
            value(rule, "action")
                .and_then(|l| l.as_str().map(str::to_owned))
                .as_deref()
                == Some("ACCEPT")
                && (value(rule, "ipv4").is_some_and(|l| world(&l))
                    || value(rule, "ipv6").is_some_and(|l| world(&l)))
                && match value(rule, "ports").and_then(|l| l.as_str().map(str::to_owned)) {
                    Some(spec) => ports_cover(&spec, 22),
                    // No ports: every port of the protocol.
                    None => {
                        value(rule, "protocol")
                            .and_then(|l| l.as_str().map(str::to_owned))
                            .as_deref()
                            != Some("ICMP")
                    }
                }
        })
        .map(|rule| {
            at(
                rule,
                "an `inbound` rule accepts SSH from 0.0.0.0/0 (or ::/0)",
            )
        })
        .collect()
}

fn no_firewall(r: &Resource<'_>, module: &Module<'_>) -> Vec<Hit> {
    let protected = module
        .of_type("linode_firewall")
        .any(|fw| attr(fw.block, "linodes").is_some_and(|l| refers_to(&l.value, &r.ty, r.name)));
    if protected {
        Vec::new()
    } else {
        vec![on_block(
            r,
            "no `linode_firewall` lists this instance in `linodes`",
        )]
    }
}

fn open_control_plane(r: &Resource<'_>, _: &Module<'_>) -> Vec<Hit> {
    let acl_on = blocks(r.block, "control_plane").any(|cp| {
        blocks(cp, "acl").any(|acl| value(acl, "enabled").and_then(|l| l.as_bool()) == Some(true))
    });
    if acl_on {
        Vec::new()
    } else {
        vec![on_block(
            r,
            "no control-plane ACL: the Kubernetes API accepts connections from any address",
        )]
    }
}

fn public_bucket(r: &Resource<'_>, _: &Module<'_>) -> Vec<Hit> {
    match attr(r.block, "acl") {
        Some(a) => match super::lit(&a.value).as_str() {
            Some(acl @ ("public-read" | "public-read-write" | "authenticated-read")) => {
                vec![at(a, format!("`acl = \"{acl}\"`"))]
            }
            _ => Vec::new(),
        },
        None => Vec::new(),
    }
}

fn root_password(r: &Resource<'_>, _: &Module<'_>) -> Vec<Hit> {
    match attr(r.block, "root_pass") {
        Some(a) if super::lit(&a.value).as_str().is_some() => {
            vec![at(
                a,
                "`root_pass` is a literal: the password is in the repository",
            )]
        }
        _ => Vec::new(),
    }
}

fn nodebalancer_http(r: &Resource<'_>, _: &Module<'_>) -> Vec<Hit> {
    match attr(r.block, "protocol") {
        Some(a) if super::lit(&a.value).as_str() == Some("http") => {
            vec![at(a, "`protocol = \"http\"`")]
        }
        _ => Vec::new(),
    }
}
