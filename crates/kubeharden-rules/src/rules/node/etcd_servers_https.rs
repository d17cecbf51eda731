//! ## What it does
//! Flags a kube-apiserver whose `--etcd-servers` lists an `http://` URL, and an etcd
//! whose `--listen-client-urls` or `--advertise-client-urls` does.
//!
//! ## Why it matters
//! Plain HTTP to etcd exposes every object and Secret on the wire, and lets anyone
//! on the path change them.
//!
//! ## Example
//! ```yaml
//! - --etcd-servers=http://127.0.0.1:2379
//! ```
//!
//! ## Fix
//! Use `https://` URLs with the certificate flags.
//! ```yaml
//! # /etc/kubernetes/manifests/etcd.yaml (the static pod)
//! spec:
//!   containers:
//!   - name: etcd
//!     command:
//!     - etcd
//!     - --listen-client-urls=https://127.0.0.1:2379
//!     - --advertise-client-urls=https://10.0.0.10:2379
//!     - --listen-peer-urls=https://10.0.0.10:2380
//!     - --initial-advertise-peer-urls=https://10.0.0.10:2380
//! ```

use kubeharden_node::ComponentKind;

use crate::prelude::*;
use crate::support::node::report;

pub const RULE: RuleDef = RuleDef {
    id: "KH732",
    name: "etcd-plain-http",
    title: "etcd is reached or served over plain HTTP",
    severity: Severity::Critical,
    guidance: &["ETCD-02"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1040",
        name: "Network Sniffing",
    }),
    check: Check::Node(check),
};

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    let checks = [
        (ComponentKind::ApiServer, "etcd-servers"),
        (ComponentKind::Etcd, "listen-client-urls"),
        (ComponentKind::Etcd, "advertise-client-urls"),
    ];
    for (kind, flag) in checks {
        let Some(c) = ctx.view.component(kind) else {
            continue;
        };
        let plain: Vec<String> = c
            .list(flag)
            .into_iter()
            .filter(|u| u.starts_with("http://"))
            .collect();
        if !plain.is_empty() {
            report(
                c,
                flag,
                format!(
                    "{} --{flag} uses plain HTTP: {}",
                    c.kind.name(),
                    plain.join(", ")
                ),
                out,
            );
        }
    }
}
