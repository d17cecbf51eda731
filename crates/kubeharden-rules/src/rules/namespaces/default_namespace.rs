//! ## What it does
//! Flags workloads placed explicitly in the `default` namespace.
//!
//! ## Why it matters
//! The guidance recommends partitioning resources by team or application with
//! namespaces, so that RBAC, NetworkPolicies, quotas and Pod Security levels can be
//! set per namespace. Everything in `default` shares one set of controls, and
//! `default` is where anything lands by accident.
//!
//! ## Example
//! ```yaml
//! metadata:
//!   name: web
//!   namespace: default
//! ```
//!
//! ## Fix
//! Create a namespace for the application, with its own policies and quotas, and
//! deploy there.
//! ```yaml
//! apiVersion: v1
//! kind: Namespace
//! metadata:
//!   name: shop
//!   labels:
//!     pod-security.kubernetes.io/enforce: restricted
//! ---
//! # the workload
//! metadata:
//!   name: web
//!   namespace: shop
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH501",
    name: "workload-in-default-namespace",
    title: "Workload runs in the default namespace",
    severity: Severity::Low,
    guidance: &["NS-03"],
    pss: None,
    mitre: None,
    check: Check::Cluster(check),
};

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    for pod in ctx
        .view
        .pods
        .iter()
        .filter(|p| p.namespace_explicit && p.namespace == "default")
    {
        out.at_pod(
            pod,
            FieldPath::parse("metadata.namespace"),
            pod.namespace_pos,
            format!("{} runs in the default namespace", pod.origin.resource.kind),
        );
    }
}
