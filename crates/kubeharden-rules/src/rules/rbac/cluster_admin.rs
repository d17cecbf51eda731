//! ## What it does
//! Flags bindings that give a non-system subject `cluster-admin`, or any ClusterRole
//! with a rule of `*` verbs on `*` resources in `*` API groups: ClusterRoleBindings,
//! and RoleBindings too, which give that power over the whole namespace. A service
//! account of kube-system counts when a scanned binding (not a built-in one) makes it
//! an admin, as Tiller's install did.
//!
//! A finding of this rule stands for the narrower grants of the same binding to the
//! same subject (KH602 to KH609: reading Secrets, exec, escalation verbs, creating
//! workloads, ...): cluster-admin holds them all, and removing it removes them.
//!
//! ## Why it matters
//! Cluster-admin can do anything: read every Secret, run any pod on any node, rewrite
//! RBAC, disable audit. The guidance asks that such power be limited to as few
//! break-glass identities as possible. Every extra holder is a direct path to full
//! compromise.
//!
//! ## Example
//! ```yaml
//! kind: ClusterRoleBinding
//! roleRef: {kind: ClusterRole, name: cluster-admin}
//! subjects:
//! - {kind: ServiceAccount, name: ci, namespace: tools}
//! ```
//!
//! ## Fix
//! Bind a role with only the verbs and resources needed, in the namespaces needed
//! (a RoleBinding), and keep cluster-admin for audited break-glass access.
//! ```yaml
//! apiVersion: rbac.authorization.k8s.io/v1
//! kind: Role
//! metadata: {name: ci-deployer, namespace: shop}
//! rules:
//! - {apiGroups: [apps], resources: [deployments], verbs: [get, list, patch]}
//! ---
//! apiVersion: rbac.authorization.k8s.io/v1
//! kind: RoleBinding
//! metadata: {name: ci-deployer, namespace: shop}
//! roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ci-deployer}
//! subjects:
//! - {kind: ServiceAccount, name: ci, namespace: tools}
//! ```

use crate::prelude::*;
use crate::support::rbac::{is_admin_equivalent, report, scanned_grants_with_kube_system};

pub const RULE: RuleDef = RuleDef {
    id: "KH601",
    name: "cluster-admin-binding",
    title: "Non-system subject holds cluster-admin power",
    severity: Severity::Critical,
    guidance: &["RBAC-04", "RBAC-03"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1078.004",
        name: "Valid Accounts: Cloud Accounts",
    }),
    check: Check::Cluster(check),
};

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    for g in scanned_grants_with_kube_system(ctx) {
        if !is_admin_equivalent(g.role) {
            continue;
        }
        // A RoleBinding limits cluster-admin to one namespace, but there it is total:
        // every Secret, every service account's token, any pod. It is reported one
        // level milder (high), except in kube-system.
        let how = match g.binding.namespace() {
            None => "do anything (cluster-admin)",
            Some(_) => "do anything (cluster-admin through a RoleBinding)",
        };
        report(out, &g, how);
    }
}

/// A subject that holds cluster-admin holds every narrower grant too, whatever binding
/// gives it: one finding, this one, naming them (a namespace's admin through a
/// RoleBinding, only those of its namespace's RoleBindings).
pub const MERGE: Merge = Merge {
    absorbs: &[
        "KH602", "KH603", "KH604", "KH605", "KH606", "KH607", "KH608", "KH609",
    ],
    same: holds_as_admin,
    combine: Some(name_other_bindings),
    scope: Scope::Subject,
    severity: MergedSeverity::Highest,
};

/// Whether the subject's cluster-admin of `kept` holds `other`'s grant: everything,
/// bound cluster-wide; a grant within the namespace, bound through a RoleBinding.
fn holds_as_admin(kept: &Finding, other: &Finding) -> bool {
    let (admin, grant) = (&kept.resource, &other.resource);
    admin.kind == "ClusterRoleBinding"
        || (grant.kind == "RoleBinding" && grant.namespace == admin.namespace)
}

/// The kept finding names the other bindings whose grants it took in: removing the
/// cluster-admin binding leaves them.
fn name_other_bindings(kept: &mut Finding, others: &[Finding]) {
    let mut bindings: Vec<String> = others
        .iter()
        .filter(|o| o.resource != kept.resource)
        .map(|o| format!("{} {}", o.resource.kind, o.resource.name))
        .collect();
    bindings.sort();
    bindings.dedup();
    if !bindings.is_empty() {
        kept.message.push_str(&format!(
            "; it also holds narrower grants through {}, which stay when this binding goes",
            bindings.join(", ")
        ));
    }
}
