//! ## What it does
//! Flags a kubelet whose read-only port is open: `readOnlyPort` or `--read-only-port`
//! not 0. Without a config file the flag defaults to 10255. With a config file that
//! cannot be read and no flag, the port is not judged: that is an error naming the file.
//!
//! ## Why it matters
//! The read-only port serves pod specs, environment variables included, and metrics
//! without any authentication.
//!
//! ## Example
//! ```yaml
//! readOnlyPort: 10255
//! ```
//!
//! ## Fix
//! `readOnlyPort: 0`.
//! ```yaml
//! # the kubelet's configuration file (/var/lib/kubelet/config.yaml)
//! apiVersion: kubelet.config.k8s.io/v1beta1
//! kind: KubeletConfiguration
//! readOnlyPort: 0
//! ```

use crate::prelude::*;
use crate::support::node::check_kubelet;

pub const RULE: RuleDef = RuleDef {
    id: "KH741",
    name: "kubelet-read-only-port",
    title: "Kubelet read-only port is open",
    severity: Severity::High,
    guidance: &["WN-05"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1613",
        name: "Container and Resource Discovery",
    }),
    check: Check::Node(check),
};

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    if let Some(k) = &ctx.view.kubelet {
        check_kubelet(
            k,
            "read-only-port",
            "readOnlyPort",
            "0",
            ("10255", "0"),
            out,
        );
    }
}
