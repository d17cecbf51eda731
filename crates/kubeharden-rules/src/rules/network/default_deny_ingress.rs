//! ## What it does
//! Flags every namespace in the scan (with workloads or not yet; not `kube-public`
//! or `kube-node-lease`) that has no default-deny ingress NetworkPolicy: one that
//! selects every pod (`podSelector: {}`), has `Ingress` among
//! its effective `policyTypes`, and has no ingress rules.
//! The finding names the workloads left open for ingress and stands for their KH512
//! findings.
//!
//! ## Why it matters
//! Without any policy, every pod accepts connections from every other pod in the
//! cluster. Namespaces alone do not isolate anything. The guidance asks for an
//! explicit default-deny policy in every namespace, with specific policies that then
//! allow only the traffic each application needs.
//!
//! ## Example
//! A namespace with Deployments and no NetworkPolicy at all.
//!
//! ## Fix
//! Add a default-deny ingress policy to the namespace, then allow what each application
//! needs.
//! ```yaml
//! apiVersion: networking.k8s.io/v1
//! kind: NetworkPolicy
//! metadata:
//!   name: default-deny-ingress
//!   namespace: shop
//! spec:
//!   podSelector: {}
//!   policyTypes: [Ingress]
//! ```

use kubeharden_cluster::netpol::Direction;

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH510",
    name: "namespace-without-default-deny-ingress",
    title: "Namespace has no default-deny ingress policy",
    severity: Severity::Medium,
    guidance: &["NP-03", "NP-05"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1046",
        name: "Network Service Discovery",
    }),
    check: Check::Namespace(check),
};

fn check(ctx: &ClusterCtx<'_>, namespace: &str, out: &mut ClusterOut) {
    crate::support::network::report_missing_default_deny(ctx, namespace, Direction::Ingress, out);
}

/// A workload of the namespace that no policy isolates for ingress (KH512) is open
/// because the namespace has no default-deny: this finding names it.
pub const MERGE: Merge = Merge {
    absorbs: &["KH512"],
    same: crate::support::network::open_for_ingress,
    combine: Some(crate::support::network::name_open_workloads),
    scope: Scope::Namespace,
    severity: MergedSeverity::Highest,
};
