//! ## What it does
//! Flags pods whose `securityContext.supplementalGroups` or `fsGroup` is 0.
//!
//! ## Why it matters
//! A supplemental group 0 gives every process of the pod root-group access to files;
//! an `fsGroup` of 0 makes mounted volumes root-group owned. The guidance's example
//! policy requires both in 1-65535.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   fsGroup: 0
//!   supplementalGroups: [0]
//! ```
//!
//! ## Fix
//! Use non-zero group IDs, e.g. `fsGroup: 10001`.
//! ```yaml
//! spec:
//!   securityContext:
//!     fsGroup: 10001
//!     supplementalGroups: [10001]
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH131",
    name: "root-supplemental-groups",
    title: "Pod adds the root group to its processes or volumes",
    severity: Severity::Medium,
    guidance: &["POD-04", "POD-05"],
    pss: None,
    mitre: None,
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    let Some(sc) = pod_sc(w) else { return };
    for (i, group) in sc.supplemental_groups.iter().flatten().enumerate() {
        if *group == 0 {
            out.at(
                pod_sc_path(w, "supplementalGroups").index(i),
                "pod adds supplemental group 0 (root)",
            )
            .rows(&["POD-04"]);
        }
    }
    if sc.fs_group == Some(0) {
        out.at(pod_sc_path(w, "fsGroup"), "pod sets fsGroup: 0 (root)")
            .rows(&["POD-05"]);
    }
}
