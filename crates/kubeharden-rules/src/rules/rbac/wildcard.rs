//! ## What it does
//! Flags Roles and ClusterRoles with `*` in `verbs`, `resources` or `apiGroups` that are
//! bound to a non-system subject. Admin power (`*` on `*` in `*`) is reported by KH601.
//! The finding is high when a wildcard rule reaches something sensitive (Secrets, pod
//! creation or exec, RBAC escalation, impersonation), medium otherwise, and one level
//! milder through a RoleBinding outside kube-system.
//!
//! ## Why it matters
//! A wildcard grants everything that exists now and everything added later: new
//! resources, new subresources such as `pods/exec`, and CRDs that hold credentials.
//! Least privilege, as the guidance asks, means naming the verbs and resources.
//!
//! ## Example
//! ```yaml
//! rules:
//! - apiGroups: ["apps"]
//!   resources: ["*"]
//!   verbs: ["*"]
//! ```
//!
//! ## Fix
//! List the resources and verbs the subject uses (`kubectl auth can-i --list` on a
//! test cluster, or audit logs, show them).
//! ```yaml
//! rules:
//! - apiGroups: ["apps"]
//!   resources: ["deployments", "replicasets"]
//!   verbs: ["get", "list", "watch", "patch"]
//! ```

use crate::prelude::*;
use crate::support::rbac::{is_admin_equivalent, report, request, scanned_grants, Granted};

pub const RULE: RuleDef = RuleDef {
    id: "KH602",
    name: "rbac-wildcard",
    title: "Role grants wildcards to a non-system subject",
    severity: Severity::High,
    guidance: &["RBAC-03", "POD-32"],
    pss: None,
    mitre: None,
    check: Check::Cluster(check),
};

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    for g in scanned_grants(ctx) {
        if is_admin_equivalent(g.role) {
            continue;
        }
        let wild =
            |list: &Option<Vec<String>>| list.as_ref().is_some_and(|l| l.iter().any(|x| x == "*"));
        let wildcards: Vec<String> = g
            .role
            .rules
            .iter()
            // A RoleBinding grants no non-resource URLs: such rules reach no one there.
            .filter(|r| g.binding.namespace().is_none() || r.resources.is_some())
            .filter(|r| {
                r.verbs.iter().any(|v| v == "*") || wild(&r.resources) || wild(&r.api_groups)
            })
            .map(|r| {
                format!(
                    "{} on {}",
                    r.verbs.join(","),
                    r.resources.clone().unwrap_or_default().join(",")
                )
            })
            .collect();
        if let Some(first) = wildcards.first() {
            let tag = report(out, &g, &format!("use wildcard grants ({first})"));
            if !reaches_sensitive(&g) {
                tag.severity(Severity::Medium);
            }
        }
    }
}

/// Requests whose grant is a step towards more power: the wildcard matters most when
/// it covers one of them.
const SENSITIVE: &[(&str, &str)] = &[
    ("get", "secrets"),
    ("list", "secrets"),
    ("create", "pods"),
    ("create", "pods/exec"),
    ("create", "deployments"),
    ("escalate", "clusterroles"),
    ("bind", "clusterroles"),
    ("impersonate", "users"),
    ("create", "serviceaccounts/token"),
];

fn reaches_sensitive(g: &Granted<'_, '_>) -> bool {
    SENSITIVE.iter().any(|(verb, resource)| {
        let req = request(g, verb, resource);
        g.binding.covers(&req)
            && g.role
                .rules
                .iter()
                .any(|r| kubeharden_rbac::rule_allows(r, &req))
    })
}
