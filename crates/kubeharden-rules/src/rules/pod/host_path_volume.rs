//! ## What it does
//! Flags every `hostPath` volume.
//! A sensitive host path is reported once, by KH133, which stands for this rule.
//! A container that mounts the volume writable is named in this finding, which
//! stands for KH134 on that mount: one volume, one finding.
//!
//! ## Why it matters
//! A hostPath volume mounts a file or folder of the node into the container. Writable,
//! it lets a container plant files the node executes; even read-only, it exposes node
//! secrets such as kubelet credentials. The guidance recommends allowing no host paths
//! (or only a dummy read-only one); PSS baseline forbids them.
//!
//! ## Example
//! ```yaml
//! volumes:
//! - name: data
//!   hostPath:
//!     path: /var/data
//! ```
//!
//! ## Fix
//! Use a PersistentVolumeClaim, an `emptyDir` or a ConfigMap/Secret volume. Node
//! agents that truly need the host belong in a dedicated, exempted namespace.
//! ```yaml
//! volumes:
//! - name: data
//!   persistentVolumeClaim:
//!     claimName: data   # or emptyDir: {}, a ConfigMap or a Secret
//! ```

use crate::prelude::*;
use crate::support::host_path;

pub const RULE: RuleDef = RuleDef {
    id: "KH103",
    name: "host-path-volume",
    title: "Pod mounts a hostPath volume",
    severity: Severity::High,
    guidance: &["POD-16"],
    pss: Some(Pss {
        check: "hostPathVolumes",
        level: PssLevel::Baseline,
    }),
    mitre: Some(Mitre {
        id: "T1611",
        name: "Escape to Host",
    }),
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    for (i, volume) in w.spec.volumes.iter().flatten().enumerate() {
        if let Some(host_path) = &volume.host_path {
            out.at(
                spec_path(w, "volumes").index(i).key("hostPath"),
                format!(
                    "volume {:?} mounts host path {:?}",
                    volume.name, host_path.path
                ),
            );
        }
    }
}

/// A host path volume and the mounts that write to it are one problem: the volume.
/// Its finding names each writable mount KH134 would have reported.
pub const MERGE: Merge = Merge {
    absorbs: &["KH134"],
    same: host_path::mounts_volume_of,
    combine: Some(name_writers),
    scope: Scope::Object,
    severity: MergedSeverity::Highest,
};

fn name_writers(kept: &mut Finding, others: &[Finding]) {
    if let Some(writers) = host_path::writers(others) {
        kept.message = format!("{} ({writers})", kept.message);
    }
}
