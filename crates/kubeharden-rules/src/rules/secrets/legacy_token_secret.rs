//! ## What it does
//! Flags Secrets of type `kubernetes.io/service-account-token`: legacy long-lived
//! service-account tokens.
//!
//! ## Why it matters
//! These tokens never expire and work from anywhere the API server is reachable.
//! Anyone who can read the Secret, or finds it in a backup or a repository, holds the
//! account's permissions until the Secret is deleted. Pods get short-lived, bound
//! tokens without them.
//!
//! ## Example
//! ```yaml
//! kind: Secret
//! type: kubernetes.io/service-account-token
//! metadata:
//!   annotations:
//!     kubernetes.io/service-account.name: ci
//! ```
//!
//! ## Fix
//! Delete the Secret. Use projected tokens in pods, or `kubectl create token` (the
//! TokenRequest API) for short-lived tokens elsewhere.
//! ```yaml
//! # a token the kubelet rotates, bound to the pod, in place of the Secret
//! volumes:
//! - name: api-token
//!   projected:
//!     sources:
//!     - serviceAccountToken:
//!         path: token
//!         audience: my-api
//!         expirationSeconds: 3600
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH531",
    name: "legacy-service-account-token",
    title: "Long-lived service-account token Secret",
    severity: Severity::Medium,
    guidance: &["AUTHN-05"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1528",
        name: "Steal Application Access Token",
    }),
    check: Check::Object(check),
};

fn check(object: &Object, out: &mut Out) {
    let res = &object.resource;
    if res.kind == "Secret"
        && res.api_version == "v1"
        && object.root.get("type").and_then(|t| t.as_str())
            == Some("kubernetes.io/service-account-token")
    {
        let account = object
            .root
            .get("metadata")
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.get("kubernetes.io/service-account.name"))
            .and_then(|n| n.as_str())
            .unwrap_or("?");
        out.at(
            FieldPath::parse("type"),
            format!(
                "Secret {} is a long-lived token of service account {account:?}",
                res.name
            ),
        );
    }
}
