//! ## What it does
//! Flags NetworkPolicy rules that allow everything: an ingress or egress rule with
//! no peers and no ports (`- {}`), or a peer `ipBlock` of `0.0.0.0/0` or `::/0`
//! without `except`.
//! An egress rule to every address that leaves the metadata service reachable is
//! reported once, by KH515.
//!
//! ## Why it matters
//! Policies are additive. One allow-all rule cancels every restriction on the pods
//! it selects, whatever other policies say. With an unrestricted ipBlock, traffic
//! to or from the whole internet is allowed.
//!
//! ## Example
//! ```yaml
//! spec:
//!   podSelector: {}
//!   ingress:
//!   - {}
//! ```
//!
//! ## Fix
//! Name the peers (`podSelector`, `namespaceSelector`, specific CIDRs) and ports the
//! application needs.
//! ```yaml
//! ingress:
//! - from:
//!   - podSelector: {matchLabels: {app: frontend}}
//!   ports:
//!   - {protocol: TCP, port: 8080}
//! ```

use crate::prelude::*;
use crate::support::network::is_everywhere;

pub const RULE: RuleDef = RuleDef {
    id: "KH514",
    name: "network-policy-allows-all",
    title: "NetworkPolicy rule allows all traffic",
    severity: Severity::Medium,
    guidance: &["NP-07", "NP-03", "NP-04"],
    pss: None,
    mitre: None,
    check: Check::Cluster(check),
};

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    for policy in &ctx.view.policies {
        let name = &policy.origin.resource.name;
        let ingress = policy
            .spec
            .ingress
            .iter()
            .flatten()
            .map(|r| (r.from.as_ref(), r.ports.as_ref()));
        let egress = policy
            .spec
            .egress
            .iter()
            .flatten()
            .map(|r| (r.to.as_ref(), r.ports.as_ref()));
        let directions = [
            ("ingress", "from", ingress.collect::<Vec<_>>()),
            ("egress", "to", egress.collect::<Vec<_>>()),
        ];
        for (direction, peers_field, rules) in directions {
            for (i, (peers, ports)) in rules.into_iter().enumerate() {
                let rule_path = FieldPath::parse("spec").key(direction).index(i);
                let no_peers = peers.is_none_or(Vec::is_empty);
                if no_peers && ports.is_none_or(Vec::is_empty) {
                    let row: &'static [&'static str] = if direction == "ingress" {
                        &["NP-03"]
                    } else {
                        &["NP-04"]
                    };
                    out.at(
                        &policy.origin,
                        &policy.root,
                        rule_path,
                        format!("NetworkPolicy {name} allows all {direction} traffic"),
                    )
                    .rows(row);
                    continue;
                }
                for (j, peer) in peers.into_iter().flatten().enumerate() {
                    let Some(block) = &peer.ip_block else {
                        continue;
                    };
                    if is_everywhere(&block.cidr) && block.except.as_ref().is_none_or(Vec::is_empty)
                    {
                        let path = rule_path.key(peers_field).index(j).join("ipBlock.cidr");
                        out.at(
                            &policy.origin,
                            &policy.root,
                            path,
                            format!(
                                "NetworkPolicy {name} allows {direction} {} {} with no exceptions",
                                if direction == "ingress" { "from" } else { "to" },
                                block.cidr
                            ),
                        )
                        .rows(&["NP-07"]);
                    }
                }
            }
        }
    }
}
