//! ## What it does
//! Flags NetworkPolicies that set `spec.policyType` (singular). The field is
//! `policyTypes`.
//!
//! ## Why it matters
//! Kubernetes drops the unknown field. `policyTypes` then defaults to `[Ingress]`,
//! plus `Egress` only when egress rules exist, so a policy meant to deny all egress
//! denies ingress instead. The guidance's own v1.0 Appendix E example has this typo.
//!
//! ## Example
//! ```yaml
//! spec:
//!   podSelector: {}
//!   policyType: [Egress]
//! ```
//!
//! ## Fix
//! Rename the field to `policyTypes`.
//! ```yaml
//! spec:
//!   podSelector: {}
//!   policyTypes: [Egress]
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH516",
    name: "network-policy-type-typo",
    title: "NetworkPolicy misspells policyTypes",
    severity: Severity::High,
    guidance: &["NP-04"],
    pss: None,
    mitre: None,
    check: Check::Object(check),
};

fn check(object: &Object, out: &mut Out) {
    let res = &object.resource;
    if res.kind != "NetworkPolicy" || !res.api_version.starts_with("networking.k8s.io/") {
        return;
    }
    if let Some(spec) = object.root.get("spec") {
        if spec.get("policyType").is_some() {
            out.at(FieldPath::parse("spec.policyType"), format!("NetworkPolicy {} sets policyType, which Kubernetes ignores; the field is policyTypes", res.name));
        }
    }
}
