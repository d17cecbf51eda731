//! ## What it does
//! Flags `NodePort` and `LoadBalancer` Services that select privileged or
//! host-network pods.
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

use crate::prelude::*;

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
        let risky = crate::support::exposure::risky_pods(ctx.view, service);
        if !risky.is_empty() {
            out.at(
                &service.origin,
                &service.root,
                FieldPath::parse("spec.selector"),
                format!(
                    "{kind} Service {} selects {}",
                    service.origin.resource.name,
                    risky.join(", ")
                ),
            );
        }
    }
}
