//! ## What it does
//! On Kubernetes 1.19 and earlier, flags a kube-apiserver that does not set
//! `--insecure-port=0`, or that sets `--insecure-bind-address`. From 1.20 the insecure
//! port could only be 0, and from 1.24 the flags are gone, so newer versions are not
//! judged. The version comes from the image tag or `--k8s-version`.
//!
//! ## Why it matters
//! The insecure port serves the whole API without TLS, authentication or
//! authorization. Anyone who reaches it is cluster-admin.
//!
//! ## Example
//! ```yaml
//! image: registry.k8s.io/kube-apiserver:v1.18.20
//! command:
//! - kube-apiserver
//! ```
//!
//! ## Fix
//! `--insecure-port=0`, and upgrade: these versions are long out of support.
//! ```yaml
//! # /etc/kubernetes/manifests/kube-apiserver.yaml (the static pod)
//! spec:
//!   containers:
//!   - name: kube-apiserver
//!     command:
//!     - kube-apiserver
//!     - --insecure-port=0
//! ```

use kubeharden_node::ComponentKind;

use crate::prelude::*;
use crate::support::node::{check_flags, Want};

pub const RULE: RuleDef = RuleDef {
    id: "KH709",
    name: "apiserver-insecure-port",
    title: "API server serves the insecure port",
    severity: Severity::Critical,
    guidance: &["CP-02"],
    pss: None,
    mitre: None,
    check: Check::Node(check),
};

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    match ctx.view.version {
        Some((1, minor)) if minor <= 19 => check_flags(
            ctx.view,
            ComponentKind::ApiServer,
            &[
                ("insecure-port", Want::Is("0", "8080")),
                ("insecure-bind-address", Want::Unset),
            ],
            out,
        ),
        Some((1, minor)) if minor <= 23 => check_flags(
            ctx.view,
            ComponentKind::ApiServer,
            &[("insecure-bind-address", Want::Unset)],
            out,
        ),
        _ => {}
    }
}
