//! ## What it does
//! Flags non-system subjects that can create PersistentVolumes.
//!
//! ## Why it matters
//! A PersistentVolume can be of type `hostPath`. Whoever can create one and claim it
//! mounts any folder of a node, bypassing Pod Security's hostPath ban.
//!
//! ## Example
//! ```yaml
//! rules:
//! - {apiGroups: [""], resources: [persistentvolumes], verbs: [create]}
//! ```
//!
//! ## Fix
//! Provision volumes through StorageClasses, and keep PV creation for storage
//! controllers.
//! ```yaml
//! # workloads claim storage; only storage controllers create PersistentVolumes
//! rules:
//! - apiGroups: [""]
//!   resources: [persistentvolumeclaims]
//!   verbs: [get, list, create]
//! ```

use crate::prelude::*;
use crate::support::rbac::report_grants;

pub const RULE: RuleDef = RuleDef {
    id: "KH609",
    name: "rbac-create-persistent-volumes",
    title: "Subject can create PersistentVolumes",
    severity: Severity::Medium,
    guidance: &["RBAC-03", "POD-16"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1611",
        name: "Escape to Host",
    }),
    check: Check::Cluster(check),
};

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    report_grants(ctx, out, &[("create", "persistentvolumes")], |_| false);
}
