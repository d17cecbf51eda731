//! ## What it does
//! Flags kubeconfig files whose users embed a bearer token or password, or run an
//! `exec` or `auth-provider` plugin. It reads the kubeconfigs under `/etc/kubernetes`,
//! k3s's and RKE2's (`/etc/rancher/{k3s/k3s,rke2/rke2}.yaml`), users'
//! (`/root/.kube/config`, `/home/*/.kube/config`), the kubelet's `--kubeconfig`, and
//! those `kubeharden node --kubeconfig` names. Values are never printed.
//!
//! ## Why it matters
//! A token in a kubeconfig is a credential anyone who reads the file can use from
//! anywhere. Exec and auth-provider plugins run a command every time the file is
//! used: a place to hide persistence.
//!
//! ## Example
//! ```yaml
//! users:
//! - name: admin
//!   user:
//!     token: eyJhbGciOi...
//! ```
//!
//! ## Fix
//! Use client certificates that are rotated (kubeadm does), or short-lived tokens from
//! an identity provider, and keep exec plugins to reviewed binaries.
//! ```yaml
//! # a kubeconfig user that gets short-lived tokens from the identity provider
//! users:
//! - name: alice
//!   user:
//!     exec:
//!       apiVersion: client.authentication.k8s.io/v1
//!       command: kubectl
//!       args: [oidc-login, get-token, --oidc-issuer-url=https://issuer.example.com, --oidc-client-id=kubernetes]
//!       interactiveMode: IfAvailable
//! ```

use kubeharden_yaml::Node;

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH751",
    name: "kubeconfig-embedded-credentials",
    title: "Kubeconfig embeds a token or password, or runs a plugin",
    severity: Severity::Medium,
    guidance: &["KCFG-02"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1552.001",
        name: "Unsecured Credentials: Credentials In Files",
    }),
    check: Check::Node(check),
};

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    for (file, root) in &ctx.view.kubeconfigs {
        for (i, user) in root
            .get("users")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let name = user.get("name").and_then(Node::scalar_text).unwrap_or("?");
            let Some(fields) = user.get("user") else {
                continue;
            };
            for (key, what) in [
                ("token", "a bearer token (redacted)"),
                ("password", "a password (redacted)"),
                ("exec", "an exec plugin"),
                ("auth-provider", "an auth-provider plugin"),
            ] {
                if fields.get(key).is_some() {
                    let path = FieldPath::parse("users").index(i).key("user").key(key);
                    let command = if key == "exec" {
                        fields
                            .get("exec")
                            .and_then(|e| e.get("command"))
                            .and_then(Node::scalar_text)
                            .map(|c| format!(" ({c})"))
                            .unwrap_or_default()
                    } else {
                        String::new()
                    };
                    out.at_in(
                        ("kubeconfig", name),
                        file,
                        root,
                        path,
                        format!("kubeconfig user {name:?} uses {what}{command}"),
                    );
                }
            }
        }
    }
}
