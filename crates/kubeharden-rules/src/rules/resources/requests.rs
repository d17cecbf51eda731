//! ## What it does
//! Flags containers (regular and init) without a CPU or memory request.
//!
//! ## Why it matters
//! Requests tell the scheduler what a pod needs and let ResourceQuotas account for
//! it. Without them pods are packed onto nodes blindly and are the first evicted
//! under pressure; quotas on requests reject them outright.
//!
//! ## Example
//! ```yaml
//! containers:
//! - name: app
//!   image: registry.example.com/app:1.4.2
//! ```
//!
//! ## Fix
//! ```yaml
//!   resources:
//!     requests:
//!       cpu: 100m
//!       memory: 128Mi
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH202",
    name: "missing-resource-requests",
    title: "Container has no CPU or memory request",
    severity: Severity::Low,
    guidance: &["RES-03"],
    pss: None,
    mitre: None,
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    crate::support::resources::report_missing(w, out, "requests");
}
