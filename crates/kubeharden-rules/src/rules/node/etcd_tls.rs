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

use kubeharden_node::ComponentKind;

use crate::prelude::*;
use crate::support::node::{check_flags, Want};

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
    check_flags(
        ctx.view,
        ComponentKind::Etcd,
        &[
            ("cert-file", Want::Set),
            ("key-file", Want::Set),
            ("trusted-ca-file", Want::Set),
            ("client-cert-auth", Want::Is("true", "false")),
            ("auto-tls", Want::Is("false", "false")),
            ("peer-cert-file", Want::Set),
            ("peer-key-file", Want::Set),
            ("peer-client-cert-auth", Want::Is("true", "false")),
            ("peer-auto-tls", Want::Is("false", "false")),
        ],
        out,
    );
}
