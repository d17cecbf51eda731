//! ## What it does
//! Flags a kube-apiserver that does not set `--anonymous-auth=false` (it defaults to true).
//!
//! ## Why it matters
//! Anonymous requests reach the API as `system:anonymous`. Only RBAC then stands between the internet and the cluster, and one careless grant to `system:unauthenticated` opens it. The guidance says to disable anonymous login.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --authorization-mode=Node,RBAC
//! ```
//!
//! ## Fix
//! Add `--anonymous-auth=false` (health checks can use an authenticated probe or the `AuthenticationConfiguration` anonymous conditions).
//! ```yaml
//! # /etc/kubernetes/manifests/kube-apiserver.yaml (the static pod)
//! spec:
//!   containers:
//!   - name: kube-apiserver
//!     command:
//!     - kube-apiserver
//!     - --anonymous-auth=false
//! ```

use kubeharden_node::ComponentKind;

use crate::prelude::*;
use crate::support::node::{check_flags, Want};

pub const RULE: RuleDef = RuleDef {
    id: "KH701",
    name: "apiserver-anonymous-auth",
    title: "API server accepts anonymous requests",
    severity: Severity::High,
    guidance: &["AUTHN-03"],
    pss: None,
    mitre: None,
    check: Check::Node(check),
};

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    check_flags(
        ctx.view,
        ComponentKind::ApiServer,
        &[("anonymous-auth", Want::Is("false", "true"))],
        out,
    );
}
