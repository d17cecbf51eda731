//! NetworkPolicy semantics, as Kubernetes defines them.
//!
//! - Policies are additive: a connection is allowed when any rule of any policy that
//!   selects the pod allows it.
//! - A pod is isolated in a direction only when some policy that selects it has that
//!   policy type. `policyTypes`, when empty or absent, defaults to `Ingress`, plus
//!   `Egress` when the policy has a non-empty `egress` list.
//! - A missing or empty `from`/`to` matches every peer; a missing or empty `ports`
//!   matches every port. `egress: []` (or `ingress: []`) allows nothing.
//! - A peer with only `podSelector` means pods of the policy's namespace; with only
//!   `namespaceSelector`, every pod of the matching namespaces; with both in one peer,
//!   the pods matching both. Two peers (two list items) are alternatives.
//! - Traffic between two pods needs the sender's egress and the receiver's ingress.
//! - Named ports are resolved on the destination pod; `endPort` gives a range.
//! - An `ipBlock` matches a pod whose address is in its CIDR and in none of its
//!   `except` ranges, as Kubernetes' own e2e tests do. Where the pod's address is
//!   unknown (manifests: pods get addresses only when they run), an ipBlock may match
//!   it: the answer is unknown, never denied.
//! - A pod can always reach itself: policies never block a pod's own traffic.

use std::net::IpAddr;

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kubeharden_policy::cidr::Cidr;
use serde::Serialize;

use crate::facts::{PodEntry, PolicyEntry};
use crate::index::ClusterView;
use crate::selector::{self, Match};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Ingress,
    Egress,
}

/// The policy types a policy has once Kubernetes has defaulted it.
pub fn effective_types(spec: &NetworkPolicySpec) -> (bool, bool) {
    match spec.policy_types.as_ref().filter(|t| !t.is_empty()) {
        Some(types) => (
            types.iter().any(|t| t == "Ingress"),
            types.iter().any(|t| t == "Egress"),
        ),
        None => (true, spec.egress.as_ref().is_some_and(|e| !e.is_empty())),
    }
}

pub fn has_type(spec: &NetworkPolicySpec, direction: Direction) -> bool {
    let (ingress, egress) = effective_types(spec);
    match direction {
        Direction::Ingress => ingress,
        Direction::Egress => egress,
    }
}

/// Whether a policy's `podSelector` (absent means all) selects `pod`.
pub fn selects(spec: &NetworkPolicySpec, pod: &PodEntry) -> bool {
    spec.pod_selector
        .as_ref()
        .is_none_or(|sel| selector::matches(sel, &pod.labels))
}

/// A range of ports of one protocol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PortRange {
    pub protocol: String,
    pub from: i32,
    pub to: i32,
}

/// A set of ports: all of them, or some ranges.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ports {
    All,
    Some(Vec<PortRange>),
}

impl Ports {
    pub fn none() -> Ports {
        Ports::Some(Vec::new())
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Ports::Some(r) if r.is_empty())
    }

    pub fn union(self, other: Ports) -> Ports {
        match (self, other) {
            (Ports::All, _) | (_, Ports::All) => Ports::All,
            (Ports::Some(mut a), Ports::Some(b)) => {
                for r in b {
                    if !a.contains(&r) {
                        a.push(r);
                    }
                }
                Ports::Some(a)
            }
        }
    }

    pub fn intersect(&self, other: &Ports) -> Ports {
        match (self, other) {
            (Ports::All, x) | (x, Ports::All) => x.clone(),
            (Ports::Some(a), Ports::Some(b)) => Ports::Some(
                a.iter()
                    .flat_map(|x| b.iter().map(move |y| (x, y)))
                    .filter(|(x, y)| {
                        x.protocol == y.protocol && x.from.max(y.from) <= x.to.min(y.to)
                    })
                    .map(|(x, y)| PortRange {
                        protocol: x.protocol.clone(),
                        from: x.from.max(y.from),
                        to: x.to.min(y.to),
                    })
                    .collect(),
            ),
        }
    }

    pub fn contains(&self, port: i32, protocol: &str) -> bool {
        match self {
            Ports::All => true,
            Ports::Some(ranges) => ranges.iter().any(|r| {
                r.protocol.eq_ignore_ascii_case(protocol) && r.from <= port && port <= r.to
            }),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Ports::All => "all ports".to_string(),
            Ports::Some(r) if r.is_empty() => "no port".to_string(),
            Ports::Some(ranges) => ranges
                .iter()
                .map(|r| {
                    if r.from == r.to {
                        format!("{}/{}", r.from, r.protocol)
                    } else {
                        format!("{}-{}/{}", r.from, r.to, r.protocol)
                    }
                })
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// The ports a rule's `ports` list allows towards `destination`.
fn rule_ports(ports: Option<&Vec<NetworkPolicyPort>>, destination: &PodEntry) -> Ports {
    let Some(ports) = ports.filter(|p| !p.is_empty()) else {
        return Ports::All;
    };
    let mut ranges = Vec::new();
    for p in ports {
        let protocol = p.protocol.clone().unwrap_or_else(|| "TCP".into());
        match &p.port {
            None => ranges.push(PortRange {
                protocol,
                from: 1,
                to: 65535,
            }),
            Some(IntOrString::Int(n)) => ranges.push(PortRange {
                protocol,
                from: *n,
                to: p.end_port.unwrap_or(*n).max(*n),
            }),
            Some(IntOrString::String(name)) => {
                for declared in destination
                    .ports
                    .iter()
                    .filter(|d| d.name.as_deref() == Some(name.as_str()) && d.protocol == protocol)
                {
                    ranges.push(PortRange {
                        protocol: protocol.clone(),
                        from: declared.port,
                        to: declared.port,
                    });
                }
            }
        }
    }
    Ports::Some(ranges)
}

/// Whether `peer` (in `policy`) matches `pod`. A namespace's labels are those of
/// the Namespace definition nearest the policy.
pub fn peer_matches(
    view: &ClusterView,
    peer: &NetworkPolicyPeer,
    policy: &PolicyEntry,
    pod: &PodEntry,
) -> Match {
    if let Some(block) = &peer.ip_block {
        return ip_block_matches(block, &pod.ips);
    }
    let pods = peer.pod_selector.as_ref().map_or(Match::Yes, |sel| {
        Match::from_bool(selector::matches(sel, &pod.labels))
    });
    let namespaces = match &peer.namespace_selector {
        None => Match::from_bool(pod.namespace == policy.namespace),
        Some(sel) => {
            let (labels, known) = view.namespace_labels(&pod.namespace, &policy.origin.file);
            selector::matches_partly(sel, &labels, known)
        }
    };
    pods.and(namespaces)
}

/// Whether an `ipBlock` matches a pod with addresses `ips` (unknown when none).
fn ip_block_matches(block: &IPBlock, ips: &[IpAddr]) -> Match {
    // An invalid CIDR is refused by the API server's validation; it matches nothing.
    let Some(cidr) = Cidr::parse_block(&block.cidr) else {
        return Match::No;
    };
    if ips.is_empty() {
        return Match::Unknown;
    }
    let excluded = |ip: &IpAddr| {
        block
            .except
            .iter()
            .flatten()
            .filter_map(|e| Cidr::parse_block(e))
            .any(|e| e.contains(*ip))
    };
    Match::from_bool(ips.iter().any(|ip| cidr.contains(*ip) && !excluded(ip)))
}

fn peers_match(
    view: &ClusterView,
    peers: Option<&Vec<NetworkPolicyPeer>>,
    policy: &PolicyEntry,
    pod: &PodEntry,
) -> Match {
    match peers.filter(|p| !p.is_empty()) {
        None => Match::Yes,
        Some(peers) => peers.iter().fold(Match::No, |acc, peer| {
            acc.or(peer_matches(view, peer, policy, pod))
        }),
    }
}

/// One direction of a connection, seen from the pod whose policies decide it.
#[derive(Clone, Debug, Serialize)]
pub struct Side {
    pub direction: Direction,
    /// Some policy with this policy type selects the pod.
    pub isolated: bool,
    /// Ports surely allowed.
    pub allowed: Ports,
    /// Ports allowed only if labels the scan does not show match.
    pub maybe: Ports,
    /// Indexes into `ClusterView::policies` of the policies that select the pod.
    pub selecting: Vec<usize>,
    /// Of those, the ones with a rule that (surely or maybe) allows the peer.
    pub allowing: Vec<usize>,
    /// The rules that do: (policy index, index in its `ingress` or `egress` list).
    pub allowing_rules: Vec<(usize, usize)>,
}

/// One ingress or egress rule of a policy: its peers (`from` or `to`) and its ports.
type RuleParts<'a> = (
    Option<&'a Vec<NetworkPolicyPeer>>,
    Option<&'a Vec<NetworkPolicyPort>>,
);

/// Evaluates one direction: `subject`'s policies, with `peer` on the other end.
pub fn side(view: &ClusterView, direction: Direction, subject: &PodEntry, peer: &PodEntry) -> Side {
    let mut out = Side {
        direction,
        isolated: false,
        allowed: Ports::none(),
        maybe: Ports::none(),
        selecting: Vec::new(),
        allowing: Vec::new(),
        allowing_rules: Vec::new(),
    };
    let destination = if direction == Direction::Ingress {
        subject
    } else {
        peer
    };
    for &i in view.policy_indexes_in(&subject.namespace) {
        let policy = &view.policies[i];
        if !has_type(&policy.spec, direction) || !selects(&policy.spec, subject) {
            continue;
        }
        out.isolated = true;
        out.selecting.push(i);
        let mut allows = false;
        let rules: Vec<RuleParts<'_>> = match direction {
            Direction::Ingress => policy
                .spec
                .ingress
                .iter()
                .flatten()
                .map(|r| (r.from.as_ref(), r.ports.as_ref()))
                .collect(),
            Direction::Egress => policy
                .spec
                .egress
                .iter()
                .flatten()
                .map(|r| (r.to.as_ref(), r.ports.as_ref()))
                .collect(),
        };
        for (r, (peers, ports)) in rules.into_iter().enumerate() {
            let ports = rule_ports(ports, destination);
            match peers_match(view, peers, policy, peer) {
                Match::Yes => {
                    out.allowed = std::mem::replace(&mut out.allowed, Ports::All).union(ports)
                }
                Match::Unknown => {
                    out.maybe = std::mem::replace(&mut out.maybe, Ports::All).union(ports)
                }
                Match::No => continue,
            }
            allows = true;
            out.allowing_rules.push((i, r));
        }
        if allows {
            out.allowing.push(i);
        }
    }
    if !out.isolated {
        out.allowed = Ports::All;
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allowed,
    Denied,
    /// Depends on labels of namespaces whose Namespace object is not in the scan.
    Unknown,
}

#[derive(Clone, Debug, Serialize)]
pub struct Reach {
    pub verdict: Verdict,
    /// Ports allowed in both directions (surely).
    pub ports: Ports,
    pub egress: Side,
    pub ingress: Side,
}

/// Whether `src` and `dst` are one and the same pod: a Pod object, not a template
/// whose replicas are distinct pods that policies do govern.
fn is_same_pod(src: &PodEntry, dst: &PodEntry) -> bool {
    std::sync::Arc::ptr_eq(&src.origin.resource, &dst.origin.resource)
        && src.origin.resource.kind == "Pod"
}

/// Can `src` open a connection to `dst` (on `port`/`protocol`, or on any port)?
pub fn reach(
    view: &ClusterView,
    src: &PodEntry,
    dst: &PodEntry,
    port: Option<(i32, &str)>,
) -> Reach {
    let egress = side(view, Direction::Egress, src, dst);
    let ingress = side(view, Direction::Ingress, dst, src);
    if is_same_pod(src, dst) {
        return Reach {
            verdict: Verdict::Allowed,
            ports: Ports::All,
            egress,
            ingress,
        };
    }
    let sure = egress.allowed.intersect(&ingress.allowed);
    let possible = egress
        .allowed
        .clone()
        .union(egress.maybe.clone())
        .intersect(&ingress.allowed.clone().union(ingress.maybe.clone()));
    let verdict = match port {
        Some((p, proto)) if sure.contains(p, proto) => Verdict::Allowed,
        Some((p, proto)) if possible.contains(p, proto) => Verdict::Unknown,
        Some(_) => Verdict::Denied,
        None if !sure.is_empty() => Verdict::Allowed,
        None if !possible.is_empty() => Verdict::Unknown,
        None => Verdict::Denied,
    };
    Reach {
        verdict,
        ports: sure,
        egress,
        ingress,
    }
}
