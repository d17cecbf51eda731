//! ## What it does
//! Flags Linux containers that run without any seccomp profile: neither the
//! container nor the pod sets `seccompProfile.type` to `RuntimeDefault` or
//! `Localhost`. Windows pods are exempt. Profiles set to a bad value are reported
//! by KH109.
//!
//! ## Why it matters
//! Unless the kubelet runs with `seccompDefault`, a container without a profile runs
//! `Unconfined`: every system call is open to it. The guidance recommends
//! seccomp; PSS restricted requires an explicit profile.
//!
//! ## Example
//! ```yaml
//! spec:
//!   containers:
//!   - name: app
//!     image: registry.example.com/app:1.4.2
//! ```
//!
//! ## Fix
//! Set the `RuntimeDefault` seccomp profile, at pod level for every container.
//! ```yaml
//! spec:
//!   securityContext:
//!     seccompProfile:
//!       type: RuntimeDefault
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH124",
    name: "seccomp-profile-missing",
    title: "Container runs without a seccomp profile",
    severity: Severity::Medium,
    guidance: &["POD-22"],
    pss: Some(Pss {
        check: "seccompProfile_restricted",
        level: PssLevel::Restricted,
    }),
    mitre: Some(Mitre {
        id: "T1611",
        name: "Escape to Host",
    }),
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    if w.is_windows() {
        return;
    }
    let pod_confined = pod_sc(w)
        .and_then(|sc| sc.seccomp_profile.as_ref())
        .is_some_and(|p| confining_profile(&p.type_));
    if pod_confined {
        return;
    }
    // The alpha annotations look like a profile but do nothing since Kubernetes 1.27
    // (the API server says "non-functional in v1.27+"): said, so nobody trusts them.
    let annotated = w
        .annotations
        .keys()
        .any(|k| k.contains("seccomp.security.alpha.kubernetes.io"));
    let note = match annotated {
        true => "; its seccomp.security.alpha.kubernetes.io annotation has no effect since Kubernetes 1.27",
        false => "",
    };
    for c in w.containers() {
        if ctr_sc(&c)
            .and_then(|sc| sc.seccomp_profile.as_ref())
            .is_none()
        {
            out.container(
                &c,
                ctr_sc_path(&c, "seccompProfile.type"),
                format!(
                    "container {:?} has no seccomp profile, nor does the pod{note}",
                    c.name()
                ),
            );
        }
    }
}
