//! ## What it does
//! Flags `LoadBalancer` Services without `spec.loadBalancerSourceRanges`.
//! When KH540 or KH541 runs, its finding on the Service says this and stands for it.
//!
//! ## Why it matters
//! Without source ranges, the cloud load balancer accepts connections from the whole
//! internet. The guidance asks that connectivity be limited to what is needed.
//!
//! ## Example
//! ```yaml
//! spec:
//!   type: LoadBalancer
//! ```
//!
//! ## Fix
//! Allow only the client ranges that need the Service.
//! ```yaml
//! spec:
//!   type: LoadBalancer
//!   loadBalancerSourceRanges: [203.0.113.0/24]
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH542",
    name: "load-balancer-open-to-all",
    title: "LoadBalancer accepts traffic from any address",
    severity: Severity::Medium,
    guidance: &["NP-08"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1133",
        name: "External Remote Services",
    }),
    check: Check::Object(check),
};

fn check(object: &Object, out: &mut Out) {
    let Some(spec) = crate::support::exposure::service_spec(object) else {
        return;
    };
    if spec.type_.as_deref() == Some("LoadBalancer")
        && spec
            .load_balancer_source_ranges
            .as_ref()
            .is_none_or(Vec::is_empty)
    {
        out.at(
            FieldPath::parse("spec.type"),
            format!(
                "LoadBalancer Service {} sets no loadBalancerSourceRanges",
                object.resource.name
            ),
        );
    }
}
