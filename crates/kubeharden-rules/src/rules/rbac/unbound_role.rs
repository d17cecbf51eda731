//! ## What it does
//! Flags Roles and ClusterRoles in the scan that no binding references and that are
//! not aggregated into another ClusterRole. A Role is only judged when its
//! Namespace object is in the scan.
//!
//! ## Why it matters
//! An unused role is dead configuration that reviewers still have to read. It is
//! also a ready-made grant: one binding away from being live. The guidance asks that
//! unneeded components be removed and RBAC reviewed regularly.
//!
//! ## Example
//! A ClusterRole left behind after its controller was uninstalled.
//!
//! ## Fix
//! Delete it, or bind it where it is meant to be used.
//! ```yaml
//! # or delete the role
//! apiVersion: rbac.authorization.k8s.io/v1
//! kind: RoleBinding
//! metadata: {name: metrics-reader, namespace: monitoring}
//! roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: metrics-reader}
//! subjects:
//! - {kind: ServiceAccount, name: prometheus, namespace: monitoring}
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH613",
    name: "rbac-unbound-role",
    title: "Role is bound to nobody",
    severity: Severity::Info,
    guidance: &["RBAC-10", "UPG-06"],
    pss: None,
    mitre: None,
    check: Check::Cluster(check),
};

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    let model = ctx.rbac();
    let mut roles = model.roles.iter().filter(|r| !r.builtin).peekable();
    // The bootstrap policy alone (an admission review of a pod): nothing to index.
    if roles.peek().is_none() {
        return;
    }
    let bound: std::collections::HashSet<&kubeharden_rbac::RoleKey> =
        model.bindings.iter().map(|b| &b.role_key).collect();
    for role in roles {
        let aggregated = role
            .entry
            .labels
            .keys()
            .any(|k| k.contains("aggregate-to-"));
        let judged = role
            .key
            .namespace
            .as_ref()
            .is_none_or(|ns| ctx.view.namespaces.contains_key(ns));
        if !bound.contains(&role.key) && !aggregated && judged {
            out.at(
                &role.entry.origin,
                &role.entry.root,
                FieldPath::parse("metadata.name"),
                format!("{} is referenced by no binding", role.key),
            );
        }
    }
}
