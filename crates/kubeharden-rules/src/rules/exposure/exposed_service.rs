//! ## What it does
//! Flags Services of type `NodePort` or `LoadBalancer`. KH541 reports, at a higher
//! severity, those that select privileged or host-network pods.
//! A LoadBalancer without `loadBalancerSourceRanges` is one finding, which stands for
//! KH542.
//!
//! ## Why it matters
//! A NodePort opens a port on every node; a LoadBalancer usually opens one to the
//! internet. The guidance asks that Services be exposed deliberately, with
//! firewalls in front of nodes and TLS on what is exposed. Each such Service is
//! attack surface to review.
//!
//! ## Example
//! ```yaml
//! kind: Service
//! spec:
//!   type: NodePort
//! ```
//!
//! ## Fix
//! Use `ClusterIP` behind an Ingress or Gateway with TLS. If the Service must be
//! external, restrict `loadBalancerSourceRanges` and document why.
//! ```yaml
//! spec:
//!   type: ClusterIP   # behind an Ingress or Gateway with TLS; if it must stay external:
//!   # type: LoadBalancer
//!   # loadBalancerSourceRanges: [203.0.113.0/24]
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH540",
    name: "service-exposed",
    title: "Service is exposed outside the cluster",
    severity: Severity::Medium,
    guidance: &["NP-08", "WN-01"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1133",
        name: "External Remote Services",
    }),
    check: Check::Cluster(check),
};

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    for service in &ctx.view.services {
        let kind = service.spec.type_.as_deref().unwrap_or("ClusterIP");
        if kind != "NodePort" && kind != "LoadBalancer" {
            continue;
        }
        // KH541 reports the Services in front of privileged pods.
        if crate::support::exposure::risky_pods(ctx.view, service)
            .1
            .is_some()
        {
            continue;
        }
        let tag = out.at(
            &service.origin,
            &service.root,
            FieldPath::parse("spec.type"),
            format!("Service {} is of type {kind}", service.origin.resource.name),
        );
        // Node ports open every node (WN-01); a load balancer without them does not.
        if service.spec.allocate_load_balancer_node_ports == Some(false) {
            tag.rows(&["NP-08"]);
        }
    }
}

/// A LoadBalancer without source ranges (KH542) is one exposure with its type:
/// this finding says both.
pub const MERGE: Merge = Merge {
    absorbs: &["KH542"],
    same: crate::merge::same_object,
    combine: Some(crate::support::exposure::open_to_all),
    scope: Scope::Object,
    severity: MergedSeverity::Highest,
};
