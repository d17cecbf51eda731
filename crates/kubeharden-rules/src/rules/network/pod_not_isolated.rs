//! ## What it does
//! Flags workloads that no NetworkPolicy isolates, for ingress or for egress. A pod
//! is isolated in a direction only when some policy of its namespace selects it and
//! has that policy type (defaulting included). Where policies of another engine
//! (Cilium, Calico, Antrea, AdminNetworkPolicy) apply to the namespace, its pods are
//! not judged: the report says their isolation depends on those policies. Pods on
//! the host's network (`hostNetwork: true`) are passed over: NetworkPolicy does not
//! apply to them, and host networking is a finding of its own (KH102).
//!
//! ## Why it matters
//! A pod that no policy selects accepts (or sends) any traffic, whatever other
//! policies exist in the namespace. Often a label changes and a policy silently
//! stops applying. The guidance asks that every pod be covered.
//!
//! ## Example
//! A policy for `app: web` while the Deployment's pods are labelled `app: frontend`.
//!
//! ## Fix
//! Add a default-deny policy (`podSelector: {}`) for both directions, or a policy
//! whose selector matches the pod's labels.

use kubeharden_cluster::netpol::{has_type, selects, Direction};

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH512",
    name: "pod-not-isolated",
    title: "Workload is not isolated by any NetworkPolicy",
    severity: Severity::Medium,
    guidance: &["NP-05"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1046",
        name: "Network Service Discovery",
    }),
    check: Check::Namespace(check),
};

fn check(ctx: &ClusterCtx<'_>, namespace: &str, out: &mut ClusterOut) {
    let view = ctx.view;
    if crate::support::network::depends_on_other_engines(ctx, namespace, out) {
        return;
    }
    for &i in view.pods_in(namespace) {
        let pod = &view.pods[i];
        if pod.host_network {
            // Policies select pod-network traffic only; a policy is no fix here.
            continue;
        }
        let isolated = |direction| {
            view.policies_in(namespace)
                .any(|p| has_type(&p.spec, direction) && selects(&p.spec, pod))
        };
        let missing: Vec<&str> = [
            (Direction::Ingress, "ingress"),
            (Direction::Egress, "egress"),
        ]
        .into_iter()
        .filter(|(d, _)| !isolated(*d))
        .map(|(_, name)| name)
        .collect();
        if !missing.is_empty() {
            out.at_pod_labels(
                pod,
                format!(
                    "{} {} is not isolated for {}: no NetworkPolicy selects its pods",
                    pod.origin.resource.kind,
                    pod.origin.resource.name,
                    missing.join(" or ")
                ),
            );
        }
    }
}
