//! ## What it does
//! Flags nodes whose reported versions (`status.nodeInfo` of the Node objects) are out of support: a kubelet older than the oldest Kubernetes minor still maintained upstream, a kubelet more minors behind the newest kubelet of the scan than the version-skew policy allows (3), a container runtime whose release line is no longer maintained (containerd before 1.7, CRI-O older than the oldest maintained Kubernetes minor), or Docker Engine through dockershim, removed in Kubernetes 1.24. One finding per node, naming each problem.
//!
//! The support data ships with kubeharden and is dated (see `SUPPORT_DATA_DATE`): as of 2026-12-01 the maintained Kubernetes minors are 1.35 to 1.37, and containerd's maintained lines 1.7 and 2.x. Kernel and OS image versions are shown but not judged: distributions patch their kernels under old version numbers. Node objects come from a live scan or `kubectl get nodes -o yaml`; without them nothing is judged.
//!
//! ## Why it matters
//! An unmaintained kubelet or runtime gets no fixes for the vulnerabilities found in it since, and a kubelet too far behind the control plane runs outside what Kubernetes tests. The guidance asks that nodes, their container runtime and plugins be kept updated.
//!
//! ## Example
//! ```yaml
//! kind: Node
//! metadata: {name: worker-3}
//! status:
//!   nodeInfo: {kubeletVersion: v1.31.4, containerRuntimeVersion: containerd://1.6.36}
//! ```
//!
//! ## Fix
//! Drain and upgrade the node (or replace it from a current image) to a maintained kubelet and runtime, one minor at a time, within three minors of the API server.

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH903",
    name: "node-versions-unsupported",
    title: "Node kubelet or container runtime out of support",
    severity: Severity::High,
    guidance: &["UPG-02"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1190",
        name: "Exploit Public-Facing Application",
    }),
    check: Check::Cluster(check),
};

/// When the support data below was last checked against the upstream release pages.
pub const SUPPORT_DATA_DATE: &str = "2026-12-01";
/// The oldest Kubernetes minor (1.x) still maintained upstream on that date.
const OLDEST_MAINTAINED_MINOR: u64 = 35;
/// How many minors a kubelet may be behind the API server (version-skew policy).
const KUBELET_SKEW: u64 = 3;
/// containerd release lines maintained on that date: 1.7 and 2.x.
const CONTAINERD_OLDEST: (u64, u64) = (1, 7);

/// `major.minor.patch` of a version such as `v1.37.2-eks-1234`, `1.7.24`, `2.0.0-rc.1`.
fn parse(version: &str) -> Option<(u64, u64)> {
    let mut parts = version.trim_start_matches('v').split(['.', '-', '+']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

fn kubelet_minor(version: &str) -> Option<u64> {
    match parse(version)? {
        (1, minor) => Some(minor),
        _ => None,
    }
}

/// What is wrong with a runtime version (`containerd://1.6.36`), if anything.
fn runtime_problem(runtime: &str) -> Option<String> {
    let (name, version) = runtime.split_once("://")?;
    let parsed = parse(version)?;
    match name {
        "docker" => Some(format!(
            "container runtime {runtime} is Docker Engine through dockershim, removed in Kubernetes 1.24"
        )),
        "containerd" if parsed < CONTAINERD_OLDEST => Some(format!(
            "container runtime {runtime} is a containerd line no longer maintained (oldest maintained: {}.{})",
            CONTAINERD_OLDEST.0, CONTAINERD_OLDEST.1
        )),
        "cri-o" if parsed.0 == 1 && parsed.1 < OLDEST_MAINTAINED_MINOR => Some(format!(
            "container runtime {runtime} is a CRI-O line no longer maintained (oldest maintained: 1.{OLDEST_MAINTAINED_MINOR})"
        )),
        _ => None,
    }
}

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    let nodes = &ctx.view.nodes;
    let newest = nodes
        .iter()
        .filter_map(|n| kubelet_minor(n.kubelet_version.as_deref()?))
        .max();
    for node in nodes {
        let mut problems = Vec::new();
        match node.kubelet_version.as_deref() {
            None => out.not_judged(
                format!("Node {}", node.origin.resource.name),
                "it reports no status.nodeInfo.kubeletVersion",
            ),
            Some(version) => {
                if let Some(minor) = kubelet_minor(version) {
                    if minor < OLDEST_MAINTAINED_MINOR {
                        problems.push(format!(
                            "kubelet {version} is a minor no longer maintained (oldest maintained: 1.{OLDEST_MAINTAINED_MINOR}, as of {SUPPORT_DATA_DATE})"
                        ));
                    }
                    if let Some(newest) = newest.filter(|n| n - minor > KUBELET_SKEW) {
                        problems.push(format!(
                            "kubelet {version} is {} minors behind the newest kubelet (1.{newest}), beyond the skew policy's {KUBELET_SKEW}",
                            newest - minor
                        ));
                    }
                }
            }
        }
        problems.extend(
            node.container_runtime_version
                .as_deref()
                .and_then(runtime_problem),
        );
        if problems.is_empty() {
            continue;
        }
        let context = [&node.kernel_version, &node.os_image]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        let message = format!(
            "Node {}: {}{}",
            node.origin.resource.name,
            problems.join("; "),
            if context.is_empty() {
                String::new()
            } else {
                format!(" (kernel and OS: {context}, not judged)")
            }
        );
        out.at(
            &node.origin,
            &node.root,
            FieldPath::parse("status.nodeInfo"),
            message,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_versions_and_judges_runtimes() {
        assert_eq!(parse("v1.37.2-eks-1234"), Some((1, 37)));
        assert_eq!(parse("2.0.0-rc.1"), Some((2, 0)));
        assert_eq!(kubelet_minor("v2.0.0"), None);
        assert!(runtime_problem("containerd://1.6.36").is_some());
        assert!(runtime_problem("containerd://1.7.24").is_none());
        assert!(runtime_problem("containerd://2.1.0").is_none());
        assert!(runtime_problem("docker://20.10.7").is_some());
        assert!(runtime_problem("cri-o://1.30.1").is_some());
        assert!(runtime_problem("cri-o://1.36.0").is_none());
        assert!(runtime_problem("unknown").is_none());
    }
}
