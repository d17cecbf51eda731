//! ## What it does
//! Flags pods that mount a service-account token: `automountServiceAccountToken`
//! is `true` on the pod, or unset on the pod while its ServiceAccount (when the scan
//! contains it) does not set it to `false`.
//! For a pod of the `default` service account, the finding says so and stands for
//! KH530. Mirror pods (a static pod's copy in the API, annotated
//! `kubernetes.io/config.mirror`) are not flagged: they never get a token.
//!
//! ## Why it matters
//! The token lets anyone who runs code in the pod call the Kubernetes API as the
//! pod's service account, and it works from outside the cluster if stolen. Most
//! applications never call the API. The guidance says not to mount tokens in pods
//! that do not need them.
//!
//! ## Example
//! ```yaml
//! spec:
//!   serviceAccountName: app
//!   containers:
//!   - name: app
//!     image: registry.example.com/app:1.4.2
//! ```
//!
//! ## Fix
//! Turn token automount off on the pod or its ServiceAccount, and mount a projected
//! token only where the API is needed:
//! ```yaml
//! spec:
//!   automountServiceAccountToken: false
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH402",
    name: "service-account-token-automount",
    title: "Pod mounts a service-account token",
    severity: Severity::Medium,
    guidance: &["POD-31"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1528",
        name: "Steal Application Access Token",
    }),
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    // A mirror pod never has an account or a token (see `Workload::is_mirror_pod`).
    if w.is_mirror_pod() {
        return;
    }
    let path = spec_path(w, "automountServiceAccountToken");
    let account = w
        .spec
        .service_account_name
        .as_deref()
        .filter(|n| !n.is_empty())
        .unwrap_or("default")
        .to_string();
    match w.spec.automount_service_account_token {
        Some(false) => {}
        Some(true) => {
            out.at(
                path,
                format!(
                    "pod sets automountServiceAccountToken: true (service account {account:?})"
                ),
            );
        }
        None => {
            let namespace = w
                .object
                .resource
                .namespace
                .clone()
                .unwrap_or_else(|| "default".to_string());
            let message = format!("pod mounts the token of service account {account:?}: neither the pod nor the account disables automount");
            out.at_unless(
                path,
                message,
                Requirement::ServiceAccountAutomounts {
                    namespace,
                    name: account,
                },
            );
        }
    }
}

/// A pod that mounts the token of its namespace's `default` account (KH530) is one
/// problem: this finding names both, at the field that fixes both.
pub const MERGE: Merge = Merge {
    absorbs: &["KH530"],
    same: crate::merge::same_object,
    combine: Some(name_the_shared_account),
    scope: Scope::Object,
    severity: MergedSeverity::Highest,
};

fn name_the_shared_account(kept: &mut Finding, _: &[Finding]) {
    kept.message.push_str(
        "; it is the namespace's \"default\" account, which every pod that names no account shares",
    );
}
