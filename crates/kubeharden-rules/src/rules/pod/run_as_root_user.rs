//! ## What it does
//! Flags `runAsUser: 0` on the pod or on any container, except in pods that run in
//! their own user namespace (`hostUsers: false`), which Pod Security (v1.35+) admits.
//!
//! ## Why it matters
//! User ID 0 is root. Setting it explicitly overrides a non-root image and makes
//! `runAsNonRoot: true` fail at start. PSS restricted forbids it.
//!
//! A finding of this rule stands for KH122 (runAsNonRoot not required) of the
//! container it makes root: one problem, a container that runs as root, with one fix.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   runAsUser: 0
//! ```
//!
//! ## Fix
//! Use a non-zero UID, such as `runAsUser: 10001`.
//! ```yaml
//! securityContext:
//!   runAsNonRoot: true
//!   runAsUser: 10001
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH123",
    name: "run-as-root-user",
    title: "Container runs as user 0 (root)",
    severity: Severity::High,
    guidance: &["POD-02"],
    pss: Some(Pss {
        check: "runAsUser",
        level: PssLevel::Restricted,
    }),
    mitre: Some(Mitre {
        id: "T1068",
        name: "Exploitation for Privilege Escalation",
    }),
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    // In a user namespace (hostUsers: false) root in the container is not root on the
    // node: Pod Security (v1.35+) relaxes this check for such pods.
    if in_user_namespace(w) {
        return;
    }
    if pod_sc(w).and_then(|sc| sc.run_as_user) == Some(0) {
        out.at(pod_sc_path(w, "runAsUser"), "pod sets runAsUser: 0");
    }
    for c in w.containers() {
        if ctr_sc(&c).and_then(|sc| sc.run_as_user) == Some(0) {
            out.container(
                &c,
                ctr_sc_path(&c, "runAsUser"),
                format!("container {:?} sets runAsUser: 0", c.name()),
            );
        }
    }
}

/// `runAsUser: 0` is why the container runs as root, which KH122 states too: one
/// finding, this one. A container-level finding takes in KH122 of its container; a
/// pod-level one takes in the pod's KH122 and that of each container left at user 0.
pub const MERGE: Merge = Merge {
    absorbs: &["KH122"],
    same: runs_as_root,
    combine: None,
    scope: Scope::Object,
    severity: MergedSeverity::Highest,
};

/// Whether `other` (a KH122 finding of this object) is about a container that runs
/// as root. KH122 grades the finding of a container that runs as another user (its
/// own non-zero `runAsUser`) low and names no guidance row for it: that container is
/// not made root by this `runAsUser: 0`, and Pod Security's ask stands apart.
fn runs_as_root(kept: &Finding, other: &Finding) -> bool {
    match (&kept.container, &other.container) {
        (Some(mine), Some(theirs)) => mine == theirs,
        // The pod's `runAsNonRoot: false` reaches its other containers too.
        (Some(_), None) => false,
        (None, _) => !other.guidance.is_empty(),
    }
}
