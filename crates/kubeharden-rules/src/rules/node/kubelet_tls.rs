//! ## What it does
//! Flags a kubelet that does not rotate its client certificate
//! (`rotateCertificates`), that has neither a serving certificate (`tlsCertFile` and
//! `tlsPrivateKeyFile`) nor `serverTLSBootstrap`, that does not set `tlsMinVersion` to TLS 1.2 or 1.3, or that offers broken cipher suites.
//!
//! ## Why it matters
//! The guidance asks for TLS everywhere, with certificates distributed and renewed
//! through TLS bootstrapping. Without a proper serving certificate, the kubelet serves
//! a self-signed one that the API server cannot verify.
//!
//! ## Example
//! ```yaml
//! kind: KubeletConfiguration
//! tlsMinVersion: VersionTLS10
//! ```
//!
//! ## Fix
//! ```yaml
//! rotateCertificates: true
//! serverTLSBootstrap: true
//! tlsMinVersion: VersionTLS12
//! ```

use crate::prelude::*;
use crate::support::node::check_kubelet;

pub const RULE: RuleDef = RuleDef {
    id: "KH742",
    name: "kubelet-tls",
    title: "Kubelet certificates are not rotated or TLS is weak",
    severity: Severity::Medium,
    guidance: &["TLS-01", "TLS-02"],
    pss: None,
    mitre: None,
    check: Check::Node(check),
};

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    let Some(k) = &ctx.view.kubelet else { return };
    check_kubelet(
        k,
        "rotate-certificates",
        "rotateCertificates",
        "true",
        ("false", "false"),
        out,
    )
    .map(|t| t.rows(&["TLS-02"]));
    let bootstrap = k
        .setting("rotate-server-certificates", "serverTLSBootstrap")
        .is_some_and(|s| s.value == "true");
    let serving = k.setting("tls-cert-file", "tlsCertFile").is_some()
        && k.setting("tls-private-key-file", "tlsPrivateKeyFile")
            .is_some();
    if !bootstrap && !serving {
        if let Some((file, pos, path)) = k.anchor("serverTLSBootstrap") {
            out.at(("kubelet", "kubelet"), &file, pos, path, "kubelet has neither a serving certificate (tlsCertFile, tlsPrivateKeyFile) nor serverTLSBootstrap: it serves a self-signed certificate").rows(&["TLS-02"]);
        }
    }
    if let Some(s) = k.setting("tls-cipher-suites", "tlsCipherSuites") {
        let weak: Vec<&str> = s
            .value
            .split(',')
            .map(str::trim)
            .filter(|c| crate::support::node::weak_cipher(c))
            .collect();
        if !weak.is_empty() {
            out.at(
                ("kubelet", "kubelet"),
                &s.file,
                s.pos,
                s.path.clone(),
                format!("kubelet offers weak cipher suites: {}", weak.join(", ")),
            )
            .rows(&["TLS-01"]);
        }
    }
    match k.setting("tls-min-version", "tlsMinVersion") {
        Some(s) if s.value != "VersionTLS12" && s.value != "VersionTLS13" => {
            out.at(
                ("kubelet", "kubelet"),
                &s.file,
                s.pos,
                s.path,
                format!(
                    "kubelet accepts TLS from {}; use VersionTLS12 or VersionTLS13",
                    s.value
                ),
            )
            .rows(&["TLS-01"]);
        }
        Some(_) => {}
        None => {
            if let Some((file, pos, path)) = k.anchor("tlsMinVersion") {
                out.at(
                    ("kubelet", "kubelet"),
                    &file,
                    pos,
                    path,
                    "kubelet does not set tlsMinVersion; set VersionTLS12 or VersionTLS13",
                )
                .rows(&["TLS-01"]);
            }
        }
    }
}
