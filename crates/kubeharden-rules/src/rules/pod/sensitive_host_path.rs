//! ## What it does
//! Flags `hostPath` volumes that mount a sensitive part of the node: `/`, `/etc`,
//! `/proc`, `/sys`, `/dev`, `/boot`, `/root`, `/home`, `/var/lib/kubelet`,
//! `/var/lib/etcd`, `/etc/kubernetes`, `/var/lib/docker`, `/var/lib/containerd`,
//! `/var/log`, `/run` or `/var/run`, container runtime sockets, and anything below
//! them.
//!
//! ## Why it matters
//! These paths hold the node's credentials (kubelet and etcd keys), its
//! configuration, other pods' data and logs, and the container runtime's socket,
//! which starts privileged containers on request. Mounting any of them is a direct
//! path to node and cluster takeover.
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

fn check(w: &Workload<'_>, out: &mut Out) {
    for (i, volume) in w.spec.volumes.iter().flatten().enumerate() {
        if let Some(host) = volume
            .host_path
            .as_ref()
            .filter(|h| h.path.starts_with('/') && is_sensitive(&h.path))
        {
            out.at(
                spec_path(w, "volumes").index(i).key("hostPath").key("path"),
                format!(
                    "volume {:?} mounts sensitive host path {:?}",
                    volume.name, host.path
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_sensitive;

    #[test]
    fn matches_whole_path_components() {
        assert!(is_sensitive("/"));
        assert!(is_sensitive("/etc/"));
        assert!(is_sensitive("/var/run/docker.sock"));
        assert!(is_sensitive("/var/lib/kubelet/pods"));
        assert!(!is_sensitive("/etcetera"));
        assert!(!is_sensitive("/data/app"));
    }
}
