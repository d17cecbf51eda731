//! ## What it does
//! Flags a kube-apiserver with `--token-auth-file` or `--basic-auth-file`.
//!
//! ## Why it matters
//! Static token and password files hold long-lived credentials in clear text on the control-plane disk, cannot be rotated without a restart, and carry no second factor. The guidance names them as weak methods to avoid.
//!
//! ## Example
//! ```yaml
//! - --token-auth-file=/etc/kubernetes/tokens.csv
//! ```
//!
//! ## Fix
//! Remove the flag; authenticate with client certificates or OIDC.
//! ```yaml
//! # /etc/kubernetes/manifests/kube-apiserver.yaml (the static pod)
//! spec:
//!   containers:
//!   - name: kube-apiserver
//!     command:
//!     - kube-apiserver
//!     - --client-ca-file=/etc/kubernetes/pki/ca.crt
//!     - --oidc-issuer-url=https://issuer.example.com
//!     - --oidc-client-id=kubernetes
//!     # and no --token-auth-file or --basic-auth-file
//! ```

use kubeharden_node::ComponentKind;

use crate::prelude::*;
use crate::support::node::{check_flags, Want};

pub const RULE: RuleDef = RuleDef {
    id: "KH702",
    name: "apiserver-static-credentials",
    title: "API server uses static token or password files",
    severity: Severity::High,
    guidance: &["AUTHN-02"],
    pss: None,
    mitre: None,
    check: Check::Node(check),
};

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    check_flags(
        ctx.view,
        ComponentKind::ApiServer,
        &[
            ("token-auth-file", Want::Unset),
            ("basic-auth-file", Want::Unset),
        ],
        out,
    );
}
