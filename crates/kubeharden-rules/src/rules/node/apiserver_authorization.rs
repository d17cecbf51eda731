//! ## What it does
//! Flags a kube-apiserver whose `--authorization-mode` lacks `RBAC` or `Node`, or includes `AlwaysAllow` (the default when the flag is unset).
//!
//! ## Why it matters
//! With `AlwaysAllow` every authenticated request is allowed: RBAC is off. Without `Node`, kubelets are not limited to their own node's objects. The guidance requires RBAC.
//!
//! ## Example
//! ```yaml
//! - --authorization-mode=AlwaysAllow
//! ```
//!
//! ## Fix
//! `--authorization-mode=Node,RBAC`.

use kubeharden_node::ComponentKind;

use crate::prelude::*;
use crate::support::node::{check_flags, Want};

pub const RULE: RuleDef = RuleDef {
    id: "KH703",
    name: "apiserver-authorization-mode",
    title: "API server authorization is not Node,RBAC",
    severity: Severity::Critical,
    guidance: &["RBAC-01", "RBAC-02"],
    pss: None,
    mitre: None,
    check: Check::Node(check),
};

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    check_flags(
        ctx.view,
        ComponentKind::ApiServer,
        &[
            ("authorization-mode", Want::Contains("RBAC", "AlwaysAllow")),
            ("authorization-mode", Want::Contains("Node", "AlwaysAllow")),
            (
                "authorization-mode",
                Want::Excludes("AlwaysAllow", "AlwaysAllow"),
            ),
        ],
        out,
    );
}
