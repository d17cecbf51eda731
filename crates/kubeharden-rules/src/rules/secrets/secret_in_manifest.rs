//! ## What it does
//! Flags Secret manifests that carry values in `data` or `stringData`. The finding
//! names the keys. Values are never printed.
//!
//! ## Why it matters
//! Secret `data` is only base64, not encryption. A Secret committed to a
//! repository, a chart or a CI artifact is a published credential. The guidance
//! asks for Secrets encrypted at rest and access kept narrow; both are undone once
//! the value sits in Git.
//!
//! ## Example
//! ```yaml
//! kind: Secret
//! data:
//!   password: aHVudGVyMg==
//! ```
//!
//! ## Fix
//! Keep the value out of the manifest: create the Secret from a secret manager
//! (External Secrets, Vault, a cloud KMS), or commit it encrypted (Sealed Secrets,
//! SOPS). Rotate the exposed value.
//! ```yaml
//! # the Secret made in the cluster from a secret manager (External Secrets Operator)
//! apiVersion: external-secrets.io/v1
//! kind: ExternalSecret
//! metadata: {name: db, namespace: shop}
//! spec:
//!   secretStoreRef: {name: vault, kind: ClusterSecretStore}
//!   target: {name: db}
//!   data:
//!   - secretKey: password
//!     remoteRef: {key: shop/db, property: password}
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH532",
    name: "secret-data-in-manifest",
    title: "Secret manifest carries its values",
    severity: Severity::High,
    guidance: &["SEC-01"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1552.001",
        name: "Unsecured Credentials: Credentials In Files",
    }),
    check: Check::Object(check),
};

fn check(object: &Object, out: &mut Out) {
    let res = &object.resource;
    if res.kind != "Secret" || res.api_version != "v1" {
        return;
    }
    // Token Secrets are filled in by the controller; KH531 reports them.
    if object.root.get("type").and_then(|t| t.as_str())
        == Some("kubernetes.io/service-account-token")
    {
        return;
    }
    for field in ["data", "stringData"] {
        let keys: Vec<&str> = object
            .root
            .get(field)
            .map(|d| {
                d.entries()
                    .iter()
                    .filter(|e| e.value.scalar_text().is_some_and(|v| !v.trim().is_empty()))
                    .filter_map(|e| e.key.scalar_text())
                    .collect()
            })
            .unwrap_or_default();
        if !keys.is_empty() {
            out.at(
                FieldPath::parse(field),
                format!(
                    "Secret {} carries values for {} in its manifest (values redacted)",
                    res.name,
                    keys.join(", ")
                ),
            );
        }
    }
}
