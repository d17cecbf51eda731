//! ## What it does
//! Flags a scan whose network plugin, seen from its pods' images, does not enforce
//! NetworkPolicy: flannel or the AWS VPC CNI alone, without Calico (Canal), Cilium,
//! Antrea, Weave Net, kube-router, the AWS network policy agent or Azure Network
//! Policy Manager beside it. Where the scan holds no plugin's pods it says nothing:
//! the plugin is installed outside what it sees.
//!
//! In a whole cluster (a live scan, or a dump with Nodes or kube-system workloads) whose
//! plugins all enforce no NetworkPolicy, every other NetworkPolicy finding says so as
//! well, in its message: fixing a policy there changes nothing until the plugin does.
//! In some manifests of an application the cluster's plugin is not seen, and the
//! findings say nothing of it. kind's kindnet is not judged: only its later releases
//! enforce NetworkPolicy, and its image does not tell which runs.
//!
//! ## Why it matters
//! NetworkPolicy objects are only instructions to the network plugin. A plugin that
//! does not implement them accepts every policy and enforces none: every namespace
//! looks isolated in review and is open in fact. The guidance asks for a plugin that
//! supports the NetworkPolicy API.
//!
//! ## Example
//! A kube-flannel DaemonSet (`ghcr.io/flannel-io/flannel`) beside default-deny
//! NetworkPolicies.
//!
//! ## Fix
//! Install a plugin that enforces NetworkPolicy, or add one beside flannel (Canal:
//! Calico for policy, flannel for the network), or enable the AWS VPC CNI's network
//! policy agent.
//!
//! No YAML snippet: the fix is to install or configure a network plugin, with its own
//! project's manifests, not a change to the scanned objects.

use crate::prelude::*;
use kubeharden_cluster::plugins::network_plugins;

pub const RULE: RuleDef = RuleDef {
    id: "KH517",
    name: "network-policy-not-enforced",
    title: "Network plugin does not enforce NetworkPolicy",
    severity: Severity::High,
    guidance: &["NP-01"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1046",
        name: "Network Service Discovery",
    }),
    check: Check::Cluster(check),
};

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    let plugins = network_plugins(ctx.view);
    if plugins.is_empty() {
        // Manifests seldom show the network plugin: nothing is guessed, nor passed.
        out.no_subject();
        return;
    }
    // Only when every plugin seen is known not to enforce: the AWS VPC CNI with its
    // policy agent may, depending on a flag the scan does not read.
    if plugins
        .iter()
        .any(|p| p.enforces_network_policy != Some(false))
    {
        return;
    }
    let policies = ctx.view.policies.len();
    for plugin in &plugins {
        let effect = match policies {
            0 => "NetworkPolicies would have no effect".to_string(),
            n => format!("the scan's {n} NetworkPolicies have no effect"),
        };
        let tag = out.at_pod_labels(
            plugin.pod,
            format!(
                "the network plugin is {} ({} {}), which does not enforce NetworkPolicy: {effect}",
                plugin.name, plugin.pod.origin.resource.kind, plugin.pod.origin.resource.name
            ),
        );
        // Without policies to lose, the gap is that none can be added.
        if policies == 0 {
            tag.severity(Severity::Medium);
        }
    }
}
