//! ## What it does
//! Flags workloads that run as their namespace's `default` service account
//! (`serviceAccountName` unset or `default`).
//!
//! ## Why it matters
//! Every pod of the namespace that names no account shares `default`, so any
//! permission granted to it is granted to all of them, and one compromised pod can
//! act as any other. The guidance asks for dedicated service accounts with only
//! the permissions each workload needs.
//!
//! ## Example
//! ```yaml
//! spec:
//!   containers:
//!   - name: app
//! ```
//!
//! ## Fix
//! Create a ServiceAccount for the workload (with `automountServiceAccountToken:
//! false` unless it calls the API) and set `serviceAccountName`.

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH530",
    name: "default-service-account",
    title: "Workload runs as the default service account",
    severity: Severity::Low,
    guidance: &["AUTHN-07", "RBAC-08"],
    pss: None,
    mitre: None,
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    match w.spec.service_account_name.as_deref() {
        None | Some("") => out.at(
            spec_path(w, "serviceAccountName"),
            "pod names no service account, so it runs as \"default\"",
        ),
        Some("default") => out.at(
            spec_path(w, "serviceAccountName"),
            "pod runs as the \"default\" service account",
        ),
        Some(_) => {}
    }
}
