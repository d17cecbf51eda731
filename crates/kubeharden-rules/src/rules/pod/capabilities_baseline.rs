//! ## What it does
//! Flags containers that add a Linux capability outside the Pod Security Standards
//! baseline set (`AUDIT_WRITE`, `CHOWN`, `DAC_OVERRIDE`, `FOWNER`, `FSETID`, `KILL`,
//! `MKNOD`, `NET_BIND_SERVICE`, `SETFCAP`, `SETGID`, `SETPCAP`, `SETUID`,
//! `SYS_CHROOT`). `SYS_ADMIN`, `SYS_MODULE` and `ALL` amount to `privileged: true`:
//! those findings are critical and name the no-privileged row (POD-12) too.
//!
//! One container's added capabilities are one finding that lists them.
//!
//! ## Why it matters
//! Capabilities such as `SYS_ADMIN`, `NET_ADMIN`, `SYS_PTRACE` or `SYS_MODULE` are
//! most of what makes a container privileged: mounting filesystems, loading kernel
//! modules, tracing other processes, rewriting the network. Each is a known path out
//! of the container.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   capabilities:
//!     add: ["SYS_ADMIN", "NET_ADMIN"]
//! ```
//!
//! ## Fix
//! Remove the added capabilities. Drop `ALL` and add back only `NET_BIND_SERVICE`
//! if the process binds a port below 1024.
//! ```yaml
//! securityContext:
//!   capabilities:
//!     drop: ["ALL"]
//!     add: ["NET_BIND_SERVICE"]   # only if it binds a port below 1024
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH105",
    name: "dangerous-capabilities",
    title: "Container adds capabilities beyond the baseline set",
    severity: Severity::High,
    guidance: &["POD-19", "POD-12"],
    pss: Some(Pss {
        check: "capabilities_baseline",
        level: PssLevel::Baseline,
    }),
    mitre: Some(Mitre {
        id: "T1068",
        name: "Exploitation for Privilege Escalation",
    }),
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    for c in w.containers() {
        let added = ctr_sc(&c)
            .and_then(|sc| sc.capabilities.as_ref())
            .and_then(|caps| caps.add.as_ref());
        for (i, cap) in added.into_iter().flatten().enumerate() {
            if !BASELINE_CAPABILITIES.contains(&cap.as_str()) {
                let tag = out.container(
                    &c,
                    ctr_sc_path(&c, "capabilities.add").index(i),
                    format!("container {:?} adds capability {cap}", c.name()),
                );
                // SYS_ADMIN, SYS_MODULE or ALL is privileged in all but name.
                if kubeharden_cluster::privileged_capability(cap) {
                    tag.severity(Severity::Critical);
                } else {
                    tag.rows(&["POD-19"]);
                }
            }
        }
    }
}

/// The capabilities one container adds are one problem with one fix (its
/// `capabilities.add` list): one finding lists them all, graded by the worst.
pub const MERGE: Merge = Merge {
    absorbs: &["KH105"],
    same: crate::merge::same_container,
    combine: Some(list_capabilities),
    scope: Scope::Object,
    severity: MergedSeverity::Highest,
};

/// "container "a" adds capability X" and "... adds capability Y" become
/// "container "a" adds capabilities X, Y", at the list that holds them.
fn list_capabilities(kept: &mut Finding, others: &[Finding]) {
    let Some((head, first)) = kept.message.rsplit_once(" adds capability ") else {
        return;
    };
    let mut names = vec![first.to_string()];
    names.extend(
        others
            .iter()
            .filter_map(|o| o.message.rsplit_once(" adds capability "))
            .map(|(_, cap)| cap.to_string()),
    );
    kept.message = format!("{head} adds capabilities {}", names.join(", "));
    for o in others {
        kept.path = crate::merge::common_parent(&kept.path, &o.path);
    }
    // The fingerprint names the set, in order, so that reordering the list shows
    // nothing new while adding or removing a capability is a new finding.
    names.sort();
    names.dedup();
    kept.keyed_path = kept
        .keyed_path
        .as_deref()
        .and_then(|one| one.rsplit_once('['))
        .map(|(list, _)| format!("{list}[{}]", names.join(",")));
}
