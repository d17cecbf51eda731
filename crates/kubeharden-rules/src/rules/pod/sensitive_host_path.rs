//! ## What it does
//! Flags `hostPath` volumes that mount a sensitive part of the node: `/`, `/etc`,
//! `/proc`, `/sys`, `/dev`, `/boot`, `/root`, `/home`, `/var/lib/kubelet`,
//! `/var/lib/etcd`, `/etc/kubernetes`, `/var/lib/docker`, `/var/lib/containerd`,
//! `/var/log`, `/run` or `/var/run`, container runtime sockets, and anything below
//! them.
//!
//!
//! Severity follows what the mount gives:
//! - **critical**: a takeover path on its own. The container runtime's socket (or
//!   a folder holding it, such as `/run`), the node's root, credentials or root's
//!   files (`/`, `/etc`, `/etc/kubernetes`, `/var/lib/kubelet`, `/var/lib/etcd`,
//!   `/root`, `/home`), or any sensitive path that a container mounts writable;
//! - **high**: the rest mounted read-only (`/proc`, `/sys`, `/dev`, runtime data);
//! - **medium**: logs and single configuration folders below `/etc` mounted
//!   read-only, as log shippers and certificate bundles do.
//!
//! A finding of this rule stands for KH103 on the same volume.
//!
//! ## Why it matters
//! These paths hold the node's credentials (kubelet and etcd keys), its
//! configuration, other pods' data and logs, and the container runtime's socket,
//! which starts privileged containers on request. Mounting them writable, or the
//! runtime socket at all, is a direct path to node and cluster takeover.
//!
//! ## Example
//! ```yaml
//! volumes:
//! - name: docker
//!   hostPath:
//!     path: /var/run/docker.sock
//! ```
//!
//! ## Fix
//! Remove the volume. Talk to the Kubernetes API instead of the runtime, and give
//! node agents only the narrowest path they need, mounted `readOnly: true`.
//! ```yaml
//! volumeMounts:
//! - name: logs
//!   mountPath: /var/log/node
//!   readOnly: true   # a node agent: the narrowest path, read-only
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH133",
    name: "sensitive-host-path",
    title: "Pod mounts a sensitive host path",
    severity: Severity::Critical,
    guidance: &["POD-16"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1611",
        name: "Escape to Host",
    }),
    check: Check::Workload(check),
};

const SENSITIVE: [&str; 20] = [
    "/etc",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/root",
    "/home",
    "/var/lib/kubelet",
    "/var/lib/etcd",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/lib/crio",
    "/var/log",
    "/run",
    "/var/run",
    "/run/containerd/containerd.sock",
    "/var/run/docker.sock",
    "/var/run/crio/crio.sock",
    "/var/run/cri-dockerd.sock",
    "/etc/kubernetes",
];

/// `/` itself, or a sensitive path or anything below one.
fn is_sensitive(path: &str) -> bool {
    let trimmed = path.trim_end_matches('/');
    trimmed.is_empty()
        || SENSITIVE.iter().any(|s| {
            trimmed == *s
                || trimmed
                    .strip_prefix(s)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
}

/// Paths that are a takeover path even read-only: the node's root, its credentials
/// and root's files. A runtime socket or a folder above one counts too.
const TAKEOVER: [&str; 7] = [
    "/etc",
    "/etc/kubernetes",
    "/var/lib/kubelet",
    "/var/lib/etcd",
    "/root",
    "/home",
    "/etc/shadow",
];

const RUNTIME_SOCKETS: [&str; 4] = [
    "/run/containerd/containerd.sock",
    "/var/run/docker.sock",
    "/var/run/crio/crio.sock",
    "/var/run/cri-dockerd.sock",
];

/// Whether `path` is `base` or below it.
fn within(path: &str, base: &str) -> bool {
    path == base || path.strip_prefix(base).is_some_and(|r| r.starts_with('/'))
}

/// How severe a mount of the sensitive `path` is.
fn severity(path: &str, writable: bool) -> Severity {
    let path = path.trim_end_matches('/');
    let socket = RUNTIME_SOCKETS
        .iter()
        .any(|s| within(s, path) || within(s.replace("/var/run", "/run").as_str(), path));
    let takeover =
        path.is_empty() || TAKEOVER[0] == path || TAKEOVER[1..].iter().any(|t| within(path, t));
    if socket || takeover || writable {
        Severity::Critical
    } else if within(path, "/var/log") || within(path, "/etc") {
        Severity::Medium
    } else {
        Severity::High
    }
}

/// How the containers mount the volume: not at all, read-only, or writable by one.
#[derive(PartialEq)]
enum Mounted {
    No,
    ReadOnly,
    Writable,
}

fn mounted(w: &Workload<'_>, volume: &str) -> Mounted {
    let mounts: Vec<_> = w
        .containers()
        .flat_map(|c| c.container.volume_mounts.iter().flatten())
        .filter(|m| m.name == volume)
        .map(|m| m.read_only == Some(true))
        .collect();
    match (mounts.is_empty(), mounts.iter().all(|ro| *ro)) {
        (true, _) => Mounted::No,
        (false, true) => Mounted::ReadOnly,
        (false, false) => Mounted::Writable,
    }
}

fn check(w: &Workload<'_>, out: &mut Out) {
    for (i, volume) in w.spec.volumes.iter().flatten().enumerate() {
        let Some(host) = volume
            .host_path
            .as_ref()
            .filter(|h| h.path.starts_with('/') && is_sensitive(&h.path))
        else {
            continue;
        };
        let mount = mounted(w, &volume.name);
        let (how, severity) = match mount {
            // Defined but mounted by no container: nothing reaches it yet.
            Mounted::No => ("mounted by no container", Severity::Low),
            Mounted::ReadOnly => ("read-only", severity(&host.path, false)),
            Mounted::Writable => ("writable", severity(&host.path, true)),
        };
        out.at(
            spec_path(w, "volumes").index(i).key("hostPath").key("path"),
            format!(
                "volume {:?} mounts sensitive host path {:?} ({how})",
                volume.name, host.path
            ),
        )
        .severity(severity);
    }
}

/// A sensitive host path is a host path volume too: one finding, this one, which
/// names the path and stands for KH103 on the same volume.
pub const MERGE: Merge = Merge {
    absorbs: &["KH103"],
    same: crate::merge::within,
    combine: None,
    scope: Scope::Object,
};

#[cfg(test)]
mod tests {
    use super::{is_sensitive, severity};
    use kubeharden_findings::Severity;

    #[test]
    fn matches_whole_path_components() {
        assert!(is_sensitive("/"));
        assert!(is_sensitive("/etc/"));
        assert!(is_sensitive("/var/run/docker.sock"));
        assert!(is_sensitive("/var/lib/kubelet/pods"));
        assert!(!is_sensitive("/etcetera"));
        assert!(!is_sensitive("/data/app"));
    }

    #[test]
    fn severity_follows_what_the_mount_gives() {
        // Runtime sockets and the folders holding them: critical even read-only.
        assert_eq!(severity("/var/run/docker.sock", false), Severity::Critical);
        assert_eq!(severity("/run", false), Severity::Critical);
        assert_eq!(severity("/run/containerd", false), Severity::Critical);
        assert_eq!(severity("/var/run/crio/", false), Severity::Critical);
        // Root, credentials, root's files.
        assert_eq!(severity("/", false), Severity::Critical);
        assert_eq!(severity("/etc", false), Severity::Critical);
        assert_eq!(severity("/etc/kubernetes/pki", false), Severity::Critical);
        assert_eq!(severity("/var/lib/kubelet/pods", false), Severity::Critical);
        assert_eq!(severity("/root/.ssh", false), Severity::Critical);
        // Read-only views of the node.
        assert_eq!(severity("/proc", false), Severity::High);
        assert_eq!(severity("/sys", false), Severity::High);
        assert_eq!(severity("/var/lib/containerd", false), Severity::High);
        assert_eq!(severity("/run/udev", false), Severity::High);
        // Logs and a configuration folder, read-only.
        assert_eq!(severity("/var/log", false), Severity::Medium);
        assert_eq!(severity("/etc/ssl/certs", false), Severity::Medium);
        // Writable: always critical.
        assert_eq!(severity("/var/log", true), Severity::Critical);
        assert_eq!(severity("/proc", true), Severity::Critical);
    }
}
