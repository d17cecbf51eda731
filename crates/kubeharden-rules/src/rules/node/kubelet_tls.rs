//! ## What it does
//! Flags a kubelet that does not rotate its client certificate
//! (`rotateCertificates`), that has neither a serving certificate (`tlsCertFile` and
//! `tlsPrivateKeyFile`) nor `serverTLSBootstrap`, that does not set `tlsMinVersion` to TLS 1.2 or 1.3, or that offers broken cipher suites.
//! A setting no flag gives, when the config file cannot be read, is not judged: that
//! is an error naming the file.
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
//! Serve the kubelet's API with a rotated, cluster-signed certificate and TLS 1.2 or later, in its configuration file:
//! ```yaml
//! rotateCertificates: true
//! serverTLSBootstrap: true
//! tlsMinVersion: VersionTLS12
//! ```

use kubeharden_node::{Kubelet, Setting, Unjudged};

use crate::prelude::*;
use crate::support::node::{check_kubelet, kubelet_setting};

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
    serving_certificate(k, out);
    if let Ok(Some(s)) = kubelet_setting(k, "tls-cipher-suites", "tlsCipherSuites", out) {
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
    let Ok(min_version) = kubelet_setting(k, "tls-min-version", "tlsMinVersion", out) else {
        return;
    };
    match min_version {
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

/// A serving certificate, or `serverTLSBootstrap` to get one. Either passes; only when
/// neither is known to be there can an unreadable config file leave it unjudged.
fn serving_certificate(k: &Kubelet, out: &mut NodeOut) {
    let bootstrap = k.lookup("rotate-server-certificates", "serverTLSBootstrap");
    let cert = k.lookup("tls-cert-file", "tlsCertFile");
    let key = k.lookup("tls-private-key-file", "tlsPrivateKeyFile");
    let set = |r: &Result<Option<Setting>, Unjudged>| matches!(r, Ok(Some(_)));
    if matches!(&bootstrap, Ok(Some(s)) if s.value == "true") || (set(&cert) && set(&key)) {
        return;
    }
    if let Some(e) = [&bootstrap, &cert, &key]
        .into_iter()
        .find_map(|r| r.as_ref().err())
    {
        out.cannot_judge(
            &e.file,
            "serverTLSBootstrap (or tlsCertFile and tlsPrivateKeyFile)",
        );
        return;
    }
    if let Some((file, pos, path)) = k.anchor("serverTLSBootstrap") {
        out.at(("kubelet", "kubelet"), &file, pos, path, "kubelet has neither a serving certificate (tlsCertFile, tlsPrivateKeyFile) nor serverTLSBootstrap: it serves a self-signed certificate").rows(&["TLS-02"]);
    }
}
