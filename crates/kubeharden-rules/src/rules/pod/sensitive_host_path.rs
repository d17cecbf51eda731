//! ## What it does
//! Flags `hostPath` volumes that mount a sensitive part of the node: `/`, `/etc`,
//! `/proc`, `/sys`, `/dev`, `/boot`, `/root`, `/home`, `/var/lib/kubelet`,
//! `/var/lib/etcd`, `/etc/kubernetes`, `/var/lib/docker`, `/var/lib/containerd`,
//! `/var/log`, `/run` or `/var/run`, container runtime sockets, and anything below
//! them.
//!
//! Severity and fix follow what the mount gives:
//! - **critical**: a takeover path on its own. The container runtime's socket (or
//!   a folder holding it, such as `/run`), the node's root, credentials or root's
//!   files (`/`, `/etc`, `/etc/kubernetes`, `/var/lib/kubelet`, `/var/lib/etcd`,
//!   `/root`, `/home`), or any other sensitive path that a container mounts writable;
//! - **high**: the node's processes, devices or runtime data mounted read-only
//!   (`/proc`, `/dev`, `/var/lib/containerd`);
//! - **medium**: logs, single configuration folders below `/etc`, `/sys` and state
//!   folders below `/run` mounted read-only, as log shippers, exporters and
//!   certificate bundles do;
//! - **low**: a lock file below `/run` (iptables' `/run/xtables.lock`, which
//!   kube-proxy and CNI plugins share with the node), or a volume no container mounts.
//!
//! Each finding's fix fits its path: remove a socket or the node's root, mount a
//! writable path read-only, narrow a read-only view, keep a shared lock file alone.
//!
//! A finding of this rule stands for KH103 on the same volume, and for KH134 where a
//! container mounts that volume writable (the finding names each such mount). Its
//! severity is its own: it knows the path and how it is mounted, which KH103 and
//! KH134 do not.
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
use crate::support::host_path;

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

/// What a mount of a sensitive path gives: it decides the finding's severity and fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exposure {
    /// A lock file below `/run` that node agents share with the node (iptables'
    /// `/run/xtables.lock`, which kube-proxy and CNI plugins must mount).
    LockFile,
    /// The container runtime's socket, or a folder that holds one.
    RuntimeSocket,
    /// The node's root, its credentials or root's files.
    Takeover,
    /// Any other sensitive path, mounted writable.
    Writable,
    /// A read-only view of the node's processes, devices or runtime data.
    NodeView,
    /// A read-only log, configuration or state folder (`/var/log`, `/etc/ssl`, `/sys`,
    /// `/run/udev`): what log shippers, exporters and certificate bundles mount.
    Narrow,
}

/// What a mount of the sensitive `path` gives.
fn exposure(path: &str, writable: bool) -> Exposure {
    let path = path.trim_end_matches('/');
    let socket = RUNTIME_SOCKETS
        .iter()
        .any(|s| within(s, path) || within(s.replace("/var/run", "/run").as_str(), path));
    let takeover =
        path.is_empty() || TAKEOVER[0] == path || TAKEOVER[1..].iter().any(|t| within(path, t));
    let lock = path.ends_with(".lock") && (within(path, "/run") || within(path, "/var/run"));
    let narrow = ["/var/log", "/etc", "/sys", "/run", "/var/run"];
    if lock {
        Exposure::LockFile
    } else if takeover {
        // Before the socket: `/` holds one too, but the node's root is what it gives.
        Exposure::Takeover
    } else if socket {
        Exposure::RuntimeSocket
    } else if writable {
        Exposure::Writable
    } else if narrow.iter().any(|n| within(path, n)) {
        Exposure::Narrow
    } else {
        Exposure::NodeView
    }
}

impl Exposure {
    fn severity(self) -> Severity {
        match self {
            Exposure::RuntimeSocket | Exposure::Takeover | Exposure::Writable => Severity::Critical,
            Exposure::NodeView => Severity::High,
            Exposure::Narrow => Severity::Medium,
            Exposure::LockFile => Severity::Low,
        }
    }

    /// The fix in one line, for `path`: what comes before and after it.
    fn fix(self, path: &str) -> String {
        let (before, after) = match self {
            Exposure::LockFile => ("Keep ", " only for kube-proxy or a CNI plugin, which share this lock with the node's iptables: mount the file alone (`type: FileOrCreate`) and record an exception; elsewhere remove the volume."),
            Exposure::RuntimeSocket => ("Remove the volume: ", " reaches the container runtime, which starts privileged containers on request; talk to the Kubernetes API instead."),
            Exposure::Takeover => ("Remove the volume: ", " holds the node's root or credentials; mount only the one file an agent needs, with `readOnly: true`."),
            Exposure::Writable => ("Mount ", " with `readOnly: true` in every container, or remove the volume."),
            Exposure::NodeView => ("Mount only the narrowest path below ", " the agent needs, with `readOnly: true`, or remove the volume."),
            Exposure::Narrow => ("Keep ", " read-only and as narrow as the agent needs, or remove the volume."),
        };
        format!("{before}`{path}`{after}")
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
        let (how, severity, fix) = match mounted(w, &volume.name) {
            // Defined but mounted by no container: nothing reaches it yet.
            Mounted::No => (
                "mounted by no container",
                Severity::Low,
                "Remove the volume: no container mounts it.".to_string(),
            ),
            mount => {
                let writable = mount == Mounted::Writable;
                let exposure = exposure(&host.path, writable);
                let how = if writable { "writable" } else { "read-only" };
                (how, exposure.severity(), exposure.fix(&host.path))
            }
        };
        out.at(
            spec_path(w, "volumes").index(i).key("hostPath").key("path"),
            format!(
                "volume {:?} mounts sensitive host path {:?} ({how})",
                volume.name, host.path
            ),
        )
        .severity(severity)
        .fix(fix);
    }
}

/// A sensitive host path is a host path volume too: one finding, this one, which
/// names the path and stands for KH103 on the same volume, and for KH134 on each
/// container that mounts that volume writable (in any container: init, regular or
/// ephemeral), which this finding already grades as writable.
pub const MERGE: Merge = Merge {
    absorbs: &["KH103", "KH134"],
    same: same_volume,
    combine: Some(name_writers),
    scope: Scope::Object,
    severity: MergedSeverity::Kept,
};

fn same_volume(kept: &Finding, other: &Finding) -> bool {
    match other.rule_id {
        "KH134" => host_path::mounts_volume_of(kept, other),
        _ => crate::merge::within(kept, other),
    }
}

/// "(writable)" becomes "(writable by container "app" at /host)": the mounts KH134
/// would have reported, each a place to set `readOnly: true`.
fn name_writers(kept: &mut Finding, others: &[Finding]) {
    if let Some(writers) = host_path::writers(others) {
        kept.message = kept.message.replace("(writable)", &format!("({writers})"));
    }
}

#[cfg(test)]
mod tests {
    use super::{exposure, is_sensitive};
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

    fn severity(path: &str, writable: bool) -> Severity {
        exposure(path, writable).severity()
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
        // Read-only views of the node's processes, devices and runtime data.
        assert_eq!(severity("/proc", false), Severity::High);
        assert_eq!(severity("/dev", false), Severity::High);
        assert_eq!(severity("/var/lib/containerd", false), Severity::High);
        // Logs, configuration and state folders, read-only.
        assert_eq!(severity("/var/log", false), Severity::Medium);
        assert_eq!(severity("/etc/ssl/certs", false), Severity::Medium);
        assert_eq!(severity("/sys", false), Severity::Medium);
        assert_eq!(severity("/run/udev", false), Severity::Medium);
        // Writable: critical, but for a lock file.
        assert_eq!(severity("/var/log", true), Severity::Critical);
        assert_eq!(severity("/proc", true), Severity::Critical);
        assert_eq!(severity("/run/udev", true), Severity::Critical);
        // iptables' lock, which kube-proxy and CNI plugins share with the node.
        assert_eq!(severity("/run/xtables.lock", true), Severity::Low);
        assert_eq!(severity("/var/run/xtables.lock", false), Severity::Low);
        // A lock file elsewhere is no shared lock.
        assert_eq!(severity("/etc/.pwd.lock", true), Severity::Critical);
    }

    #[test]
    fn the_fix_fits_the_path() {
        let fix = |path, writable| exposure(path, writable).fix(path);
        assert!(fix("/run/xtables.lock", true)
            .starts_with("Keep `/run/xtables.lock` only for kube-proxy"));
        assert!(fix("/var/run/docker.sock", false).contains("container runtime"));
        assert!(fix("/", false).contains("node's root or credentials"));
        assert!(fix("/var/log", true).starts_with("Mount `/var/log` with `readOnly: true`"));
        assert!(fix("/proc", false).contains("narrowest path below `/proc`"));
        assert!(fix("/etc/ssl/certs", false).starts_with("Keep `/etc/ssl/certs` read-only"));
    }
}
