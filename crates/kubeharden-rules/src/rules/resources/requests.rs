//! ## What it does
//! Flags containers (regular and init) without a CPU or memory request.
//! One finding per container lists every missing request; where a limit is missing
//! too, KH201's finding lists both.
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
//! Set cpu and memory requests on every container, or give the namespace a LimitRange
//! with default requests.
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

/// A container's missing requests are one finding (KH201's, when a limit is missing
/// too).
pub const MERGE: Merge = Merge {
    absorbs: &["KH202"],
    same: crate::support::resources::same_container,
    combine: Some(crate::support::resources::combine),
    scope: Scope::Object,
    severity: MergedSeverity::Highest,
};
