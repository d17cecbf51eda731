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
//! ```yaml
//! # /etc/kubernetes/manifests/kube-apiserver.yaml (the static pod)
//! spec:
//!   containers:
//!   - name: kube-apiserver
//!     command:
//!     - kube-apiserver
//!     - --enable-admission-plugins=NodeRestriction
//! ```

use kubeharden_node::ComponentKind;

use crate::prelude::*;
use crate::support::node::{check_flag_rows, Want};

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
    const DISABLE: &str = "disable-admission-plugins";
    check_flag_rows(
        ctx.view,
        ComponentKind::ApiServer,
        &[
            (
                Some(&["RBAC-02"]),
                None,
                &[(
                    "enable-admission-plugins",
                    Want::Contains("NodeRestriction", ""),
                )],
            ),
            (
                Some(&["POD-11"]),
                None,
                &[
                    (
                        "enable-admission-plugins",
                        Want::Excludes("AlwaysAdmit", ""),
                    ),
                    (DISABLE, Want::Excludes("PodSecurity", "")),
                ],
            ),
            (
                Some(&["AUTHN-06"]),
                None,
                &[(DISABLE, Want::Excludes("ServiceAccount", ""))],
            ),
            (
                Some(&["RES-04"]),
                None,
                &[
                    (DISABLE, Want::Excludes("LimitRanger", "")),
                    (DISABLE, Want::Excludes("ResourceQuota", "")),
                ],
            ),
            // The guidance's flag summary asks for it, but no row of its own covers it.
            (
                Some(&[]),
                None,
                &[(DISABLE, Want::Excludes("NamespaceLifecycle", ""))],
            ),
        ],
        out,
    );
}
