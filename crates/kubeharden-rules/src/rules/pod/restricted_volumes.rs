//! ## What it does
//! Flags volumes of any type other than `configMap`, `csi`, `downwardAPI`,
//! `emptyDir`, `ephemeral`, `image`, `persistentVolumeClaim`, `projected` and `secret`, the
//! types PSS restricted allows. `hostPath` volumes are reported by KH103.
//!
//! ## Why it matters
//! Other volume types (NFS, iSCSI, cloud disks mounted directly, `gitRepo`, ...)
//! attach node-level storage to the pod, bypassing the PersistentVolume layer where
//! administrators control access; `gitRepo` even runs git on the node. The
//! guidance's example policy (Appendix C) lists only the safe types.
//!
//! ## Example
//! ```yaml
//! volumes:
//! - name: shared
//!   nfs:
//!     server: nfs.example.com
//!     path: /exports
//! ```
//!
//! ## Fix
//! Claim the storage through a PersistentVolumeClaim, or use a CSI driver.
//! ```yaml
//! volumes:
//! - name: shared
//!   persistentVolumeClaim:
//!     claimName: shared       # bound through a StorageClass or a CSI driver
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH120",
    name: "restricted-volume-types",
    title: "Pod uses a volume type outside the restricted set",
    severity: Severity::Medium,
    guidance: &["POD-23"],
    pss: Some(Pss {
        check: "restrictedVolumes",
        level: PssLevel::Restricted,
    }),
    mitre: None,
    check: Check::Workload(check),
};

const ALLOWED: [&str; 9] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

fn check(w: &Workload<'_>, out: &mut Out) {
    let Some(volumes) = w.spec_node.get("volumes") else {
        return;
    };
    for (i, volume) in volumes.items().iter().enumerate() {
        // A volume names its type by the one key beside `name`; none means emptyDir.
        let types: Vec<&str> = volume
            .entries()
            .iter()
            .filter_map(|e| e.key.scalar_text())
            .filter(|k| *k != "name")
            .collect();
        if types
            .iter()
            .any(|t| ALLOWED.contains(t) || *t == "hostPath")
        {
            continue;
        }
        if let Some(kind) = types.first() {
            let name = volume
                .get("name")
                .and_then(|n| n.scalar_text())
                .unwrap_or("");
            out.at(
                spec_path(w, "volumes").index(i).key(kind),
                format!("volume {name:?} is of type {kind}"),
            );
        }
    }
}
