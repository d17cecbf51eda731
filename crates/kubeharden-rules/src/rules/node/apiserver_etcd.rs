//! ## What it does
//! Flags a kube-apiserver missing `--etcd-cafile`, `--etcd-certfile` or `--etcd-keyfile`, or with an `http://` etcd server.
//!
//! ## Why it matters
//! etcd holds every object and Secret. The API server must reach it over TLS, proving its identity with a client certificate, and verify etcd's.
//!
//! ## Example
//! ```yaml
//! - --etcd-servers=http://127.0.0.1:2379
//! ```
//!
//! ## Fix
//! `--etcd-servers=https://...` with `--etcd-cafile`, `--etcd-certfile`, `--etcd-keyfile`.
//! ```yaml
//! # /etc/kubernetes/manifests/kube-apiserver.yaml (the static pod)
//! spec:
//!   containers:
//!   - name: kube-apiserver
//!     command:
//!     - kube-apiserver
//!     - --etcd-servers=https://127.0.0.1:2379
//!     - --etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt
//!     - --etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt
//!     - --etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key
//! ```

use kubeharden_node::ComponentKind;

use crate::prelude::*;
use crate::support::node::{check_flags, Want};

pub const RULE: RuleDef = RuleDef {
    id: "KH706",
    name: "apiserver-etcd-tls",
    title: "API server talks to etcd without TLS client authentication",
    severity: Severity::High,
    guidance: &["ETCD-02"],
    pss: None,
    mitre: None,
    check: Check::Node(check),
};

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    check_flags(
        ctx.view,
        ComponentKind::ApiServer,
        &[
            ("etcd-cafile", Want::Set),
            ("etcd-certfile", Want::Set),
            ("etcd-keyfile", Want::Set),
        ],
        out,
    );
}
