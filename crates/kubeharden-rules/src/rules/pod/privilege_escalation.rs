//! ## What it does
//! Flags Linux containers that do not set `allowPrivilegeEscalation: false`.
//! Windows pods (`spec.os.name: windows`) are exempt, as in PSS restricted.
//!
//! ## Why it matters
//! Unless it is explicitly `false`, a process can gain more privileges than its
//! parent, through setuid binaries or file capabilities: a non-root container can
//! become root. The guidance notes that running as non-root is only effective when
//! escalation is blocked too.
//!
//! ## Example
//! ```yaml
//! containers:
//! - name: app
//!   image: registry.example.com/app:1.4.2
//!   securityContext:
//!     runAsNonRoot: true
//! ```
//!
//! ## Fix
//! Set `allowPrivilegeEscalation: false` on every container.
//! ```yaml
//!   securityContext:
//!     allowPrivilegeEscalation: false
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH121",
    name: "privilege-escalation-allowed",
    title: "Container allows privilege escalation",
    severity: Severity::High,
    guidance: &["POD-18"],
    pss: Some(Pss {
        check: "allowPrivilegeEscalation",
        level: PssLevel::Restricted,
    }),
    mitre: Some(Mitre {
        id: "T1548",
        name: "Abuse Elevation Control Mechanism",
    }),
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    if w.is_windows() {
        return;
    }
    for c in w.containers() {
        match ctr_sc(&c).and_then(|sc| sc.allow_privilege_escalation) {
            Some(false) => {}
            Some(true) => {
                out.container(
                    &c,
                    ctr_sc_path(&c, "allowPrivilegeEscalation"),
                    format!(
                        "container {:?} sets allowPrivilegeEscalation: true",
                        c.name()
                    ),
                );
            }
            None => {
                out.container(
                    &c,
                    ctr_sc_path(&c, "allowPrivilegeEscalation"),
                    format!(
                        "container {:?} does not set allowPrivilegeEscalation: false",
                        c.name()
                    ),
                );
            }
        }
    }
}
