//! ## What it does
//! Flags every container (regular, init or ephemeral) with
//! `securityContext.privileged: true`.
//!
//! A privileged container is one finding: it stands for KH105, KH121 and KH125 on
//! that container, whose settings mean nothing once it is privileged.
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

/// A privileged container holds every capability and escalates at will: whether it
/// sets `allowPrivilegeEscalation: false` (the API server refuses that beside
/// `privileged: true`), drops capabilities or adds them changes nothing. The one fix
/// is to stop running it privileged, so this finding stands for KH105, KH121 and
/// KH125 on the same container.
pub const MERGE: Merge = Merge {
    absorbs: &["KH105", "KH121", "KH125"],
    same: crate::merge::same_container,
    combine: Some(say_why),
    scope: Scope::Object,
    severity: MergedSeverity::Highest,
};

fn say_why(kept: &mut Finding, _: &[Finding]) {
    kept.message
        .push_str(", which grants every capability and privilege escalation whatever else its securityContext sets");
}
