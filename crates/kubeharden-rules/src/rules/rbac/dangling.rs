//! ## What it does
//! Flags bindings whose role does not exist (a ClusterRole neither in the scan nor
//! built into Kubernetes, or a Role missing from a namespace whose Namespace object
//! is in the scan), and ServiceAccount subjects missing from a namespace whose
//! Namespace object is in the scan.
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
//! ```yaml
//! roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH612",
    name: "rbac-dangling-binding",
    title: "Binding references a role or service account that does not exist",
    severity: Severity::Low,
    guidance: &["RBAC-10", "UPG-06"],
    pss: None,
    mitre: None,
    check: Check::Cluster(check),
};

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    for b in ctx
        .rbac()
        .bindings
        .iter()
        .filter(|b| !b.builtin && b.role.is_none())
    {
        let judged = match &b.role_key.namespace {
            Some(ns) => ctx.view.namespaces.contains_key(ns),
            None => true,
        };
        if judged {
            out.at(
                &b.entry.origin,
                &b.entry.root,
                FieldPath::parse("roleRef.name"),
                format!(
                    "{} references {}, which does not exist",
                    b.describe(),
                    b.role_key
                ),
            );
        }
    }
    for b in ctx.rbac().bindings.iter().filter(|b| !b.builtin) {
        for (i, subject) in b.entry.subjects.iter().enumerate() {
            let Some(kubeharden_rbac::SubjectRef::ServiceAccount { namespace, name }) =
                kubeharden_rbac::SubjectRef::from_subject(subject, b.namespace())
            else {
                continue;
            };
            let known = ctx
                .view
                .service_accounts
                .contains_key(&(namespace.clone(), name.clone()));
            if ctx.view.namespaces.contains_key(&namespace) && !known && name != "default" {
                out.at(
                    &b.entry.origin,
                    &b.entry.root,
                    FieldPath::parse("subjects").index(i),
                    format!(
                        "{} grants to service account {namespace}/{name}, which does not exist",
                        b.describe()
                    ),
                );
            }
        }
    }
}
