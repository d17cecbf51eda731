//! ## What it does
//! Flags pods and containers that do not require a non-root user:
//! `runAsNonRoot: false` anywhere, or a container that leaves it unset while the pod
//! does not set `runAsNonRoot: true`.
//! A container that sets a non-zero `runAsUser` still fails Pod Security's restricted
//! level, which wants `runAsNonRoot: true` too, but not the guidance's non-root row:
//! that finding names no checklist row and is low.
//! Pods in their own user namespace (`hostUsers: false`) are not flagged: root in
//! the container is an unprivileged user on the node, and Pod Security (v1.35+)
//! admits them.
//!
//! ## Why it matters
//! Without `runAsNonRoot: true` the container runs as whatever user the image names,
//! often root. Root in a container is one kernel bug or misconfiguration away from
//! root on the node. The guidance's first recommendation is non-root containers;
//! PSS restricted requires this setting.
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
//! Run as a non-root user, and build the image with a non-root `USER`:
//! ```yaml
//! spec:
//!   securityContext:
//!     runAsNonRoot: true
//!     runAsUser: 10001
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH122",
    name: "run-as-non-root-not-required",
    title: "Container may run as root",
    severity: Severity::High,
    guidance: &["POD-02"],
    pss: Some(Pss {
        check: "runAsNonRoot",
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
    let pod_setting = pod_sc(w).and_then(|sc| sc.run_as_non_root);
    if pod_setting == Some(false) {
        out.at(
            pod_sc_path(w, "runAsNonRoot"),
            "pod sets runAsNonRoot: false",
        );
    }
    for c in w.containers() {
        match ctr_sc(&c).and_then(|sc| sc.run_as_non_root) {
            Some(true) => {}
            Some(false) => {
                out.container(
                    &c,
                    ctr_sc_path(&c, "runAsNonRoot"),
                    format!("container {:?} sets runAsNonRoot: false", c.name()),
                );
            }
            None if pod_setting == Some(true) => {}
            None => {
                let path = ctr_sc_path(&c, "runAsNonRoot");
                let uid = effective(&c, w, |sc| sc.run_as_user, |sc| sc.run_as_user);
                match uid {
                    // A non-zero runAsUser meets the guidance's non-root row; only Pod
                    // Security's restricted level asks for runAsNonRoot as well.
                    Some(uid) if uid > 0 => {
                        let message = format!("container {:?} runs as user {uid} but does not set runAsNonRoot: true, which Pod Security restricted requires", c.name());
                        out.container(&c, path, message)
                            .rows(&[])
                            .severity(Severity::Low);
                    }
                    _ => {
                        let message = format!(
                            "container {:?} does not set runAsNonRoot: true, nor does the pod",
                            c.name()
                        );
                        out.container(&c, path, message);
                    }
                }
            }
        }
    }
}
