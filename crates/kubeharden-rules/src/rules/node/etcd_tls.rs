//! ## What it does
//! Flags an etcd without `--cert-file`, `--key-file`, `--trusted-ca-file`, `--client-cert-auth=true`, `--peer-cert-file`, `--peer-key-file` and `--peer-client-cert-auth=true`, or with `--auto-tls` or `--peer-auto-tls` on.
//!
//! ## Why it matters
//! Whoever reaches etcd without client-certificate authentication reads and writes the whole cluster, Secrets included, bypassing RBAC and audit. Self-signed auto-TLS certificates authenticate nobody.
//!
//! ## Example
//! ```yaml
//! - --client-cert-auth=false
//! ```
//!
//! ## Fix
//! Set the certificate flags and `--client-cert-auth=true --peer-client-cert-auth=true`.
//! ```yaml
//! # /etc/kubernetes/manifests/etcd.yaml (the static pod)
//! spec:
//!   containers:
//!   - name: etcd
//!     command:
//!     - etcd
//!     - --cert-file=/etc/kubernetes/pki/etcd/server.crt
//!     - --key-file=/etc/kubernetes/pki/etcd/server.key
//!     - --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
//!     - --client-cert-auth=true
//!     - --peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt
//!     - --peer-key-file=/etc/kubernetes/pki/etcd/peer.key
//!     - --peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
//!     - --peer-client-cert-auth=true
//! ```

use kubeharden_node::ComponentKind;

use crate::prelude::*;
use crate::support::node::{check_flag_rows, Want};

pub const RULE: RuleDef = RuleDef {
    id: "KH730",
    name: "etcd-tls",
    title: "etcd does not require certificates from clients and peers",
    severity: Severity::Critical,
    guidance: &["ETCD-02", "ETCD-03", "ETCD-05"],
    pss: None,
    mitre: None,
    check: Check::Node(check),
};

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    check_flag_rows(
        ctx.view,
        ComponentKind::Etcd,
        &[
            (
                Some(&["ETCD-02"]),
                None,
                &[("cert-file", Want::Set), ("key-file", Want::Set)],
            ),
            (
                Some(&["ETCD-03"]),
                None,
                &[
                    ("trusted-ca-file", Want::Set),
                    ("client-cert-auth", Want::Is("true", "false")),
                    ("auto-tls", Want::Is("false", "false")),
                ],
            ),
            (
                Some(&["ETCD-05"]),
                None,
                &[
                    ("peer-cert-file", Want::Set),
                    ("peer-key-file", Want::Set),
                    ("peer-client-cert-auth", Want::Is("true", "false")),
                    ("peer-auto-tls", Want::Is("false", "false")),
                ],
            ),
        ],
        out,
    );
}
