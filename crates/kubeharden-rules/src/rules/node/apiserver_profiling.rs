//! ## What it does
//! Flags a kube-apiserver that does not set `--profiling=false` (it defaults to true).
//!
//! ## Why it matters
//! The profiling endpoints reveal internals and cost CPU; they are for debugging, not production.
//!
//! ## Example
//! ```yaml
//! - kube-apiserver
//! ```
//!
//! ## Fix
//! `--profiling=false`.
//! ```yaml
//! # /etc/kubernetes/manifests/kube-apiserver.yaml (the static pod)
//! spec:
//!   containers:
//!   - name: kube-apiserver
//!     command:
//!     - kube-apiserver
//!     - --profiling=false
//! ```

use kubeharden_node::ComponentKind;

use crate::prelude::*;
use crate::support::node::{check_flags, Want};

pub const RULE: RuleDef = RuleDef {
    id: "KH707",
    name: "apiserver-profiling",
    title: "API server exposes profiling",
    severity: Severity::Low,
    guidance: &["CP-03"],
    pss: None,
    mitre: None,
    check: Check::Node(check),
};

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    check_flags(
        ctx.view,
        ComponentKind::ApiServer,
        &[("profiling", Want::Is("false", "true"))],
        out,
    );
}
