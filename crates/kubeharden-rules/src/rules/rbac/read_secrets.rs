//! ## What it does
//! Flags non-system subjects that can `get`, `list` or `watch` Secrets cluster-wide (by
//! a ClusterRoleBinding) or in `kube-system`.
//!
//! ## Why it matters
//! Secrets hold credentials, including service-account tokens of every controller. The
//! guidance asks that access to them be restricted with RBAC. `list` and `watch`
//! return the values too, not only names.
//!
//! ## Example
//! ```yaml
//! kind: ClusterRole
//! rules:
//! - {apiGroups: [""], resources: [secrets], verbs: [get, list]}
//! ```
//! bound by a ClusterRoleBinding.
//!
//! ## Fix
//! Grant Secret access in the one namespace needed (a RoleBinding), with
//! `resourceNames` for the Secrets the workload uses.
//! ```yaml
//! apiVersion: rbac.authorization.k8s.io/v1
//! kind: Role
//! metadata: {name: read-db-secret, namespace: shop}
//! rules:
//! - apiGroups: [""]
//!   resources: [secrets]
//!   resourceNames: [db-credentials]
//!   verbs: [get]
//! ---
//! apiVersion: rbac.authorization.k8s.io/v1
//! kind: RoleBinding
//! metadata: {name: read-db-secret, namespace: shop}
//! roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: read-db-secret}
//! subjects:
//! - {kind: ServiceAccount, name: api, namespace: shop}
//! ```

use crate::prelude::*;
use crate::support::rbac::report_grants;

pub const RULE: RuleDef = RuleDef {
    id: "KH603",
    name: "rbac-read-secrets",
    title: "Subject can read Secrets cluster-wide or in kube-system",
    severity: Severity::High,
    guidance: &["SEC-06", "AUTHN-05"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1552.007",
        name: "Unsecured Credentials: Container API",
    }),
    check: Check::Cluster(check),
};

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    let checks = [
        ("get", "secrets"),
        ("list", "secrets"),
        ("watch", "secrets"),
    ];
    report_grants(ctx, out, &checks, |g| {
        g.binding.namespace().is_some_and(|ns| ns != "kube-system")
    });
}
