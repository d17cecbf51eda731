//! ## What it does
//! Flags containers (regular and init) without a CPU or memory limit.
//! One finding per container lists every missing limit, and the missing requests
//! too (KH202 then has none of its own for it).
//!
//! ## Why it matters
//! Without limits one container can take a node's CPU and memory: a bug, a load
//! spike or a cryptominer planted by an intruder starves every other pod on the node.
//! The guidance asks for resource policies so quotas and limits can be enforced
//! (Appendix G requires limits on every container once a quota exists).
//!
//! ## Example
//! ```yaml
//! containers:
//! - name: app
//!   image: registry.example.com/app:1.4.2
//! ```
//!
//! ## Fix
//! Set cpu and memory limits (and requests) on every container, or give the namespace a
//! LimitRange with defaults:
//! ```yaml
//!   resources:
//!     requests:
//!       cpu: 100m
//!       memory: 128Mi
//!     limits:
//!       cpu: 500m
//!       memory: 256Mi
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH201",
    name: "missing-resource-limits",
    title: "Container has no CPU or memory limit",
    severity: Severity::Medium,
    guidance: &["RES-03"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1496",
        name: "Resource Hijacking",
    }),
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    crate::support::resources::report_missing(w, out, "limits");
}

/// A container's missing limits and requests are one finding: KH201's when a limit
/// is missing, naming the requests missing too.
pub const MERGE: Merge = Merge {
    absorbs: &["KH201", "KH202"],
    same: crate::support::resources::same_container,
    combine: Some(crate::support::resources::combine),
    scope: Scope::Object,
    severity: MergedSeverity::Highest,
};
