//! ## What it does
//! Flags NetworkPolicy egress rules that leave the cloud instance-metadata address
//! reachable on TCP 80: `169.254.169.254` (and AWS's IPv6 `fd00:ec2::254`). This
//! covers rules with no `to` (every destination), and ipBlocks whose CIDR contains
//! the address without excepting it.
//! A rule open to every address is one finding, this one, standing for KH514's.
//!
//! ## Why it matters
//! The metadata service hands out the node's cloud credentials. A pod that reaches
//! it can act as the node in the cloud account. The guidance asks that pods be kept
//! from it, by network policy or cloud configuration.
//!
//! ## Example
//! ```yaml
//! egress:
//! - to:
//!   - ipBlock: {cidr: 0.0.0.0/0}
//! ```
//!
//! ## Fix
//! Except the metadata address from broad egress ranges.
//! ```yaml
//! egress:
//! - to:
//!   - ipBlock:
//!       cidr: 0.0.0.0/0
//!       except: [169.254.169.254/32]
//! ```

use std::net::IpAddr;

use k8s_openapi::api::networking::v1::NetworkPolicyPort;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::prelude::*;
use crate::support::network::cidr_contains;

pub const RULE: RuleDef = RuleDef {
    id: "KH515",
    name: "egress-reaches-cloud-metadata",
    title: "Egress rule leaves the cloud metadata service reachable",
    severity: Severity::High,
    guidance: &["CLD-01"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1552.005",
        name: "Unsecured Credentials: Cloud Instance Metadata API",
    }),
    check: Check::Cluster(check),
};

const METADATA: [&str; 2] = ["169.254.169.254", "fd00:ec2::254"];

/// Whether a rule's ports let TCP 80 through.
fn allows_http(ports: Option<&Vec<NetworkPolicyPort>>) -> bool {
    ports.is_none_or(Vec::is_empty)
        || ports.into_iter().flatten().any(|p| {
            p.protocol.as_deref().unwrap_or("TCP") == "TCP"
                && match &p.port {
                    None => true,
                    Some(IntOrString::Int(n)) => *n <= 80 && 80 <= p.end_port.unwrap_or(*n),
                    Some(IntOrString::String(_)) => false,
                }
        })
}

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    let metadata: Vec<IpAddr> = METADATA.iter().map(|a| a.parse().unwrap()).collect();
    for policy in ctx
        .view
        .policies
        .iter()
        .filter(|p| netpol::has_type(&p.spec, netpol::Direction::Egress))
    {
        let name = &policy.origin.resource.name;
        for (i, rule) in policy.spec.egress.iter().flatten().enumerate() {
            if !allows_http(rule.ports.as_ref()) {
                continue;
            }
            let rule_path = FieldPath::parse("spec.egress").index(i);
            let peers = rule.to.as_ref().filter(|t| !t.is_empty());
            if peers.is_none() {
                out.at(&policy.origin, &policy.root, rule_path, format!("NetworkPolicy {name} allows egress to every address, the cloud metadata service included"));
                continue;
            }
            for (j, peer) in peers.into_iter().flatten().enumerate() {
                let Some(block) = &peer.ip_block else {
                    continue;
                };
                let excepted =
                    |ip: IpAddr| block.except.iter().flatten().any(|e| cidr_contains(e, ip));
                if let Some(ip) = metadata
                    .iter()
                    .find(|ip| cidr_contains(&block.cidr, **ip) && !excepted(**ip))
                {
                    let path = rule_path.key("to").index(j).join("ipBlock.cidr");
                    out.at(&policy.origin, &policy.root, path, format!("NetworkPolicy {name} allows egress to {} without excepting the metadata address {ip}", block.cidr));
                }
            }
        }
    }
}

/// An egress rule open to every address (KH514) opens the metadata service too:
/// one finding, this one, the graver.
pub const MERGE: Merge = Merge {
    absorbs: &["KH514"],
    same: crate::merge::within,
    combine: None,
    scope: Scope::Object,
    severity: MergedSeverity::Highest,
};
