//! ## What it does
//! Flags every namespace in the scan (with workloads or not yet; not `kube-public`
//! or `kube-node-lease`) that has no default-deny egress NetworkPolicy: one that
//! selects every pod, has `Egress` in `policyTypes`, and has
//! no egress rules. A policy that misspells the field as `policyType` (as the
//! guidance's own Appendix E example does) only denies ingress, because Kubernetes
//! drops the unknown field and defaults the types to `[Ingress]`.
//! The finding names the workloads left open for egress and stands for their KH512
//! findings.
//!
//! ## Why it matters
//! Unrestricted egress lets a compromised pod reach the cloud metadata service,
//! other namespaces, the API server and the internet: exfiltration, lateral
//! movement, and the mining pools of cryptojackers.
//!
//! ## Example
//! ```yaml
//! spec:
//!   podSelector: {}
//!   policyType: [Egress]      # misspelled: this policy denies ingress only
//! ```
//!
//! ## Fix
//! Add a default-deny egress policy to the namespace, then allow DNS and the egress
//! each application needs:
//! ```yaml
//! spec:
//!   podSelector: {}
//!   policyTypes: [Egress]
//! ```

use kubeharden_cluster::netpol::Direction;

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH511",
    name: "namespace-without-default-deny-egress",
    title: "Namespace has no default-deny egress policy",
    severity: Severity::Medium,
    guidance: &["NP-04", "NP-05", "CLD-01"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1041",
        name: "Exfiltration Over C2 Channel",
    }),
    check: Check::Namespace(check),
};

fn check(ctx: &ClusterCtx<'_>, namespace: &str, out: &mut ClusterOut) {
    crate::support::network::report_missing_default_deny(ctx, namespace, Direction::Egress, out);
}

/// A workload of the namespace that no policy isolates for egress (KH512) is open
/// because the namespace has no default-deny: this finding names it.
pub const MERGE: Merge = Merge {
    absorbs: &["KH512"],
    same: crate::support::network::open_for_egress,
    combine: Some(crate::support::network::name_open_workloads),
    scope: Scope::Namespace,
    severity: MergedSeverity::Highest,
};
