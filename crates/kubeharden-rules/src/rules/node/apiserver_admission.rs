//! ## What it does
//! Flags a kube-apiserver that does not enable `NodeRestriction`, enables `AlwaysAdmit`, or disables `PodSecurity`, `ServiceAccount`, `LimitRanger`, `ResourceQuota` or `NamespaceLifecycle`.
//!
//! ## Why it matters
//! These plugins enforce Pod Security, service-account identities, quotas and node isolation. `NodeRestriction` stops a compromised kubelet from editing other nodes and pods.
//!
//! ## Example
//! ```yaml
//! - --disable-admission-plugins=PodSecurity
//! ```
//!
//! ## Fix
//! `--enable-admission-plugins=NodeRestriction` and no `--disable-admission-plugins` for the plugins above.

use kubeharden_node::ComponentKind;

use crate::prelude::*;
use crate::support::node::{check_flags, Want};

pub const RULE: RuleDef = RuleDef {
    id: "KH704",
    name: "apiserver-admission-plugins",
    title: "API server admission plugins weaken enforcement",
    severity: Severity::High,
    guidance: &["POD-11", "RBAC-02", "AUTHN-06", "RES-04"],
    pss: None,
    mitre: None,
    check: Check::Node(check),
};

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    check_flags(
        ctx.view,
        ComponentKind::ApiServer,
        &[
            (
                "enable-admission-plugins",
                Want::Contains("NodeRestriction", ""),
            ),
            (
                "enable-admission-plugins",
                Want::Excludes("AlwaysAdmit", ""),
            ),
            (
                "disable-admission-plugins",
                Want::Excludes("PodSecurity", ""),
            ),
            (
                "disable-admission-plugins",
                Want::Excludes("ServiceAccount", ""),
            ),
            (
                "disable-admission-plugins",
                Want::Excludes("LimitRanger", ""),
            ),
            (
                "disable-admission-plugins",
                Want::Excludes("ResourceQuota", ""),
            ),
            (
                "disable-admission-plugins",
                Want::Excludes("NamespaceLifecycle", ""),
            ),
        ],
        out,
    );
}
