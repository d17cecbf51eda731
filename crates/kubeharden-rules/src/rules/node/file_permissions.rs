//! ## What it does
//! Flags configuration files of the node whose mode is looser than their kind allows,
//! or whose owner is not root (or the `--owner-uid` given). A kubeconfig in a home
//! folder (`/home/alice/.kube/config`) may also be owned by that folder's owner. The
//! limits are:
//! - 600 for kubeconfigs, private keys, static pod manifests, the kubelet config, the
//!   encryption configuration and the audit policy;
//! - 644 for certificates;
//! - 700 for the etcd data folder.
//!
//! ## Why it matters
//! These files are the cluster's credentials and configuration. A world-readable
//! `admin.conf` or `sa.key` makes any local user cluster-admin. A writable manifest lets
//! them change the API server's flags. The guidance asks that kubeconfigs be protected
//! from modification and from unauthenticated users.
//!
//! ## Example
//! `-rw-r--r-- root root /etc/kubernetes/admin.conf`
//!
//! ## Fix
//! `chmod 600` the file (`700` for the etcd folder) and `chown root:root` it.
//!
//! No YAML snippet: file modes and owners are set on the node's disk (`chmod`,
//! `chown`), not in a manifest.

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH750",
    name: "node-file-permissions",
    title: "Node configuration file is too permissive or not root-owned",
    severity: Severity::High,
    guidance: &["KCFG-01"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1552.001",
        name: "Unsecured Credentials: Credentials In Files",
    }),
    check: Check::Node(check),
};

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    for f in &ctx.view.files {
        let file: std::sync::Arc<str> = f.shown.as_str().into();
        let what = ("file", f.path.as_str());
        let start = kubeharden_yaml::Pos::new(1, 1);
        if f.excess_mode() != 0 {
            out.at(
                what,
                &file,
                start,
                FieldPath::root(),
                format!(
                    "{} {} has mode {:o}; it should be {:o} or stricter",
                    f.kind.describe(),
                    f.path,
                    f.mode & 0o777,
                    f.kind.max_mode()
                ),
            );
        }
        if f.uid != ctx.config.node_owner_uid && f.home_owner != Some(f.uid) {
            out.at(
                what,
                &file,
                start,
                FieldPath::root(),
                format!(
                    "{} {} is owned by uid {}, not {}{}",
                    f.kind.describe(),
                    f.path,
                    f.uid,
                    ctx.config.node_owner_uid,
                    f.home_owner
                        .map(|uid| format!(" or the home folder's owner {uid}"))
                        .unwrap_or_default()
                ),
            );
        }
    }
}
