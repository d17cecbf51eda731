//! ## What it does
//! Flags AppArmor profiles that disable confinement: a pod or container
//! `appArmorProfile.type` other than `RuntimeDefault` or `Localhost`, and a legacy
//! `container.apparmor.security.beta.kubernetes.io/<container>` annotation other
//! than `runtime/default` or `localhost/<profile>`.
//!
//! ## Why it matters
//! AppArmor limits which files, capabilities and mounts a process may use; the
//! runtime's default profile blocks common escape techniques. `Unconfined` removes
//! that layer. The guidance recommends AppArmor where supported; PSS baseline
//! forbids overriding or disabling the default profile.
//!
//! ## Example
//! ```yaml
//! metadata:
//!   annotations:
//!     container.apparmor.security.beta.kubernetes.io/app: unconfined
//! spec:
//!   securityContext:
//!     appArmorProfile:
//!       type: Unconfined
//! ```
//!
//! ## Fix
//! Remove the override, or set `appArmorProfile.type: RuntimeDefault` (or a
//! `Localhost` profile written for the workload).
//! ```yaml
//! securityContext:
//!   appArmorProfile:
//!     type: RuntimeDefault
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH106",
    name: "apparmor-unconfined",
    title: "AppArmor confinement is disabled",
    severity: Severity::High,
    guidance: &["POD-21"],
    pss: Some(Pss {
        check: "appArmorProfile",
        level: PssLevel::Baseline,
    }),
    mitre: Some(Mitre {
        id: "T1611",
        name: "Escape to Host",
    }),
    check: Check::Workload(check),
};

const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

fn allowed_annotation(value: &str) -> bool {
    value.is_empty() || value == "runtime/default" || value.starts_with("localhost/")
}

fn check(w: &Workload<'_>, out: &mut Out) {
    if let Some(profile) = pod_sc(w).and_then(|sc| sc.app_armor_profile.as_ref()) {
        if !confining_profile(&profile.type_) {
            out.at(
                pod_sc_path(w, "appArmorProfile.type"),
                format!("pod sets AppArmor profile type {:?}", profile.type_),
            );
        }
    }
    for c in w.containers() {
        if let Some(profile) = ctr_sc(&c).and_then(|sc| sc.app_armor_profile.as_ref()) {
            if !confining_profile(&profile.type_) {
                out.container(
                    &c,
                    ctr_sc_path(&c, "appArmorProfile.type"),
                    format!(
                        "container {:?} sets AppArmor profile type {:?}",
                        c.name(),
                        profile.type_
                    ),
                );
            }
        }
    }
    for (key, value) in &w.annotations {
        if key.starts_with(ANNOTATION_PREFIX) && !allowed_annotation(value) {
            out.at(
                w.meta_path.key("annotations").key(key),
                format!("annotation {key} sets AppArmor profile {value:?}"),
            );
        }
    }
}
