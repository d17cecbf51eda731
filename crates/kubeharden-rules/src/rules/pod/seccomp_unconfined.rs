//! ## What it does
//! Flags a pod or container `seccompProfile.type` other than `RuntimeDefault` or
//! `Localhost`, such as `Unconfined`.
//!
//! ## Why it matters
//! Seccomp filters the system calls a container may make; the runtime's default
//! profile blocks dozens that are only useful for attacking the kernel. The
//! guidance recommends seccomp; PSS baseline forbids turning it off explicitly.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   seccompProfile:
//!     type: Unconfined
//! ```
//!
//! ## Fix
//! Set `seccompProfile.type: RuntimeDefault` (or `Localhost` with a profile made for
//! the workload), preferably at pod level.
//! ```yaml
//! spec:
//!   securityContext:
//!     seccompProfile:
//!       type: RuntimeDefault
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH109",
    name: "seccomp-unconfined",
    title: "Seccomp confinement is disabled",
    severity: Severity::High,
    guidance: &["POD-22"],
    pss: Some(Pss {
        check: "seccompProfile_baseline",
        level: PssLevel::Baseline,
    }),
    mitre: Some(Mitre {
        id: "T1611",
        name: "Escape to Host",
    }),
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    if let Some(profile) = pod_sc(w).and_then(|sc| sc.seccomp_profile.as_ref()) {
        if !confining_profile(&profile.type_) {
            out.at(
                pod_sc_path(w, "seccompProfile.type"),
                format!("pod sets seccomp profile type {:?}", profile.type_),
            );
        }
    }
    for c in w.containers() {
        if let Some(profile) = ctr_sc(&c).and_then(|sc| sc.seccomp_profile.as_ref()) {
            if !confining_profile(&profile.type_) {
                out.container(
                    &c,
                    ctr_sc_path(&c, "seccompProfile.type"),
                    format!(
                        "container {:?} sets seccomp profile type {:?}",
                        c.name(),
                        profile.type_
                    ),
                );
            }
        }
    }
}
