//! ## What it does
//! Flags non-system subjects that hold RBAC's escalation verbs: `escalate` or `bind`
//! on roles and cluster roles, `impersonate` on users, groups or service accounts,
//! `create` on `serviceaccounts/token`, or approval of certificate signing requests
//! (`update` on `certificatesigningrequests/approval`).
//!
//! ## Why it matters
//! RBAC stops a subject from granting more than it has, unless it holds `escalate` or
//! `bind`. `impersonate` and token requests let it act as someone else, and an
//! approved CSR mints a client certificate for any name, `system:masters` included.
//! Each turns limited access into more access.
//!
//! ## Example
//! ```yaml
//! rules:
//! - {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind, escalate]}
//! ```
//!
//! ## Fix
//! Remove these verbs from roles of people and workloads; keep them for the
//! controllers that need them, scoped with `resourceNames`.
//! ```yaml
//! rules:
//! - apiGroups: [rbac.authorization.k8s.io]
//!   resources: [clusterroles]
//!   verbs: [bind]
//!   resourceNames: [app-viewer]   # only the roles this controller hands out
//! ```

use crate::prelude::*;
use crate::support::rbac::report_grants;

pub const RULE: RuleDef = RuleDef {
    id: "KH605",
    name: "rbac-escalation-verbs",
    title: "Subject holds escalate, bind, impersonate, token or CSR approval rights",
    severity: Severity::Critical,
    guidance: &["RBAC-06"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1098",
        name: "Account Manipulation",
    }),
    check: Check::Cluster(check),
};

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    let checks = [
        ("escalate", "clusterroles"),
        ("escalate", "roles"),
        ("bind", "clusterroles"),
        ("bind", "roles"),
        ("impersonate", "users"),
        ("impersonate", "groups"),
        ("impersonate", "serviceaccounts"),
        ("create", "serviceaccounts/token"),
        ("update", "certificatesigningrequests/approval"),
    ];
    report_grants(ctx, out, &checks, |_| false);
}
