//! ## What it does
//! Flags container `volumeMounts` that mount a `hostPath` volume without
//! `readOnly: true`.
//!
//! ## Why it matters
//! The guidance wants writable storage to come from separate volumes such as
//! `emptyDir` or PersistentVolumeClaims, not from the node. Where a host path must be
//! used, it should be an allow-listed path mounted read-only. A writable host mount
//! lets
//! a container change files the node, or other pods, trust. It can plant binaries,
//! rewrite configuration, or fill the node's disk.
//!
//! ## Example
//! ```yaml
//! containers:
//! - name: agent
//!   volumeMounts:
//!   - name: logs
//!     mountPath: /host/logs
//! volumes:
//! - name: logs
//!   hostPath:
//!     path: /var/log/app
//! ```
//!
//! ## Fix
//! Mount it with `readOnly: true`, or replace the host path with an `emptyDir` or a
//! PersistentVolumeClaim.
//! ```yaml
//! volumeMounts:
//! - name: host-data
//!   mountPath: /data
//!   readOnly: true
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH134",
    name: "writable-host-path-mount",
    title: "Container mounts a host path writable",
    severity: Severity::High,
    guidance: &["POD-08", "POD-16"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1611",
        name: "Escape to Host",
    }),
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    let host_volumes = w.host_path_volumes();
    if host_volumes.is_empty() {
        return;
    }
    for c in w.containers() {
        for (i, mount) in c.container.volume_mounts.iter().flatten().enumerate() {
            if host_volumes.contains(mount.name.as_str()) && mount.read_only != Some(true) {
                out.container(
                    &c,
                    c.path.key("volumeMounts").index(i).key("readOnly"),
                    format!(
                        "container {:?} mounts host path volume {:?} writable at {}",
                        c.name(),
                        mount.name,
                        mount.mount_path
                    ),
                );
            }
        }
    }
}
