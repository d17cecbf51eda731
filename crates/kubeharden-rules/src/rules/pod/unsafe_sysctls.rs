//! ## What it does
//! Flags pod `securityContext.sysctls` outside the set Kubernetes considers safe
//! (namespaced, isolated per pod): `kernel.shm_rmid_forced`,
//! `net.ipv4.ip_local_port_range`, `net.ipv4.ip_unprivileged_port_start`,
//! `net.ipv4.tcp_syncookies`, `net.ipv4.ping_group_range`,
//! `net.ipv4.ip_local_reserved_ports`, `net.ipv4.tcp_keepalive_time`,
//! `net.ipv4.tcp_fin_timeout`, `net.ipv4.tcp_keepalive_intvl`,
//! `net.ipv4.tcp_keepalive_probes`, `net.ipv4.tcp_rmem`, `net.ipv4.tcp_wmem`,
//! `net.ipv4.tcp_slow_start_after_idle` and
//! `net.ipv4.tcp_notsent_lowat` (the set of Pod Security Standards v1.37).
//!
//! ## Why it matters
//! Other sysctls either change the whole node's kernel or are not isolated between
//! pods, so one pod can weaken or starve every other pod on the node.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   sysctls:
//!   - name: kernel.msgmax
//!     value: "65536"
//! ```
//!
//! ## Fix
//! Remove the sysctl, or tune it on the node for the node pool that needs it.
//! ```yaml
//! securityContext:
//!   sysctls:                  # only sysctls of the safe set, or none at all
//!   - name: net.ipv4.ip_local_port_range
//!     value: "32768 60999"
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH110",
    name: "unsafe-sysctls",
    title: "Pod sets an unsafe sysctl",
    severity: Severity::High,
    guidance: &["POD-25"],
    pss: Some(Pss {
        check: "sysctls",
        level: PssLevel::Baseline,
    }),
    mitre: None,
    check: Check::Workload(check),
};

const SAFE: [&str; 14] = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
];

fn check(w: &Workload<'_>, out: &mut Out) {
    let sysctls = pod_sc(w).and_then(|sc| sc.sysctls.as_ref());
    for (i, sysctl) in sysctls.into_iter().flatten().enumerate() {
        if !SAFE.contains(&sysctl.name.as_str()) {
            out.at(
                pod_sc_path(w, "sysctls").index(i).key("name"),
                format!("pod sets unsafe sysctl {}", sysctl.name),
            );
        }
    }
}
