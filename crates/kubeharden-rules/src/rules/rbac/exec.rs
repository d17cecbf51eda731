//! ## What it does
//! Flags non-system subjects that can run commands in, attach to, or port-forward
//! into pods: `create` (or `get`, which older clients use) on `pods/exec`,
//! `pods/attach` or `pods/portforward`.
//!
//! ## Why it matters
//! Exec gives a shell inside any pod the binding reaches: its secrets, its
//! service-account token, its network position. The guidance names administrators'
//! ability to run commands in containers as an insider risk.
//!
//! ## Example
//! ```yaml
//! rules:
//! - {apiGroups: [""], resources: [pods/exec], verbs: [create]}
//! ```
//!
//! ## Fix
//! Keep exec for break-glass roles, limited to the namespaces concerned, and audit
//! its use.
//! ```yaml
//! # everyday access: pods and their logs, no exec; exec stays in a break-glass role
//! apiVersion: rbac.authorization.k8s.io/v1
//! kind: Role
//! metadata: {name: developer, namespace: shop}
//! rules:
//! - {apiGroups: [""], resources: [pods, pods/log], verbs: [get, list, watch]}
//! ```

use crate::prelude::*;
use crate::support::rbac::report_grants;

pub const RULE: RuleDef = RuleDef {
    id: "KH604",
    name: "rbac-pod-exec",
    title: "Subject can exec, attach or port-forward into pods",
    severity: Severity::High,
    guidance: &["RBAC-07", "POD-32"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1609",
        name: "Container Administration Command",
    }),
    check: Check::Cluster(check),
};

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    let checks = [
        ("create", "pods/exec"),
        ("get", "pods/exec"),
        ("create", "pods/attach"),
        ("create", "pods/portforward"),
    ];
    report_grants(ctx, out, &checks, |_| false);
}
