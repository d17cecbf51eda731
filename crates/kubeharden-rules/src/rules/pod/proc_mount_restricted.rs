//! ## What it does
//! Flags containers whose `procMount` is not `Default` in a pod with its own user
//! namespace (`hostUsers: false`), which PSS baseline allows and PSS restricted
//! (v1.35+) does not. Outside a user namespace, KH108 reports the same setting.
//!
//! ## Why it matters
//! An unmasked /proc exposes kernel interfaces that the default mount hides. A user
//! namespace limits the damage, but the restricted profile keeps the default mount
//! as defence in depth.
//!
//! ## Example
//! ```yaml
//! spec:
//!   hostUsers: false
//!   containers:
//!   - name: app
//!     securityContext:
//!       procMount: Unmasked
//! ```
//!
//! ## Fix
//! Remove `procMount` (it defaults to `Default`).
//! ```yaml
//! securityContext:
//!   procMount: Default   # or delete the field
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH126",
    name: "proc-mount-not-default",
    title: "Container does not use the default /proc mount",
    severity: Severity::Medium,
    guidance: &["POD-24"],
    pss: Some(Pss {
        check: "procMount_restricted",
        level: PssLevel::Restricted,
    }),
    mitre: Some(Mitre {
        id: "T1611",
        name: "Escape to Host",
    }),
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    if w.spec.host_users == Some(false) {
        super::proc_mount::report_non_default_proc_mounts(w, out);
    }
}
