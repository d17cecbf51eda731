//! ## What it does
//! Flags Namespaces whose name starts with `kube-` other than `kube-system`,
//! `kube-public` and `kube-node-lease`.
//!
//! ## Why it matters
//! The `kube-` prefix is reserved for Kubernetes' own namespaces (Appendix D of the
//! guidance). Tools, policies and people treat such namespaces as system namespaces,
//! and often exempt them from controls.
//!
//! ## Example
//! ```yaml
//! kind: Namespace
//! metadata:
//!   name: kube-monitoring
//! ```
//!
//! ## Fix
//! Rename the namespace, e.g. `monitoring`.
//! ```yaml
//! apiVersion: v1
//! kind: Namespace
//! metadata:
//!   name: monitoring
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH503",
    name: "namespace-kube-prefix",
    title: "Namespace uses the reserved kube- prefix",
    severity: Severity::Low,
    guidance: &["NS-02"],
    pss: None,
    mitre: None,
    check: Check::Cluster(check),
};

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    let definitions = ctx.view.namespaces.iter();
    for (name, ns) in definitions.flat_map(|(name, defs)| defs.iter().map(move |d| (name, d))) {
        if name.starts_with("kube-")
            && !matches!(
                name.as_str(),
                "kube-system" | "kube-public" | "kube-node-lease"
            )
        {
            out.at(
                &ns.origin,
                &ns.root,
                FieldPath::parse("metadata.name"),
                format!("namespace {name} uses the reserved kube- prefix"),
            );
        }
    }
}
