//! Security contexts: where fields live and how container settings override the pod's.

use k8s_openapi::api::core::v1::{PodSecurityContext, SecurityContext};
use kubeharden_load::{ContainerRef, Workload};
use kubeharden_yaml::FieldPath;

/// The container's own `securityContext`.
pub(crate) fn ctr_sc<'w>(c: &ContainerRef<'w>) -> Option<&'w SecurityContext> {
    c.container.security_context.as_ref()
}

/// The pod-level `securityContext`.
pub(crate) fn pod_sc<'w>(w: &'w Workload<'_>) -> Option<&'w PodSecurityContext> {
    w.pod_security_context()
}

/// Whether the pod runs in its own user namespace (`hostUsers: false`), where root in
/// the container maps to an unprivileged user on the node.
pub(crate) fn in_user_namespace(w: &Workload<'_>) -> bool {
    w.spec.host_users == Some(false)
}

/// `<container>.securityContext.<field>`.
pub(crate) fn ctr_sc_path(c: &ContainerRef<'_>, field: &str) -> FieldPath {
    c.path.key("securityContext").join(field)
}

/// `<pod spec>.securityContext.<field>`.
pub(crate) fn pod_sc_path(w: &Workload<'_>, field: &str) -> FieldPath {
    w.spec_path.key("securityContext").join(field)
}

/// `<pod spec>.<field>`.
pub(crate) fn spec_path(w: &Workload<'_>, field: &str) -> FieldPath {
    w.spec_path.join(field)
}

/// The value a container runs with: its own setting, else the pod's.
pub(crate) fn effective<T: Clone>(
    c: &ContainerRef<'_>,
    w: &Workload<'_>,
    ctr: impl Fn(&SecurityContext) -> Option<T>,
    pod: impl Fn(&PodSecurityContext) -> Option<T>,
) -> Option<T> {
    ctr_sc(c)
        .and_then(&ctr)
        .or_else(|| pod_sc(w).and_then(&pod))
}

/// Seccomp and AppArmor profile types that confine: `RuntimeDefault`, `Localhost`.
pub(crate) fn confining_profile(kind: &str) -> bool {
    kind == "RuntimeDefault" || kind == "Localhost"
}

/// Capabilities PSS baseline lets a container add.
pub(crate) const BASELINE_CAPABILITIES: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];
