//! ## What it does
//! Flags a kube-apiserver that sends its audit events to no webhook backend: no `--audit-webhook-config-file`, so events stay in a log file on the control-plane node (or nowhere, KH711). It judges the API server's flags where they are seen: its static pod manifest on the node (`kubeharden node`), or the mirror pod a self-managed control plane shows in `kube-system` (`kubeharden cluster`, or a scan of its dump). A cluster that shows no control plane (a managed one) lists it as not judged: the provider keeps the audit log and its export is set in the provider's console.
//!
//! ## Why it matters
//! A log file on the node is lost with the node and read only by whoever logs into it; an intruder with root there can edit it. Sent as they happen to the organisation's collector (a SIEM), audit events are kept away from the cluster they describe and seen beside the rest of its logs. The guidance recommends a webhook backend (its appendix N batches them).
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --audit-policy-file=/etc/kubernetes/audit/policy.yaml
//! - --audit-log-path=/var/log/kubernetes/audit/audit.log
//! ```
//!
//! ## Fix
//! Send audit events off the node as well: add a webhook backend to kube-apiserver's command, with a kubeconfig that names the collector:
//! ```yaml
//! - --audit-webhook-config-file=/etc/kubernetes/audit/webhook.yaml  # a kubeconfig naming the collector
//! - --audit-webhook-mode=batch
//! - --audit-webhook-initial-backoff=5s
//! - --audit-webhook-batch-buffer-size=5000
//! ```

use kubeharden_node::ComponentKind;

use crate::prelude::*;
use crate::support::node::report;

pub const RULE: RuleDef = RuleDef {
    id: "KH713",
    name: "apiserver-audit-webhook",
    title: "API server sends audit events to no webhook backend",
    severity: Severity::Low,
    guidance: &["LOG-08"],
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
    if api.value("audit-webhook-config-file").is_none() {
        let message = "kube-apiserver sets no --audit-webhook-config-file: audit events reach no collector off the node".to_string();
        report(api, "audit-webhook-config-file", message, out);
    }
}
