//! ## What it does
//! Flags a kube-apiserver missing `--tls-cert-file`, `--tls-private-key-file`, `--client-ca-file`, `--kubelet-client-certificate`, `--kubelet-client-key` or `--kubelet-certificate-authority`, not setting `--tls-min-version` to TLS 1.2 or 1.3, or offering broken cipher suites (RC4, 3DES, CBC) in `--tls-cipher-suites`.
//!
//! ## Why it matters
//! The API server must serve TLS, authenticate clients by certificate, and authenticate itself to kubelets while verifying theirs. Without `--kubelet-certificate-authority` it talks to any endpoint claiming to be a kubelet.
//!
//! ## Example
//! ```yaml
//! - --tls-min-version=VersionTLS10
//! ```
//!
//! ## Fix
//! Set the certificate flags (kubeadm does) and `--tls-min-version=VersionTLS12`.
//! ```yaml
//! # /etc/kubernetes/manifests/kube-apiserver.yaml (the static pod)
//! spec:
//!   containers:
//!   - name: kube-apiserver
//!     command:
//!     - kube-apiserver
//!     - --tls-cert-file=/etc/kubernetes/pki/apiserver.crt
//!     - --tls-private-key-file=/etc/kubernetes/pki/apiserver.key
//!     - --client-ca-file=/etc/kubernetes/pki/ca.crt
//!     - --tls-min-version=VersionTLS12
//! ```

use kubeharden_node::ComponentKind;

use crate::prelude::*;
use crate::support::node::{check_flag_rows, Want, TLS_MIN};

pub const RULE: RuleDef = RuleDef {
    id: "KH705",
    name: "apiserver-tls",
    title: "API server TLS or client authentication is incomplete",
    severity: Severity::High,
    guidance: &["TLS-01", "TLS-03", "TLS-04", "AUTHN-01"],
    pss: None,
    mitre: None,
    check: Check::Node(check),
};

/// Ways to authenticate users other than client certificates (AUTHN-01).
const OTHER_USER_AUTHN: &[&str] = &[
    "oidc-issuer-url",
    "authentication-token-webhook-config-file",
    "authentication-config",
];

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    // Without a client CA the API server authenticates no one by certificate; that
    // leaves users without any authentication method only if nothing else is set.
    let client_ca_rows: &'static [&'static str] = match ctx.view.component(ComponentKind::ApiServer)
    {
        Some(c) if OTHER_USER_AUTHN.iter().all(|f| c.value(f).is_none()) => &["TLS-04", "AUTHN-01"],
        _ => &["TLS-04"],
    };
    check_flag_rows(
        ctx.view,
        ComponentKind::ApiServer,
        &[
            (
                Some(&["TLS-04"]),
                None,
                &[
                    ("tls-cert-file", Want::Set),
                    ("tls-private-key-file", Want::Set),
                ],
            ),
            (Some(client_ca_rows), None, &[("client-ca-file", Want::Set)]),
            (
                Some(&["TLS-03"]),
                None,
                &[
                    ("kubelet-client-certificate", Want::Set),
                    ("kubelet-client-key", Want::Set),
                    ("kubelet-certificate-authority", Want::Set),
                ],
            ),
            (
                Some(&["TLS-01"]),
                None,
                &[
                    ("tls-min-version", Want::Required(TLS_MIN)),
                    ("tls-cipher-suites", Want::StrongCiphers),
                ],
            ),
        ],
        out,
    );
}
