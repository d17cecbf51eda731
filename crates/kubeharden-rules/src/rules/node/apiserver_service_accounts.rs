//! ## What it does
//! Flags a kube-apiserver with `--service-account-lookup=false` or without `--service-account-key-file`.
//!
//! ## Why it matters
//! Without lookup, a token stays valid after its ServiceAccount is deleted. The key file is what verifies tokens; without it, the signing key is used and cannot be rotated separately.
//!
//! ## Example
//! ```yaml
//! - --service-account-lookup=false
//! ```
//!
//! ## Fix
//! Remove `--service-account-lookup=false` and set `--service-account-key-file`.
//! ```yaml
//! # /etc/kubernetes/manifests/kube-apiserver.yaml (the static pod)
//! spec:
//!   containers:
//!   - name: kube-apiserver
//!     command:
//!     - kube-apiserver
//!     - --service-account-key-file=/etc/kubernetes/pki/sa.pub
//!     # and no --service-account-lookup=false
//! ```

use kubeharden_node::ComponentKind;

use crate::prelude::*;
use crate::support::node::{check_flags, Want};

pub const RULE: RuleDef = RuleDef {
    id: "KH708",
    name: "apiserver-service-account-tokens",
    title: "API server does not fully validate service-account tokens",
    severity: Severity::Medium,
    guidance: &["AUTHN-05"],
    pss: None,
    mitre: None,
    check: Check::Node(check),
};

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    check_flags(
        ctx.view,
        ComponentKind::ApiServer,
        &[
            ("service-account-lookup", Want::Is("true", "true")),
            ("service-account-key-file", Want::Set),
        ],
        out,
    );
}
