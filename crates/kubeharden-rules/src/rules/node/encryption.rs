//! ## What it does
//! Flags a kube-apiserver that does not encrypt Secrets at rest. That means no
//! `--encryption-provider-config`, a configuration that does not cover `secrets`, or
//! `identity` (no encryption) as the first provider for them. When the first provider
//! keeps its key in the file (`aescbc`, `aesgcm`, `secretbox`), it reports that a KMS
//! provider (v2) is preferred.
//!
//! ## Why it matters
//! Secrets are only base64 in etcd unless encrypted. Anyone with a copy of etcd or of
//! its backups reads every credential. A key stored in the configuration file next to
//! etcd "only slightly improves security", as the guidance says; KMS keeps the key off
//! the node.
//!
//! ## Example
//! ```yaml
//! resources:
//! - resources: [secrets]
//!   providers:
//!   - identity: {}
//!   - aescbc: {keys: [...]}
//! ```
//!
//! ## Fix
//! Put a `kms` (apiVersion `v2`) provider first for `secrets`, keep `identity` last as
//! a read fallback only, and rewrite existing Secrets afterwards.
//! ```yaml
//! # the file --encryption-provider-config names
//! apiVersion: apiserver.config.k8s.io/v1
//! kind: EncryptionConfiguration
//! resources:
//! - resources: [secrets]
//!   providers:
//!   - kms:
//!       apiVersion: v2
//!       name: cloud-kms
//!       endpoint: unix:///var/run/kmsplugin/socket.sock
//!   - identity: {}
//! ```

use kubeharden_node::{ComponentKind, FileKind};
use kubeharden_yaml::Node;

use crate::prelude::*;
use crate::support::node::report;

pub const RULE: RuleDef = RuleDef {
    id: "KH710",
    name: "secrets-not-encrypted-at-rest",
    title: "Secrets are not encrypted at rest (or not with KMS)",
    severity: Severity::High,
    guidance: &["SEC-02", "SEC-03", "SEC-04"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1552",
        name: "Unsecured Credentials",
    }),
    check: Check::Node(check),
};

fn covers_secrets(entry: &Node) -> bool {
    entry
        .get("resources")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::scalar_text)
        .any(|r| r == "secrets" || r == "*.*" || r == "*.")
}

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    let Some(api) = ctx.view.component(ComponentKind::ApiServer) else {
        return;
    };
    if api.value("encryption-provider-config").is_none() {
        report(api, "encryption-provider-config", "kube-apiserver sets no --encryption-provider-config: Secrets are stored unencrypted in etcd".into(), out).rows(&["SEC-02"]);
        return;
    }
    let Some((file, root)) = &ctx.view.encryption_config else {
        // Named but unusable (an error says why): neither a pass nor a guess.
        for (_, file) in ctx
            .view
            .unusable
            .iter()
            .filter(|(k, _)| *k == FileKind::EncryptionConfig)
        {
            out.cannot_judge_file(file, "the encryption configuration");
        }
        return;
    };
    let what = ("EncryptionConfiguration", "encryption-config");
    let entries = root.get("resources").map(Node::items).unwrap_or_default();
    let Some((i, entry)) = entries.iter().enumerate().find(|(_, e)| covers_secrets(e)) else {
        out.at(
            what,
            file,
            root.pos,
            FieldPath::parse("resources"),
            "the encryption configuration does not cover secrets",
        )
        .rows(&["SEC-02", "SEC-03"]);
        return;
    };
    let first = entry.get("providers").and_then(|p| p.items().first());
    let provider = first
        .and_then(|p| p.entries().first())
        .and_then(|e| e.key.scalar_text())
        .unwrap_or("");
    let path = FieldPath::parse("resources").index(i).join("providers[0]");
    let pos = root.locate(&path).pos;
    match provider {
        "identity" | "" => {
            out.at(
                what,
                file,
                pos,
                path,
                "the first provider for secrets is identity: new Secrets are written unencrypted",
            )
            .rows(&["SEC-03"]);
        }
        "kms" => {
            let version = first
                .and_then(|p| p.get("kms"))
                .and_then(|k| k.get("apiVersion"))
                .and_then(Node::scalar_text)
                .unwrap_or("v1");
            if version != "v2" {
                out.at(
                    what,
                    file,
                    pos,
                    path,
                    "secrets use KMS v1, which is deprecated; use KMS v2 (apiVersion: v2)",
                )
                .rows(&["SEC-04"])
                .severity(Severity::Low);
            }
        }
        other => {
            out.at(what, file, pos, path, format!("secrets are encrypted with {other}, whose key sits in this file on the node; prefer a KMS v2 provider")).rows(&["SEC-04"]).severity(Severity::Medium);
        }
    }
}
