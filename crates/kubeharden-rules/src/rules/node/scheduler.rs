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

use kubeharden_node::ComponentKind;

use crate::prelude::*;
use crate::support::node::{check_flags, Want, TLS_MIN};

pub const RULE: RuleDef = RuleDef {
    id: "KH721",
    name: "scheduler-settings",
    title: "Scheduler is exposed or profiling",
    severity: Severity::Medium,
    guidance: &["CP-03"],
    pss: None,
    mitre: None,
    check: Check::Node(check),
};

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    check_flags(
        ctx.view,
        ComponentKind::Scheduler,
        &[
            ("bind-address", Want::Is("127.0.0.1", "0.0.0.0")),
            ("profiling", Want::Is("false", "true")),
            ("tls-min-version", Want::Required(TLS_MIN)),
        ],
        out,
    );
}
