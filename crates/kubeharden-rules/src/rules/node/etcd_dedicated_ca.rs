//! ## What it does
//! Flags an etcd whose `--trusted-ca-file` is the same file as the API server's
//! `--client-ca-file`.
//!
//! ## Why it matters
//! etcd trusts every certificate its CA signed. If that CA is the cluster's client CA,
//! any client certificate of the cluster, a user's or a kubelet's, opens etcd itself.
//! The guidance asks for a dedicated CA for etcd.
//!
//! ## Example
//! ```yaml
//! - --trusted-ca-file=/etc/kubernetes/pki/ca.crt
//! ```
//!
//! ## Fix
//! Issue etcd's certificates from their own CA (kubeadm uses `pki/etcd/ca.crt`).
//! ```yaml
//! # /etc/kubernetes/manifests/etcd.yaml (the static pod)
//! spec:
//!   containers:
//!   - name: etcd
//!     command:
//!     - etcd
//!     - --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
//!     - --peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
//!     # not the cluster's /etc/kubernetes/pki/ca.crt
//! ```

use kubeharden_node::ComponentKind;

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH731",
    name: "etcd-shared-ca",
    title: "etcd trusts the cluster's client CA",
    severity: Severity::High,
    guidance: &["ETCD-04"],
    pss: None,
    mitre: None,
    check: Check::Node(check),
};

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    let (Some(etcd), Some(api)) = (
        ctx.view.component(ComponentKind::Etcd),
        ctx.view.component(ComponentKind::ApiServer),
    ) else {
        return;
    };
    let (Some(trusted), Some(client)) =
        (etcd.value("trusted-ca-file"), api.value("client-ca-file"))
    else {
        return;
    };
    if api.host_path(client) == etcd.host_path(trusted) {
        crate::support::node::report(
            etcd,
            "trusted-ca-file",
            format!("etcd trusts {trusted}, the API server's client CA"),
            out,
        );
    }
}
