//! Linode (the seed's cloud, which trivy and checkov do not cover): firewalls, Kubernetes
//! control planes, object storage, instances and NodeBalancers.

use super::{Hit, Lit, Module, Resource, Rule, Severity, at, attr, blocks, on_block, refers_to};

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
        id: "linode-firewall-allows-all-outbound",
        severity: Severity::Medium,
        title: "Linode firewall that lets every outbound connection through by default",
        hint: "set `outbound_policy = \"DROP\"` and allow the destinations needed with `outbound` rules",
        trivy: None,
        checkov: None,
        types: &["linode_firewall"],
        check: allows_all_outbound,
    },
    Rule {
        id: "linode-firewall-sensitive-port-open",
        severity: Severity::Critical,
        title: "Linode firewall accepting SSH, RDP or a database port from the whole internet",
        hint: "accept these ports from known addresses only (or reach them through a VPN or bastion)",
        trivy: None,
        checkov: None,
        types: &["linode_firewall"],
        check: sensitive_port_open,
    },
    Rule {
        id: "linode-database-open",
        severity: Severity::Critical,
        title: "Linode managed database reachable from the whole internet",
        hint: "list only the addresses that connect in `allow_list`",
        trivy: None,
        checkov: None,
        types: &[
            "linode_database_postgresql",
            "linode_database_mysql",
            "linode_database_postgresql_v2",
            "linode_database_mysql_v2",
        ],
        check: database_open,
    },
    Rule {
        id: "linode-instance-no-ssh-keys",
        severity: Severity::Medium,
        title: "Linode instance without `authorized_keys` (password log-in only)",
        hint: "give `authorized_keys` (or `authorized_users`) and log in with keys",
        trivy: None,
        checkov: None,
        types: &["linode_instance"],
        check: no_ssh_keys,
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

fn accepts_by_default(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    match attr(r.block, "inbound_policy") {
        Some(a) if m.lit(&a.value).as_str() == Some("ACCEPT") => {
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

/// Ports that should never face the whole internet: SSH, RDP, and databases and caches.
const SENSITIVE_PORTS: &[(u32, &str)] = &[
    (22, "SSH"),
    (3389, "RDP"),
    (3306, "MySQL"),
    (5432, "PostgreSQL"),
    (6379, "Redis"),
    (27017, "MongoDB"),
    (9200, "Elasticsearch"),
    (2379, "etcd"),
];

fn sensitive_port_open(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for rule in blocks(r.block, "inbound") {
        let accepts = m
            .value(rule, "action")
            .and_then(|l| l.as_str().map(str::to_owned))
            .as_deref()
            == Some("ACCEPT");
        let from_world = m.value(rule, "ipv4").is_some_and(|l| world(&l))
            || m.value(rule, "ipv6").is_some_and(|l| world(&l));
        if !accepts || !from_world {
            continue;
        }
        let ports = m
            .value(rule, "ports")
            .and_then(|l| l.as_str().map(str::to_owned));
        let open: Vec<String> = SENSITIVE_PORTS
            .iter()
            .filter(|(port, _)| match &ports {
                Some(spec) => ports_cover(spec, *port),
                // No ports: every port of the protocol.
                None => {
                    m.value(rule, "protocol")
                        .and_then(|l| l.as_str().map(str::to_owned))
                        .as_deref()
                        != Some("ICMP")
                }
            })
            .map(|(port, name)| format!("{name} ({port})"))
            .collect();
        if !open.is_empty() {
            hits.push(at(
                rule,
                format!(
                    "an `inbound` rule accepts {} from 0.0.0.0/0 (or ::/0)",
                    open.join(", ")
                ),
            ));
        }
    }
    hits
}

fn allows_all_outbound(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    match attr(r.block, "outbound_policy") {
        Some(a) if m.lit(&a.value).as_str() == Some("ACCEPT") => {
            vec![at(
                a,
                "`outbound_policy = \"ACCEPT\"`: a compromised instance can reach anywhere",
            )]
        }
        _ => Vec::new(),
    }
}

fn database_open(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    match attr(r.block, "allow_list") {
        Some(a) if world(&m.lit(&a.value)) => {
            vec![at(a, "`allow_list` admits 0.0.0.0/0 (or ::/0)")]
        }
        _ => Vec::new(),
    }
}

fn no_ssh_keys(r: &Resource<'_>, _: &Module<'_>) -> Vec<Hit> {
    if attr(r.block, "authorized_keys").is_some() || attr(r.block, "authorized_users").is_some() {
        return Vec::new();
    }
    // An instance without an image is configured through its disks and configs.
    if attr(r.block, "image").is_none() {
        return Vec::new();
    }
    vec![on_block(r, "no `authorized_keys` or `authorized_users`")]
}

fn no_firewall(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    let protected = m
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

fn open_control_plane(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    let acl_on = blocks(r.block, "control_plane").any(|cp| {
        blocks(cp, "acl").any(|acl| m.value(acl, "enabled").and_then(|l| l.as_bool()) == Some(true))
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

fn public_bucket(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    match attr(r.block, "acl") {
        Some(a) => match m.lit(&a.value).as_str() {
            Some(acl @ ("public-read" | "public-read-write" | "authenticated-read")) => {
                vec![at(a, format!("`acl = \"{acl}\"`"))]
            }
            _ => Vec::new(),
        },
        None => Vec::new(),
    }
}

fn root_password(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    match attr(r.block, "root_pass") {
        Some(a) if m.lit(&a.value).as_str().is_some() => {
            vec![at(
                a,
                "`root_pass` is a literal: the password is in the repository",
            )]
        }
        _ => Vec::new(),
    }
}

fn nodebalancer_http(r: &Resource<'_>, m: &Module<'_>) -> Vec<Hit> {
    match attr(r.block, "protocol") {
        Some(a) if m.lit(&a.value).as_str() == Some("http") => {
            vec![at(a, "`protocol = \"http\"`")]
        }
        _ => Vec::new(),
    }
}
