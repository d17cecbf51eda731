//! ## What it does
//! Flags every container (regular, init or ephemeral) with
//! `securityContext.privileged: true`.
//!
//! ## Why it matters
//! A privileged container has every capability, sees all host devices and runs
//! without seccomp, AppArmor or SELinux confinement: one compromised process owns the
//! node, and from there the cluster. The NSA/CISA guidance says never to run
//! privileged containers; the Pod Security Standards forbid them from baseline up.
//!
//! ## Example
//! ```yaml
//! containers:
//! - name: app
//!   image: registry.example.com/app:1.4.2
//!   securityContext:
//!     privileged: true
//! ```
//!
//! ## Fix
//! Remove `privileged: true`. If the workload needs one kernel feature, grant only
//! that capability, or move the work to a node-level component.
//! ```yaml
//! securityContext:
//!   privileged: false
//!   allowPrivilegeEscalation: false
//!   capabilities:
//!     drop: ["ALL"]
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH101",
    name: "privileged-container",
    title: "Container runs privileged",
    severity: Severity::Critical,
    guidance: &["POD-12"],
    pss: Some(Pss {
        check: "privileged",
        level: PssLevel::Baseline,
    }),
    mitre: Some(Mitre {
        id: "T1611",
        name: "Escape to Host",
    }),
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    for c in w.containers() {
        if ctr_sc(&c).and_then(|sc| sc.privileged) == Some(true) {
            out.container(
                &c,
                ctr_sc_path(&c, "privileged"),
                format!("container {:?} runs privileged", c.name()),
            );
        }
    }
}
