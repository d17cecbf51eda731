//! ## What it does
//! Flags `runAsUser: 0` on the pod or on any container, except in pods that run in
//! their own user namespace (`hostUsers: false`), which Pod Security (v1.35+) admits.
//!
//! ## Why it matters
//! User ID 0 is root. Setting it explicitly overrides a non-root image and makes
//! `runAsNonRoot: true` fail at start. PSS restricted forbids it.
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
