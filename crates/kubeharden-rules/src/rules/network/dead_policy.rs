//! ## What it does
//! Flags NetworkPolicies whose `podSelector` selects none of the workloads of their
//! namespace in the scan. Namespaces without workloads in the scan are not judged, nor
//! are policies of namespaces holding custom resources an operator runs pods for (a
//! `Prometheus`, a `CephCluster`, or one whose spec names an image, containers or a pod
//! template): the report says the answer is unknown.
//!
//! ## Why it matters
//! A policy that selects nothing protects nothing. It is usually a stale label or a
//! typo, and it leaves the pods it was written for open while looking like
//! protection in review.
//!
//! ## Example
//! ```yaml
//! spec:
//!   podSelector:
//!     matchLabels: {app: frontend}   # the pods are labelled app: web
//! ```
//!
//! ## Fix
//! Correct the selector, or delete the policy.
//! ```yaml
//! spec:
//!   podSelector:
//!     matchLabels: {app: web}   # labels the pods carry
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH513",
    name: "network-policy-selects-nothing",
    title: "NetworkPolicy selects no workload",
    severity: Severity::Low,
    guidance: &["NP-02"],
    pss: None,
    mitre: None,
    check: Check::Namespace(check),
};

fn check(ctx: &ClusterCtx<'_>, namespace: &str, out: &mut ClusterOut) {
    let view = ctx.view;
    if view.pods_in(namespace).is_empty() {
        return;
    }
    for policy in view.policies_in(namespace) {
        let selector = policy.spec.pod_selector.clone().unwrap_or_default();
        if view.select_pods(namespace, &selector).is_empty() {
            // Operators run pods for custom resources the scan holds but whose pods
            // it does not: the policy may select those.
            let makers = view.pod_makers(namespace);
            if let Some(maker) = makers.first() {
                out.not_judged(
                    format!("NetworkPolicy {namespace}/{}", policy.origin.resource.name),
                    format!(
                        "it selects no workload of the scan, but an operator may run its pods for {}{}",
                        maker.describe(),
                        if makers.len() > 1 { " and other custom resources" } else { "" }
                    ),
                );
                continue;
            }
            out.at(
                &policy.origin,
                &policy.root,
                FieldPath::parse("spec.podSelector"),
                format!(
                    "NetworkPolicy {} selects no workload of namespace {namespace} ({})",
                    policy.origin.resource.name,
                    selector::describe(&selector)
                ),
            );
        }
    }
}
