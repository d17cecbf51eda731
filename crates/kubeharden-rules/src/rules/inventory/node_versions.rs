//! ## What it does
//! Flags nodes whose reported versions (`status.nodeInfo` of the Node objects) are out of support: a kubelet of a Kubernetes minor past its upstream end of life or with an announced kubelet vulnerability that a later patch fixed, a kubelet more minors behind the API server than the version-skew policy allows (3) or newer than it, a container runtime whose release line is no longer maintained (a containerd line past its end of life, a CRI-O line older than the oldest maintained Kubernetes minor), or Docker Engine through dockershim, removed in Kubernetes 1.24. One finding per node, naming each problem.
//!
//! The release data ships with kubeharden and is dated (`data/kubernetes-releases.json`, shared with KH904, as of 2026-12-02): the maintained Kubernetes minors are 1.35 to 1.37 (kubernetes.io release pages), and the maintained containerd lines 2.3 and later (containerd's RELEASES.md: 1.7 ended in September 2026, 2.2 on 2026-11-06). The API server's version comes from a live scan or its snapshot; without it the skew is measured from the newest kubelet of the scan. A kubelet behind its minor's newest patch is not flagged (nodes are patched on their own schedule; the API server's patch level is KH904's). Kernel and OS image versions are shown but not judged: distributions patch their kernels under old version numbers. Node objects come from a live scan or `kubectl get nodes -o yaml`; without them nothing is judged.
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
//!
//! No YAML snippet: an upgrade of the node's kubelet and runtime, not a change to a
//! manifest.

use crate::prelude::*;
use crate::support::releases::{releases, Version};

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

/// How many minors a kubelet may be behind the API server (version-skew policy).
const KUBELET_SKEW: u32 = 3;

/// What is wrong with a runtime version (`containerd://1.6.36`), if anything.
fn runtime_problem(runtime: &str) -> Option<String> {
    let (name, version) = runtime.split_once("://")?;
    let parsed = Version::parse(version)?;
    match name {
        "docker" => Some(format!(
            "container runtime {runtime} is Docker Engine through dockershim, removed in Kubernetes 1.24"
        )),
        "containerd" => {
            let ended = releases().containerd_end_of_life(parsed)?;
            Some(format!(
                "container runtime {runtime} is a containerd line no longer maintained (support ended: {ended}; release data as of {})",
                releases().as_of
            ))
        }
        // CRI-O follows Kubernetes' minors and their support.
        "cri-o" => {
            let oldest = releases().oldest_maintained()?;
            (parsed.major == 1 && parsed.minor < oldest.minor).then(|| {
                format!("container runtime {runtime} is a CRI-O line no longer maintained (oldest maintained: {oldest})")
            })
        }
        _ => None,
    }
}

/// The API server's version, from a live scan or its snapshot.
fn server_minor(ctx: &ClusterCtx<'_>) -> Option<Version> {
    let server = ctx.view.live.as_ref()?.header.server_version.as_ref()?;
    Version::parse(&server.git_version)
}

/// What is wrong with a kubelet's version: its minor or patch per the release data,
/// and its skew from the API server (else from the newest kubelet of the scan).
fn kubelet_problems(version: &str, reference: Option<(Version, &str)>) -> Vec<String> {
    let Some(kubelet) = Version::parse(version).filter(|v| v.major == 1) else {
        return Vec::new();
    };
    let data = releases();
    let verdict = data.judge(kubelet, "kubelet");
    let mut problems = Vec::new();
    if !verdict.newer_than_data {
        // A kubelet behind its minor's newest patch is not flagged here: nodes are
        // patched on their own schedule; the API server's patch level is KH904's.
        let found = crate::support::releases::Verdict {
            newer_patch: None,
            ..verdict
        };
        let words = found.problems(kubelet, &data.as_of);
        if !words.is_empty() {
            problems.push(format!("kubelet {version}: {}", words.join("; ")));
        }
    }
    if let Some((reference, what)) = reference {
        let behind = reference.minor.saturating_sub(kubelet.minor);
        if reference.major == 1 && behind > KUBELET_SKEW {
            problems.push(format!(
                "kubelet {version} is {behind} minors behind {what} (1.{}), beyond the skew policy's {KUBELET_SKEW}",
                reference.minor
            ));
        }
        if what == "the API server" && kubelet.minor > reference.minor {
            problems.push(format!(
                "kubelet {version} is newer than the API server (1.{}): the skew policy forbids it",
                reference.minor
            ));
        }
    }
    problems
}

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    let nodes = &ctx.view.nodes;
    let newest = nodes
        .iter()
        .filter_map(|n| Version::parse(n.kubelet_version.as_deref()?))
        .filter(|v| v.major == 1)
        .max();
    let reference = match server_minor(ctx) {
        Some(server) => Some((server, "the API server")),
        None => newest.map(|n| (n, "the newest kubelet")),
    };
    for node in nodes {
        let mut problems = Vec::new();
        match node.kubelet_version.as_deref() {
            None => out.not_judged(
                format!("Node {}", node.origin.resource.name),
                "it reports no status.nodeInfo.kubeletVersion",
            ),
            // A version that is no Kubernetes 1.x release cannot be judged: it is said,
            // never counted as a kubelet that passed.
            Some(version) if Version::parse(version).is_none_or(|v| v.major != 1) => out
                .not_judged(
                    format!("Node {}", node.origin.resource.name),
                    format!("its kubeletVersion {version:?} is not a Kubernetes 1.x version"),
                ),
            Some(version) => problems.extend(kubelet_problems(version, reference)),
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
        assert!(kubelet_problems("v2.0.0", None).is_empty());
        assert!(kubelet_problems("v1.33.5", None)[0]
            .contains("out of upstream support since 2026-06-28"));
        assert!(runtime_problem("containerd://1.6.36").is_some());
        assert!(runtime_problem("containerd://1.7.24").is_some());
        assert!(runtime_problem("containerd://2.2.9").is_some());
        assert!(runtime_problem("containerd://2.3.5").is_none());
        assert!(runtime_problem("containerd://2.4.0").is_none());
        assert!(runtime_problem("docker://20.10.7").is_some());
        assert!(runtime_problem("cri-o://1.30.1").is_some());
        assert!(runtime_problem("cri-o://1.36.0").is_none());
        assert!(runtime_problem("unknown").is_none());
    }
}
