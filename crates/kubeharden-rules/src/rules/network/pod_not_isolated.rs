//! ## What it does
//! Flags workloads that no NetworkPolicy isolates, for ingress or for egress. A pod
//! is isolated in a direction only when some policy of its namespace selects it and
//! has that policy type (defaulting included). Where policies of another engine
//! (Cilium, Calico, Antrea, AdminNetworkPolicy) apply to the namespace, its pods are
//! not judged: the report says their isolation depends on those policies. Pods on
//! the host's network (`hostNetwork: true`) are passed over: NetworkPolicy does not
//! apply to them, and host networking is a finding of its own (KH102).
//! A direction that the namespace's missing default-deny explains is reported by
//! KH510 or KH511, which name the workload; one finding per workload lists the rest.
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
//! ```yaml
//! apiVersion: networking.k8s.io/v1
//! kind: NetworkPolicy
//! metadata:
//!   name: default-deny
//!   namespace: shop
//! spec:
//!   podSelector: {}
//!   policyTypes: [Ingress, Egress]
//! ```

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
        if pod.host_network || view.is_made(pod) {
            // Policies select pod-network traffic only; a policy is no fix here. A pod
            // its controller in the scan made is judged through it: same template,
            // same labels.
            continue;
        }
        let isolated = |direction| {
            view.policies_in(namespace)
                .any(|p| has_type(&p.spec, direction) && selects(&p.spec, pod))
        };
        // One finding a direction, so that a namespace's missing default-deny in
        // that direction can stand for it; what no namespace finding takes in is
        // one finding again (MERGE).
        for (direction, name) in [
            (Direction::Ingress, "ingress"),
            (Direction::Egress, "egress"),
        ] {
            if !isolated(direction) {
                out.at_pod_labels(
                    pod,
                    format!(
                        "{} {} is not isolated for {name}: no NetworkPolicy selects its pods",
                        pod.origin.resource.kind, pod.origin.resource.name,
                    ),
                );
            }
        }
    }
}

/// A workload open in both directions is one finding.
pub const MERGE: Merge = Merge {
    absorbs: &["KH512"],
    same: crate::merge::same_object,
    combine: Some(both_directions),
    scope: Scope::Object,
    severity: MergedSeverity::Highest,
};

fn both_directions(kept: &mut Finding, _: &[Finding]) {
    kept.message = kept
        .message
        .replace("isolated for ingress:", "isolated for ingress or egress:")
        .replace("isolated for egress:", "isolated for ingress or egress:");
}
