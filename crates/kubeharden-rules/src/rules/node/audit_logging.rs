//! ## What it does
//! Flags a kube-apiserver without audit logging: no `--audit-policy-file`, or neither
//! `--audit-log-path` nor `--audit-webhook-config-file`. With a log path, it also
//! checks retention: `--audit-log-maxage` of at least 30 days, `--audit-log-maxbackup`
//! of at least 10 files, and `--audit-log-maxsize` of at least 100 MB. With
//! `--audit-log-path=-` (standard output) those flags do nothing, so retention is not
//! checked.
//!
//! ## Why it matters
//! Audit logging is off by default, and without a policy nothing is logged. The
//! guidance asks for audit logs that are enabled, persisted and kept, because they are
//! how an intrusion is detected and investigated.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! ```
//!
//! ## Fix
//! Give kube-apiserver an audit policy and a log (or a webhook backend) that keeps events long enough to investigate, in its static Pod manifest's command:
//! ```yaml
//! - --audit-policy-file=/etc/kubernetes/audit/policy.yaml
//! - --audit-log-path=/var/log/kubernetes/audit/audit.log
//! - --audit-log-maxage=30
//! - --audit-log-maxbackup=10
//! - --audit-log-maxsize=100
//! ```

use kubeharden_node::ComponentKind;

use crate::prelude::*;
use crate::support::node::{check_flag_rows, report, Want};

pub const RULE: RuleDef = RuleDef {
    id: "KH711",
    name: "apiserver-audit-logging",
    title: "API server audit logging is off or not retained",
    severity: Severity::High,
    guidance: &["LOG-01", "LOG-06"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1562.008",
        name: "Impair Defenses: Disable or Modify Cloud Logs",
    }),
    check: Check::Node(check),
};

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    let Some(api) = ctx.view.component(ComponentKind::ApiServer) else {
        return;
    };
    check_flag_rows(
        ctx.view,
        ComponentKind::ApiServer,
        &[(Some(&["LOG-01"]), None, &[("audit-policy-file", Want::Set)])],
        out,
    );
    if api.value("audit-log-path").is_none() && api.value("audit-webhook-config-file").is_none() {
        report(api, "audit-log-path", "kube-apiserver sets neither --audit-log-path nor --audit-webhook-config-file: audit events go nowhere".into(), out).rows(&["LOG-01"]);
    }
    // `-` writes the log to standard output, where the rotation flags do nothing:
    // keeping it is up to whatever collects the output.
    if api.value("audit-log-path") == Some("-") {
        return;
    }
    let retention = [
        ("audit-log-maxage", Want::AtLeast(30, "audit-log-path")),
        ("audit-log-maxbackup", Want::AtLeast(10, "audit-log-path")),
        ("audit-log-maxsize", Want::AtLeast(100, "audit-log-path")),
    ];
    // Retention is its own row: a log that is written but not kept long enough.
    check_flag_rows(
        ctx.view,
        ComponentKind::ApiServer,
        &[(Some(&["LOG-06"]), Some(Severity::Medium), &retention)],
        out,
    );
}
