//! ## What it does
//! Flags Windows HostProcess pods and containers
//! (`windowsOptions.hostProcess: true`).
//!
//! ## Why it matters
//! A HostProcess container runs directly on the Windows node with host network and
//! filesystem access: it is the Windows equivalent of a privileged container.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   windowsOptions:
//!     hostProcess: true
//! ```
//!
//! ## Fix
//! Remove `hostProcess`; run node management as a node-level service instead.
//! ```yaml
//! securityContext:
//!   windowsOptions:
//!     hostProcess: false   # or delete the field
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH111",
    name: "windows-host-process",
    title: "Windows HostProcess container",
    severity: Severity::Critical,
    guidance: &["POD-26"],
    pss: Some(Pss {
        check: "windowsHostProcess",
        level: PssLevel::Baseline,
    }),
    mitre: Some(Mitre {
        id: "T1611",
        name: "Escape to Host",
    }),
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    if pod_sc(w)
        .and_then(|sc| sc.windows_options.as_ref())
        .and_then(|o| o.host_process)
        == Some(true)
    {
        out.at(
            pod_sc_path(w, "windowsOptions.hostProcess"),
            "pod runs as a Windows HostProcess",
        );
    }
    for c in w.containers() {
        if ctr_sc(&c)
            .and_then(|sc| sc.windows_options.as_ref())
            .and_then(|o| o.host_process)
            == Some(true)
        {
            out.container(
                &c,
                ctr_sc_path(&c, "windowsOptions.hostProcess"),
                format!("container {:?} runs as a Windows HostProcess", c.name()),
            );
        }
    }
}
