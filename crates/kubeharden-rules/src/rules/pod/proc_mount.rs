//! ## What it does
//! Flags containers whose `procMount` is not `Default`, unless the pod runs in its
//! own user namespace (`hostUsers: false`), as PSS baseline allows since v1.35.
//!
//! ## Why it matters
//! The default /proc mount masks and makes read-only the parts of /proc that expose
//! or control the host kernel. `Unmasked` undoes that; outside a user namespace the
//! container can then read and change host kernel settings.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   procMount: Unmasked
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
    id: "KH108",
    name: "unmasked-proc-mount",
    title: "Container unmasks /proc outside a user namespace",
    severity: Severity::High,
    guidance: &["POD-24"],
    pss: Some(Pss {
        check: "procMount",
        level: PssLevel::Baseline,
    }),
    mitre: Some(Mitre {
        id: "T1611",
        name: "Escape to Host",
    }),
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    if in_user_namespace(w) {
        return;
    }
    report_non_default_proc_mounts(w, out);
}

/// Shared with the restricted variant, which allows no exception.
pub(crate) fn report_non_default_proc_mounts(w: &Workload<'_>, out: &mut Out) {
    for c in w.containers() {
        if let Some(mount) = ctr_sc(&c)
            .and_then(|sc| sc.proc_mount.as_deref())
            .filter(|m| *m != "Default")
        {
            out.container(
                &c,
                ctr_sc_path(&c, "procMount"),
                format!("container {:?} sets procMount {mount:?}", c.name()),
            );
        }
    }
}
