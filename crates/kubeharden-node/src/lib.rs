//! A node's configuration, as `kubeharden node` audits it.
//!
//! [`discover`] reads a node's filesystem under a root folder (`/`, or `/host` in a
//! DaemonSet):
//! - the static pod manifests of kube-apiserver, kube-controller-manager,
//!   kube-scheduler and etcd, with each flag's line and column;
//! - the kubelet's config file and flags (`kubeadm-flags.env`, systemd drop-ins; a flag
//!   overrides the file). The config file is the one `--config` (or `--kubelet-config`)
//!   names; when a drop-in starts the kubelet without `--config`, there is none and the
//!   flags' defaults apply. Only when no drop-in gives the command line is kubeadm's
//!   `/var/lib/kubelet/config.yaml` assumed;
//! - the kubeconfigs: under `etc/kubernetes/`, k3s's and RKE2's, users'
//!   (`root/.kube/config`, `home/*/.kube/config`), the kubelet's, and any named;
//! - the PKI folder and the etcd data folder;
//! - the audit policy, encryption configuration and authorization configuration that
//!   the API server's flags name, resolved through the pod's hostPath mounts;
//! - the running processes' command lines (`proc/*/cmdline`) when no manifest is found.
//!
//! Everything becomes a [`NodeView`] with positions, which the node rules of the
//! catalog read. A file that is there but unreadable, empty or not valid YAML is an
//! error naming it and why (with the line and column of a syntax error), never taken
//! for an absent one; the rest is still audited. Files are read as the node sees them:
//! links resolve inside the root (never outside it), and each read is capped in size.

#![forbid(unsafe_code)]

mod component;
mod discover;
mod files;
mod kubelet;
mod manifest;
mod read;
mod rooted;

pub use component::{Component, ComponentKind, Flag};
pub use discover::{discover, from_static_pods, parse_version, NodeInputs, NodeView};
pub use files::{FileFact, FileKind};
pub use kubeharden_policy::audit::{AuditLevel, AuditPolicy, AuditProbe};
pub use kubelet::{Kubelet, Setting, Unjudged};
