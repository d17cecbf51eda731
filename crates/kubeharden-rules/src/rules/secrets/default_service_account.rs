//! ## What it does
//! Flags workloads that run as their namespace's `default` service account
//! (`serviceAccountName` unset or `default`) and mount its token: a pod that sets
//! `automountServiceAccountToken: false`, or whose `default` ServiceAccount in the scan
//! does, carries no identity to share.
//! When KH402 runs, its finding on the same pod names the account and stands for
//! this one. Mirror pods (a static pod's copy in the API, annotated
//! `kubernetes.io/config.mirror`) are not flagged: they never get an account.
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
//! ```yaml
//! apiVersion: v1
//! kind: ServiceAccount
//! metadata:
//!   name: web
//!   namespace: shop
//! automountServiceAccountToken: false
//! ---
//! # in the workload's pod spec
//! spec:
//!   serviceAccountName: web
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH530",
    name: "default-service-account",
    title: "Workload runs as the default service account",
    severity: Severity::Low,
    guidance: &["AUTHN-07"],
    pss: None,
    mitre: None,
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    // A mirror pod never has an account or a token (see `Workload::is_mirror_pod`).
    if w.is_mirror_pod() {
        return;
    }
    let message = match w.spec.service_account_name.as_deref() {
        None | Some("") => "pod names no service account, so it runs as \"default\" with its token",
        Some("default") => "pod runs as the \"default\" service account with its token",
        Some(_) => return,
    };
    let path = spec_path(w, "serviceAccountName");
    match w.spec.automount_service_account_token {
        Some(false) => {}
        Some(true) => {
            out.at(path, message);
        }
        None => {
            let namespace = w.object.resource.namespace.clone();
            let requires = Requirement::ServiceAccountAutomounts {
                namespace: namespace.unwrap_or_else(|| "default".to_string()),
                name: "default".to_string(),
            };
            out.at_unless(path, message, requires);
        }
    }
}
