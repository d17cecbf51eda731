//! ## What it does
//! Flags non-system subjects that can use `nodes/proxy` (`get` or `create`).
//!
//! ## Why it matters
//! `nodes/proxy` reaches the kubelet API of every node through the API server: it can
//! run commands in any pod of the node, bypassing exec permissions and, on many
//! clusters, audit.
//!
//! ## Example
//! ```yaml
//! rules:
//! - {apiGroups: [""], resources: [nodes/proxy], verbs: [get]}
//! ```
//!
//! ## Fix
//! Use `nodes/metrics` or `nodes/stats` for monitoring instead, and remove
//! `nodes/proxy`.
//! ```yaml
//! rules:
//! - apiGroups: [""]
//!   resources: [nodes/metrics, nodes/stats]
//!   verbs: [get]
//! ```

use crate::prelude::*;
use crate::support::rbac::report_grants;

pub const RULE: RuleDef = RuleDef {
    id: "KH607",
    name: "rbac-node-proxy",
    title: "Subject can proxy to kubelets",
    severity: Severity::High,
    guidance: &["RBAC-03", "WN-03"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1609",
        name: "Container Administration Command",
    }),
    check: Check::Cluster(check),
};

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    report_grants(
        ctx,
        out,
        &[("get", "nodes/proxy"), ("create", "nodes/proxy")],
        |_| false,
    );
}
