//! ## What it does
//! Flags Linux containers that do not drop `ALL` capabilities, or that add any
//! capability other than `NET_BIND_SERVICE` from the baseline set (adds outside that
//! set are reported by KH105). Windows pods are exempt.
//!
//! ## Why it matters
//! Containers start with a default set of capabilities (`CHOWN`, `SETUID`,
//! `NET_RAW`, ...) that most applications never use and attackers do. The guidance's
//! example policy requires dropping `ALL`; PSS restricted does too.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   capabilities:
//!     add: ["CHOWN"]
//! ```
//!
//! ## Fix
//! Drop all capabilities, and add back only `NET_BIND_SERVICE` where a port below 1024
//! needs it.
//! ```yaml
//! securityContext:
//!   capabilities:
//!     drop: ["ALL"]
//!     add: ["NET_BIND_SERVICE"]   # only if needed
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH125",
    name: "capabilities-not-dropped",
    title: "Container keeps default capabilities",
    severity: Severity::Medium,
    guidance: &["POD-19"],
    pss: Some(Pss {
        check: "capabilities_restricted",
        level: PssLevel::Restricted,
    }),
    mitre: Some(Mitre {
        id: "T1068",
        name: "Exploitation for Privilege Escalation",
    }),
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    if w.is_windows() {
        return;
    }
    for c in w.containers() {
        let caps = ctr_sc(&c).and_then(|sc| sc.capabilities.as_ref());
        let drops_all = caps
            .and_then(|k| k.drop.as_ref())
            .is_some_and(|d| d.iter().any(|x| x == "ALL"));
        // One finding per container: what it keeps, and the defaults it adds back.
        let added: Vec<&str> = caps
            .and_then(|k| k.add.as_ref())
            .into_iter()
            .flatten()
            .map(String::as_str)
            .filter(|cap| *cap != "NET_BIND_SERVICE" && BASELINE_CAPABILITIES.contains(cap))
            .collect();
        let name = c.name();
        match (drops_all, added.is_empty()) {
            (false, true) => out.container(
                &c,
                ctr_sc_path(&c, "capabilities.drop"),
                format!("container {name:?} does not drop ALL capabilities"),
            ),
            (false, false) => out.container(
                &c,
                ctr_sc_path(&c, "capabilities.drop"),
                format!(
                    "container {name:?} does not drop ALL capabilities, and adds {}",
                    added.join(", ")
                ),
            ),
            (true, false) => {
                // One capability added: its item is the field (a chart's `- SYS_CHROOT`
                // line, under the condition that adds it); the fingerprint stays the
                // list's, whatever its order.
                let list = ctr_sc_path(&c, "capabilities.add");
                let field = match added.as_slice() {
                    [one] => caps
                        .and_then(|k| k.add.as_ref())
                        .and_then(|all| all.iter().position(|cap| cap == one))
                        .map_or(list.clone(), |i| list.clone().index(i)),
                    _ => list.clone(),
                };
                out.container(
                    &c,
                    field,
                    format!("container {name:?} adds capability {}", added.join(", ")),
                )
                .identified_by(list)
            }
            (true, true) => continue,
        };
    }
}
