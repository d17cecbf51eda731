//! ## What it does
//! Flags Services that set `spec.externalIPs`.
//!
//! ## Why it matters
//! Anyone who can create a Service with `externalIPs` can intercept traffic the
//! cluster sends to those addresses (CVE-2020-8554): a man-in-the-middle on any IP.
//! The guidance's mitigation is the `DenyServiceExternalIPs` admission plugin, and no
//! Service should need the field.
//!
//! ## Example
//! ```yaml
//! spec:
//!   externalIPs: [203.0.113.10]
//! ```
//!
//! ## Fix
//! Remove `externalIPs`; use a LoadBalancer or an Ingress. Enable
//! `DenyServiceExternalIPs` on the API server.
//! ```yaml
//! spec:
//!   type: LoadBalancer   # instead of spec.externalIPs
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH543",
    name: "service-external-ips",
    title: "Service sets externalIPs (CVE-2020-8554)",
    severity: Severity::High,
    guidance: &["NP-08"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1557",
        name: "Adversary-in-the-Middle",
    }),
    check: Check::Object(check),
};

fn check(object: &Object, out: &mut Out) {
    let Some(spec) = crate::support::exposure::service_spec(object) else {
        return;
    };
    if let Some(ips) = spec.external_ips.as_ref().filter(|ips| !ips.is_empty()) {
        out.at(
            FieldPath::parse("spec.externalIPs"),
            format!(
                "Service {} sets externalIPs {}",
                object.resource.name,
                ips.join(", ")
            ),
        );
    }
}
