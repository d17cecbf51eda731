//! ## What it does
//! Flags a kubelet without the kernel and process protections the guidance lists:
//! - `protectKernelDefaults: true`;
//! - a positive `podPidsLimit`, so a fork bomb in one pod cannot starve the node;
//! - `seccompDefault: true`, so pods without a profile still get `RuntimeDefault`.
//!
//! `protectKernelDefaults` is CIS advice that no row of the guidance's checklist
//! covers, so its finding names no row.
//!
//! A setting no flag gives, when the config file cannot be read, is not judged: that
//! is an error naming the file.
//!
//! ## Why it matters
//! These settings cap what one compromised or runaway pod can do to the node: change
//! kernel tunables, exhaust PIDs, or make system calls that the runtime's default
//! profile would block.
//!
//! ## Example
//! ```yaml
//! kind: KubeletConfiguration
//! podPidsLimit: -1
//! ```
//!
//! ## Fix
//! Set these in the kubelet's configuration file (`--config`), then restart the kubelet:
//! ```yaml
//! protectKernelDefaults: true
//! podPidsLimit: 4096
//! seccompDefault: true
//! ```

use crate::prelude::*;
use crate::support::node::{check_kubelet, kubelet_setting};

pub const RULE: RuleDef = RuleDef {
    id: "KH743",
    name: "kubelet-hardening",
    title: "Kubelet lacks kernel, PID or seccomp protections",
    severity: Severity::Low,
    guidance: &["RES-05", "POD-34"],
    pss: None,
    mitre: None,
    check: Check::Node(check),
};

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    let Some(k) = &ctx.view.kubelet else { return };
    check_kubelet(
        k,
        "protect-kernel-defaults",
        "protectKernelDefaults",
        "true",
        ("false", "false"),
        out,
    )
    .map(|t| t.rows(&[]));
    check_kubelet(
        k,
        "seccomp-default",
        "seccompDefault",
        "true",
        ("false", "false"),
        out,
    )
    .map(|t| t.rows(&["POD-34"]));
    let Ok(pids) = kubelet_setting(k, "pod-max-pids", "podPidsLimit", out) else {
        return;
    };
    match pids {
        Some(s) if s.value.parse::<i64>().unwrap_or(-1) > 0 => {}
        Some(s) => {
            out.at(
                ("kubelet", "kubelet"),
                &s.file,
                s.pos,
                s.path,
                format!(
                    "kubelet podPidsLimit is {}: pods may use every PID of the node",
                    s.value
                ),
            )
            .rows(&["RES-05"]);
        }
        None => {
            if let Some((file, pos, path)) = k.anchor("podPidsLimit") {
                out.at(
                    ("kubelet", "kubelet"),
                    &file,
                    pos,
                    path,
                    "kubelet sets no podPidsLimit: pods may use every PID of the node",
                )
                .rows(&["RES-05"]);
            }
        }
    }
}
