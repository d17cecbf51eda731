//! ## What it does
//! Flags pods that share the host's network (`hostNetwork`), process
//! (`hostPID`) or IPC (`hostIPC`) namespace.
//!
//! ## Why it matters
//! With the host's PID namespace a container sees and can signal or trace every
//! process on the node; with its IPC namespace it reads shared memory of host
//! processes; with its network namespace it binds host ports, sniffs node traffic and
//! reaches services that listen only on localhost (such as the kubelet's). The
//! guidance forbids all three (Table I); PSS baseline does too.
//!
//! Each finding is one field, and its fix names that field alone.
//!
//! ## Example
//! ```yaml
//! spec:
//!   hostNetwork: true
//!   hostPID: true
//!   containers:
//!   - name: app
//!     image: registry.example.com/app:1.4.2
//! ```
//!
//! ## Fix
//! Delete the fields set to `true` (they default to `false`). Expose the workload
//! through a Service instead of the host network.
//! ```yaml
//! spec:
//!   hostNetwork: false   # the default; or delete the three fields
//!   hostPID: false
//!   hostIPC: false
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH102",
    name: "host-namespaces",
    title: "Pod shares a host namespace",
    severity: Severity::High,
    guidance: &["POD-13", "POD-14", "POD-15"],
    pss: Some(Pss {
        check: "hostNamespaces",
        level: PssLevel::Baseline,
    }),
    mitre: Some(Mitre {
        id: "T1611",
        name: "Escape to Host",
    }),
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    let spec = &w.spec;
    let namespaces: [(&str, Option<bool>, &'static [&'static str], &str); 3] = [
        (
            "hostNetwork",
            spec.host_network,
            &["POD-15"],
            " Expose the workload through a Service instead of the host network.",
        ),
        ("hostPID", spec.host_pid, &["POD-13"], ""),
        ("hostIPC", spec.host_ipc, &["POD-14"], ""),
    ];
    for (field, on, rows, instead) in namespaces {
        if on == Some(true) {
            // The rule's fix names all three fields; this one names the one set.
            out.at(spec_path(w, field), format!("pod sets {field}: true"))
                .rows(rows)
                .fix(format!(
                    "Delete `{field}: true` (it defaults to `false`).{instead}"
                ));
        }
    }
}
