//! ## What it does
//! Flags containers (regular and init) without a CPU or memory limit.
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
//! ```yaml
//!   resources:
//!     limits:
//!       cpu: 500m
//!       memory: 256Mi
//! ```
//! or give the namespace a LimitRange with defaults.

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
