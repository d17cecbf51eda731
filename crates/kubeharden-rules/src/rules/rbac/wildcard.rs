//! ## What it does
//! Flags Roles and ClusterRoles with `*` in `verbs`, `resources` or `apiGroups` that are
//! bound to a non-system subject. Cluster-wide admin power is reported by KH601.
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

use crate::prelude::*;
use crate::support::rbac::{is_admin_equivalent, report, scanned_grants};

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
        if g.binding.namespace().is_none() && is_admin_equivalent(g.role) {
            continue;
        }
        let wild =
            |list: &Option<Vec<String>>| list.as_ref().is_some_and(|l| l.iter().any(|x| x == "*"));
        let wildcards: Vec<String> = g
            .role
            .rules
            .iter()
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
            report(out, &g, &format!("use wildcard grants ({first})"));
        }
    }
}
