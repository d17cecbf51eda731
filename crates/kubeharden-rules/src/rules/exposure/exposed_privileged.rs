//! ## What it does
//! Flags `NodePort` and `LoadBalancer` Services that select privileged or
//! host-network pods. A pod counts as privileged when a container that serves the
//! Service's target port is (`privileged: true`, or `SYS_ADMIN` or `ALL` added); a
//! privileged init container serves nothing. Where no container declares the target
//! port, any of its serving containers may be the one. Host-network pods alone are
//! high: they expose the node's network, not the node.
//! A LoadBalancer without `loadBalancerSourceRanges` is one finding, which stands for
//! KH542.
//!
//! ## Why it matters
//! An exposed, privileged pod is the shortest path from the internet to a node. One
//! remote bug in the application gives the attacker the node, and from the node the
//! cluster.
//!
//! ## Example
//! A `LoadBalancer` Service whose selector matches a DaemonSet with
//! `hostNetwork: true`.
//!
//! ## Fix
//! Remove the privileged settings from the workload, or stop exposing it: put an
//! unprivileged proxy in front of it.
//! ```yaml
//! securityContext:   # of the exposed containers
//!   privileged: false
//!   allowPrivilegeEscalation: false
//!   capabilities:
//!     drop: ["ALL"]
//! ```

use crate::prelude::*;
use crate::support::exposure::{risky_pods, Risk};

pub const RULE: RuleDef = RuleDef {
    id: "KH541",
    name: "service-exposes-privileged-pods",
    title: "Exposed Service selects privileged or host-network pods",
    severity: Severity::Critical,
    guidance: &["NP-08", "POD-12", "POD-15"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1190",
        name: "Exploit Public-Facing Application",
    }),
    check: Check::Cluster(check),
};

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    for service in &ctx.view.services {
        let kind = service.spec.type_.as_deref().unwrap_or("ClusterIP");
        if kind != "NodePort" && kind != "LoadBalancer" {
            continue;
        }
        let (risky, worst) = risky_pods(ctx.view, service);
        let Some(worst) = worst else { continue };
        let tag = out.at(
            &service.origin,
            &service.root,
            FieldPath::parse("spec.selector"),
            format!(
                "{kind} Service {} selects {}",
                service.origin.resource.name,
                risky.join(", ")
            ),
        );
        // A privileged serving container is node root one exploit away; a
        // host-network pod exposes the node's network, not the node.
        match worst {
            Risk::Privileged => tag.rows(&["NP-08", "POD-12"]),
            Risk::HostNetwork => tag.rows(&["NP-08", "POD-15"]).severity(Severity::High),
        };
    }
}

/// A LoadBalancer without source ranges (KH542) in front of privileged pods is one
/// exposure: this finding says both.
pub const MERGE: Merge = Merge {
    absorbs: &["KH542"],
    same: crate::merge::same_object,
    combine: Some(crate::support::exposure::open_to_all),
    scope: Scope::Object,
    severity: MergedSeverity::Highest,
};
