//! ## What it does
//! Flags bindings in the scan that grant anything to `system:anonymous`,
//! `system:unauthenticated` or `system:authenticated`. The built-in bindings for
//! discovery and health endpoints are not reported.
//!
//! ## Why it matters
//! With anonymous authentication on (the default), `system:anonymous` and
//! `system:unauthenticated` are anyone who can reach the API server.
//! `system:authenticated` is every user and every service account of every namespace.
//! The guidance says to authorize neither.
//!
//! ## Example
//! ```yaml
//! subjects:
//! - {kind: Group, name: system:unauthenticated}
//! ```
//!
//! ## Fix
//! Bind named users, groups or service accounts instead.
//! ```yaml
//! subjects:
//! - {kind: Group, name: shop-readers, apiGroup: rbac.authorization.k8s.io}
//! ```

use crate::prelude::*;
use crate::support::rbac::report;

pub const RULE: RuleDef = RuleDef {
    id: "KH610",
    name: "rbac-grant-to-everyone",
    title: "Binding grants to anonymous or all users",
    severity: Severity::Critical,
    guidance: &["AUTHN-04"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1078.001",
        name: "Valid Accounts: Default Accounts",
    }),
    check: Check::Cluster(check),
};

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    for g in crate::support::rbac::scanned_grants(ctx) {
        let everyone = match &g.subject {
            kubeharden_rbac::SubjectRef::User { name }
            | kubeharden_rbac::SubjectRef::Group { name } => {
                matches!(
                    name.as_str(),
                    "system:anonymous" | "system:unauthenticated" | "system:authenticated"
                )
            }
            _ => false,
        };
        if everyone {
            report(
                out,
                &g,
                "use every rule of the role (granted to everyone in that group)",
            );
        }
    }
}
