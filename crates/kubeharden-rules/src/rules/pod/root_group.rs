//! ## What it does
//! Flags Linux containers whose effective `runAsGroup` (the container's, else the
//! pod's) is 0 or unset.
//!
//! ## Why it matters
//! The guidance asks for non-root groups as well as non-root users (Table I,
//! Appendix C). Group 0 owns many files in images and on the host; a process in it
//! can read or change them. Left unset, the image's group applies, which is usually
//! root.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   runAsUser: 10001
//! ```
//!
//! ## Fix
//! Run with a non-zero group.
//! ```yaml
//! securityContext:
//!   runAsUser: 10001
//!   runAsGroup: 10001
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH130",
    name: "root-group",
    title: "Container runs with the root group",
    severity: Severity::Low,
    guidance: &["POD-03"],
    pss: None,
    mitre: None,
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    if w.is_windows() {
        return;
    }
    for c in w.containers() {
        match effective(&c, w, |sc| sc.run_as_group, |sc| sc.run_as_group) {
            Some(0) => {
                let path = if ctr_sc(&c).and_then(|sc| sc.run_as_group).is_some() {
                    ctr_sc_path(&c, "runAsGroup")
                } else {
                    pod_sc_path(w, "runAsGroup")
                };
                out.container(
                    &c,
                    path,
                    format!("container {:?} runs with group 0 (root)", c.name()),
                );
            }
            Some(_) => {}
            None => {
                out.container(
                    &c,
                    ctr_sc_path(&c, "runAsGroup"),
                    format!(
                        "container {:?} sets no runAsGroup: the image's group, often root, applies",
                        c.name()
                    ),
                );
            }
        }
    }
}
