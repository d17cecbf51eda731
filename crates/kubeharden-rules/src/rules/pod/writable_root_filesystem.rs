//! ## What it does
//! Flags containers without `readOnlyRootFilesystem: true`.
//!
//! ## Why it matters
//! A writable root filesystem lets an intruder drop tools, change binaries and
//! persist in the container. The guidance recommends immutable filesystems where
//! possible, with writable paths mounted as separate volumes (Appendix B).
//!
//! ## Example
//! ```yaml
//! containers:
//! - name: app
//!   image: registry.example.com/app:1.4.2
//! ```
//!
//! ## Fix
//! Make the root filesystem read-only, with an `emptyDir` where the process writes.
//! ```yaml
//! containers:
//! - name: app
//!   securityContext:
//!     readOnlyRootFilesystem: true
//!   volumeMounts:
//!   - name: tmp
//!     mountPath: /tmp
//! volumes:
//! - name: tmp
//!   emptyDir: {}
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH132",
    name: "writable-root-filesystem",
    title: "Container root filesystem is writable",
    severity: Severity::Low,
    guidance: &["POD-07"],
    pss: None,
    mitre: None,
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    for c in w.containers() {
        if ctr_sc(&c).and_then(|sc| sc.read_only_root_filesystem) != Some(true) {
            out.container(
                &c,
                ctr_sc_path(&c, "readOnlyRootFilesystem"),
                format!(
                    "container {:?} does not set readOnlyRootFilesystem: true",
                    c.name()
                ),
            );
        }
    }
}
