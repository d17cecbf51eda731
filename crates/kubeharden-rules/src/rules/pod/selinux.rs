//! ## What it does
//! Flags SELinux options (pod or container) that set a custom `user` or `role`, or a
//! `type` other than `container_t`, `container_init_t`, `container_kvm_t` or
//! `container_engine_t`.
//!
//! ## Why it matters
//! The SELinux type decides what a container process may touch on the host. A custom
//! type such as `spc_t` (super-privileged container) or `unconfined_t` lifts the
//! confinement SELinux gives; custom users and roles can do the same. The guidance
//! recommends SELinux labelling; PSS baseline allows only the container types.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   seLinuxOptions:
//!     type: spc_t
//! ```
//!
//! ## Fix
//! Remove `user`, `role` and custom `type` values; set only `level` if the workload
//! needs a specific MCS label.
//! ```yaml
//! securityContext:
//!   seLinuxOptions:
//!     level: "s0:c123,c456"   # only the MCS level, if any
//! ```

use k8s_openapi::api::core::v1::SELinuxOptions;

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH107",
    name: "selinux-custom-options",
    title: "SELinux options lift container confinement",
    severity: Severity::High,
    guidance: &["POD-20"],
    pss: Some(Pss {
        check: "seLinuxOptions",
        level: PssLevel::Baseline,
    }),
    mitre: Some(Mitre {
        id: "T1611",
        name: "Escape to Host",
    }),
    check: Check::Workload(check),
};

const ALLOWED_TYPES: [&str; 5] = [
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

/// The offending fields of one `seLinuxOptions`, with what is wrong with each.
fn problems(opts: &SELinuxOptions) -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    if let Some(t) = opts.type_.as_deref().filter(|t| !ALLOWED_TYPES.contains(t)) {
        found.push(("type", format!("SELinux type {t:?}")));
    }
    if let Some(u) = opts.user.as_deref().filter(|u| !u.is_empty()) {
        found.push(("user", format!("SELinux user {u:?}")));
    }
    if let Some(r) = opts.role.as_deref().filter(|r| !r.is_empty()) {
        found.push(("role", format!("SELinux role {r:?}")));
    }
    found
}

fn check(w: &Workload<'_>, out: &mut Out) {
    if let Some(opts) = pod_sc(w).and_then(|sc| sc.se_linux_options.as_ref()) {
        for (field, what) in problems(opts) {
            out.at(
                pod_sc_path(w, "seLinuxOptions").key(field),
                format!("pod sets {what}"),
            );
        }
    }
    for c in w.containers() {
        if let Some(opts) = ctr_sc(&c).and_then(|sc| sc.se_linux_options.as_ref()) {
            for (field, what) in problems(opts) {
                out.container(
                    &c,
                    ctr_sc_path(&c, "seLinuxOptions").key(field),
                    format!("container {:?} sets {what}", c.name()),
                );
            }
        }
    }
}
