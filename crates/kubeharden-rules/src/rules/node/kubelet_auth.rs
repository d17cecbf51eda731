//! ## What it does
//! Flags a kubelet that accepts anonymous requests, authorizes with `AlwaysAllow`,
//! does not authenticate bearer tokens by webhook, or has no client CA. It reads the
//! effective settings: a flag overrides the config file. It also applies each
//! source's defaults: without a config file, the flags default to anonymous on,
//! `AlwaysAllow` and no webhook. When the config file the kubelet is given cannot be
//! read, a setting no flag gives cannot be judged: that is an error naming the file,
//! neither a finding on defaults nor a pass.
//!
//! ## Why it matters
//! The kubelet API (port 10250) runs commands in every pod of the node. Anonymous
//! access or `AlwaysAllow` hands that to anyone who reaches the node. The guidance
//! names kubelets as targets and asks that anonymous access be disabled.
//!
//! ## Example
//! ```yaml
//! kind: KubeletConfiguration
//! authentication:
//!   anonymous:
//!     enabled: true
//! ```
//!
//! ## Fix
//! Turn off anonymous requests and make the kubelet ask the API server who may call it, in its configuration file:
//! ```yaml
//! authentication:
//!   anonymous: {enabled: false}
//!   webhook: {enabled: true}
//!   x509: {clientCAFile: /etc/kubernetes/pki/ca.crt}
//! authorization:
//!   mode: Webhook
//! ```

use crate::prelude::*;
use crate::support::node::{check_kubelet, kubelet_setting};

pub const RULE: RuleDef = RuleDef {
    id: "KH740",
    name: "kubelet-authentication",
    title: "Kubelet API is open to anonymous or unauthorized requests",
    severity: Severity::Critical,
    guidance: &["WN-02", "WN-03", "WN-04"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1609",
        name: "Container Administration Command",
    }),
    check: Check::Node(check),
};

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    let Some(k) = &ctx.view.kubelet else { return };
    check_kubelet(
        k,
        "anonymous-auth",
        "authentication.anonymous.enabled",
        "false",
        ("true", "false"),
        out,
    )
    .map(|t| t.rows(&["WN-02"]));
    check_kubelet(
        k,
        "authorization-mode",
        "authorization.mode",
        "Webhook",
        ("AlwaysAllow", "Webhook"),
        out,
    )
    .map(|t| t.rows(&["WN-03"]));
    check_kubelet(
        k,
        "authentication-token-webhook",
        "authentication.webhook.enabled",
        "true",
        ("false", "true"),
        out,
    )
    .map(|t| t.rows(&["WN-03"]));
    let client_ca = kubelet_setting(k, "client-ca-file", "authentication.x509.clientCAFile", out);
    if matches!(client_ca, Ok(None)) {
        if let Some((file, pos, path)) = k.anchor("authentication.x509.clientCAFile") {
            out.at(("kubelet", "kubelet"), &file, pos, path, "kubelet sets no client CA (authentication.x509.clientCAFile, --client-ca-file): it cannot verify the API server's client certificate").rows(&["WN-04"]);
        }
    }
}
