//! ## What it does
//! Flags a kube-controller-manager that does not bind to `127.0.0.1`, keeps profiling on, does not set `--tls-min-version` to TLS 1.2 or 1.3, does not use per-controller service-account credentials, or misses `--service-account-private-key-file` or `--root-ca-file`.
//!
//! ## Why it matters
//! The controller manager holds the keys that sign service-account tokens and acts for every controller. It should be reachable only from the control plane, and each controller should run with its own narrow identity.
//!
//! ## Example
//! ```yaml
//! - --bind-address=0.0.0.0
//! ```
//!
//! ## Fix
//! `--bind-address=127.0.0.1 --profiling=false --use-service-account-credentials=true` and the key and CA flags.
//! ```yaml
//! # /etc/kubernetes/manifests/kube-controller-manager.yaml (the static pod)
//! spec:
//!   containers:
//!   - name: kube-controller-manager
//!     command:
//!     - kube-controller-manager
//!     - --bind-address=127.0.0.1
//!     - --profiling=false
//!     - --use-service-account-credentials=true
//!     - --service-account-private-key-file=/etc/kubernetes/pki/sa.key
//!     - --root-ca-file=/etc/kubernetes/pki/ca.crt
//! ```

use kubeharden_node::ComponentKind;

use crate::prelude::*;
use crate::support::node::{check_flag_rows, Want, CONTROL_PLANE_ONLY, TLS_MIN_VERSION};

pub const RULE: RuleDef = RuleDef {
    id: "KH720",
    name: "controller-manager-settings",
    title: "Controller manager is exposed or shares credentials",
    severity: Severity::Medium,
    guidance: &["CP-03", "CP-05", "TLS-01"],
    pss: None,
    mitre: None,
    check: Check::Node(check),
};

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    check_flag_rows(
        ctx.view,
        ComponentKind::ControllerManager,
        &[
            CONTROL_PLANE_ONLY,
            TLS_MIN_VERSION,
            (
                Some(&["CP-05"]),
                None,
                &[
                    ("use-service-account-credentials", Want::Is("true", "false")),
                    ("service-account-private-key-file", Want::Set),
                    ("root-ca-file", Want::Set),
                ],
            ),
        ],
        out,
    );
}
