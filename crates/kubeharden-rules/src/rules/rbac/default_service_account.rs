//! ## What it does
//! Flags bindings that grant a role to a namespace's `default` service account.
//!
//! ## Why it matters
//! Every pod that names no service account runs as `default`, so a permission given
//! to it is given to all of them, including pods added later by anyone who can
//! deploy. The guidance says `default` should have no bindings.
//!
//! ## Example
//! ```yaml
//! subjects:
//! - {kind: ServiceAccount, name: default, namespace: shop}
//! ```
//!
//! ## Fix
//! Create a dedicated ServiceAccount for the workload that needs the role, and bind
//! that instead.
//! ```yaml
//! apiVersion: v1
//! kind: ServiceAccount
//! metadata: {name: report-reader, namespace: shop}
//! ---
//! apiVersion: rbac.authorization.k8s.io/v1
//! kind: RoleBinding
//! metadata: {name: report-reader, namespace: shop}
//! roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: report-reader}
//! subjects:
//! - {kind: ServiceAccount, name: report-reader, namespace: shop}
//! # and in the workload's pod spec: serviceAccountName: report-reader
//! ```

use crate::prelude::*;
use crate::support::rbac::{report, scanned_grants};

pub const RULE: RuleDef = RuleDef {
    id: "KH611",
    name: "rbac-default-service-account",
    title: "Role bound to a default service account",
    severity: Severity::Medium,
    guidance: &["AUTHN-07", "RBAC-08"],
    pss: None,
    mitre: None,
    check: Check::Cluster(check),
};

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    for g in scanned_grants(ctx) {
        if matches!(&g.subject, kubeharden_rbac::SubjectRef::ServiceAccount { name, .. } if name == "default")
        {
            report(
                out,
                &g,
                "use every rule of the role (as the service account all unnamed pods share)",
            );
        }
    }
}
