//! ## What it does
//! Flags a kube-scheduler that does not bind to `127.0.0.1` keeps profiling on, or does not set `--tls-min-version` to TLS 1.2 or 1.3.
//!
//! ## Why it matters
//! The guidance says the scheduler should be reachable only from the control plane.
//!
//! ## Example
//! ```yaml
//! - --bind-address=0.0.0.0
//! ```
//!
//! ## Fix
//! `--bind-address=127.0.0.1 --profiling=false`.
//! ```yaml
//! # /etc/kubernetes/manifests/kube-scheduler.yaml (the static pod)
//! spec:
//!   containers:
//!   - name: kube-scheduler
//!     command:
//!     - kube-scheduler
//!     - --bind-address=127.0.0.1
//!     - --profiling=false
//! ```

use kubeharden_node::ComponentKind;

use crate::prelude::*;
use crate::support::node::{check_flag_rows, CONTROL_PLANE_ONLY, TLS_MIN_VERSION};

pub const RULE: RuleDef = RuleDef {
    id: "KH721",
    name: "scheduler-settings",
    title: "Scheduler is exposed or profiling",
    severity: Severity::Medium,
    guidance: &["CP-03", "TLS-01"],
    pss: None,
    mitre: None,
    check: Check::Node(check),
};

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    check_flag_rows(
        ctx.view,
        ComponentKind::Scheduler,
        &[CONTROL_PLANE_ONLY, TLS_MIN_VERSION],
        out,
    );
}
