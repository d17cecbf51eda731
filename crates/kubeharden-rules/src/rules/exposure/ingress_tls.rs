//! ## What it does
//! Flags Ingresses without `spec.tls`.
//!
//! ## Why it matters
//! The guidance asks that external traffic be encrypted with TLS. An Ingress without
//! `tls` serves plain HTTP: credentials and session cookies cross the network in
//! clear text.
//!
//! ## Example
//! ```yaml
//! kind: Ingress
//! spec:
//!   rules:
//!   - host: shop.example.com
//! ```
//!
//! ## Fix
//! Serve the host over TLS: list it under `spec.tls` with a certificate Secret.
//! ```yaml
//! spec:
//!   tls:
//!   - hosts: [shop.example.com]
//!     secretName: shop-tls
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH544",
    name: "ingress-without-tls",
    title: "Ingress serves without TLS",
    severity: Severity::Medium,
    guidance: &["NP-08", "TLS-01"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1040",
        name: "Network Sniffing",
    }),
    check: Check::Object(check),
};

fn check(object: &Object, out: &mut Out) {
    let res = &object.resource;
    if res.kind != "Ingress"
        || !(res.api_version.starts_with("networking.k8s.io/")
            || res.api_version.starts_with("extensions/"))
    {
        return;
    }
    let tls = object.root.get("spec").and_then(|s| s.get("tls"));
    if tls.is_none_or(|t| t.items().is_empty()) {
        out.at(
            FieldPath::parse("spec.tls"),
            format!("Ingress {} has no tls section", res.name),
        );
    }
}
