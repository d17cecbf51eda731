//! ## What it does
//! Flags non-system subjects that can create, change or delete admission webhook
//! configurations (validating or mutating) or validating admission policies.
//!
//! ## Why it matters
//! Admission controls enforce policy. Whoever can rewrite them can switch them off,
//! or register a mutating webhook that injects a container into every pod created.
//!
//! ## Example
//! ```yaml
//! rules:
//! - {apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations], verbs: [create, update]}
//! ```
//!
//! ## Fix
//! Keep these rights for the controllers that own their webhooks, scoped with
//! `resourceNames`.
//! ```yaml
//! rules:
//! - apiGroups: [admissionregistration.k8s.io]
//!   resources: [mutatingwebhookconfigurations]
//!   resourceNames: [my-operator-webhook]   # its own webhook only
//!   verbs: [get, update, patch]
//! ```

use crate::prelude::*;
use crate::support::rbac::report_grants;

pub const RULE: RuleDef = RuleDef {
    id: "KH608",
    name: "rbac-admission-write",
    title: "Subject can rewrite admission control",
    severity: Severity::High,
    guidance: &["RBAC-03", "POD-11"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1562",
        name: "Impair Defenses",
    }),
    check: Check::Cluster(check),
};

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    let checks = [
        ("create", "mutatingwebhookconfigurations"),
        ("update", "mutatingwebhookconfigurations"),
        ("delete", "mutatingwebhookconfigurations"),
        ("create", "validatingwebhookconfigurations"),
        ("update", "validatingwebhookconfigurations"),
        ("delete", "validatingwebhookconfigurations"),
        ("update", "validatingadmissionpolicies"),
        ("delete", "validatingadmissionpolicies"),
    ];
    report_grants(ctx, out, &checks, |_| false);
}
