//! ## What it does
//! Flags bindings whose role does not exist: a ClusterRole neither in the scan nor
//! built into Kubernetes, or a Role missing from a namespace whose Namespace object
//! is in the scan.
//!
//! ## Why it matters
//! A dangling binding grants nothing today, but it is a loaded gun: whoever later
//! creates a role with that name (and can create roles) silently grants it to the
//! binding's subjects. It is also a sign of a half-removed or mistyped configuration.
//!
//! ## Example
//! ```yaml
//! roleRef: {kind: Role, name: pod-reder}
//! ```
//!
//! ## Fix
//! Fix the role name, or delete the binding.

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH612",
    name: "rbac-binding-to-missing-role",
    title: "Binding references a role that does not exist",
    severity: Severity::Low,
    guidance: &["RBAC-10", "UPG-06"],
    pss: None,
    mitre: None,
    check: Check::Cluster(check),
};

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    for b in ctx.rbac().bindings.iter().filter(|b| !b.builtin && b.role.is_none()) {
        let judged = match &b.role_key.namespace {
            Some(ns) => ctx.view.namespaces.contains_key(ns),
            None => true,
        };
        if judged {
            out.at(&b.entry.origin, &b.entry.root, FieldPath::parse("roleRef.name"), format!("{} references {}, which does not exist", b.describe(), b.role_key));
        }
    }
}
