//! The node rules on the control plane a cluster shows: the static pods each
//! control-plane node's kubelet mirrors into `kube-system` (kube-apiserver,
//! kube-controller-manager, kube-scheduler, etcd) hold their flags, and the node
//! rules judge those flags as `kubeharden node` judges a manifest on the node's disk.
//! A finding names the mirror pod and the flag's place in its command. What only the
//! node's disk holds (the files the flags name, the kubelet's configuration, file
//! modes) is listed as not judged, and so is the whole control plane when the cluster
//! shows none (a managed one).

use std::collections::BTreeMap;

use kubeharden_cluster::ClusterView;
use kubeharden_load::Object;

use crate::context::{NodeCtx, NodeOut};
use crate::engine::{node_finding, ClusterResult};
use crate::rule::{Check, RuleEntry};
use crate::select::RuleSet;
use kubeharden_findings::SkippedChecks;

/// Node rules whose input is only on the node's disk: the kubelet's configuration,
/// file modes, kubeconfigs.
const ON_THE_NODE: &[&str] = &["KH740", "KH741", "KH742", "KH743", "KH750", "KH751"];

const RUN_ON_THE_NODE: &str =
    "the kubelet's configuration and the node's files are on its disk: run `kubeharden node` there";

fn node_name(pod: &Object) -> String {
    pod.root
        .get("spec")
        .and_then(|s| s.get("nodeName"))
        .and_then(|n| n.scalar_text())
        .unwrap_or("")
        .to_string()
}

impl RuleSet {
    /// Runs the node rules of this set on the control-plane pods of `view`, one node
    /// at a time. Only a live scan (or its snapshot) says that none is shown.
    pub fn check_control_plane(&self, view: &ClusterView) -> ClusterResult {
        let rules = self.control_plane_rules();
        let mut result = ClusterResult::default();
        if rules.is_empty() {
            return result;
        }
        let mut by_node: BTreeMap<String, Vec<Object>> = BTreeMap::new();
        for pod in &view.platform.control_plane_pods {
            by_node.entry(node_name(pod)).or_default().push(pod.clone());
        }
        if by_node.is_empty() {
            if let Some(live) = &view.live {
                let namespaces = &live.header.namespaces;
                let reason = if namespaces.is_empty()
                    || namespaces.iter().any(|n| n == "kube-system")
                {
                    "no control-plane pods are mirrored into kube-system (a managed control plane, or one run outside the cluster): run `kubeharden node` on its nodes"
                } else {
                    "kube-system, where the control-plane pods are, was not read (--namespace)"
                };
                result.skipped.push(SkippedChecks {
                    scope: "control plane".into(),
                    rules: rules.iter().map(|r| r.def.id).collect(),
                    reason: reason.into(),
                });
            }
            return result;
        }
        let version = view
            .live
            .as_ref()
            .and_then(|l| l.header.server_version.as_ref())
            .and_then(|v| v.numbers())
            .map(|(major, minor, _)| (major, minor));
        for (node, pods) in by_node {
            let scope = format!("node {node}");
            let node_view = kubeharden_node::from_static_pods(&pods, version);
            self.judge_node(&rules, &node_view, &pods, &scope, &mut result);
        }
        result.findings.retain(|f| self.admits(f));
        result
    }

    fn judge_node(
        &self,
        rules: &[&RuleEntry],
        node_view: &kubeharden_node::NodeView,
        pods: &[Object],
        scope: &str,
        result: &mut ClusterResult,
    ) {
        let ctx = NodeCtx {
            view: node_view,
            config: self.config,
        };
        let mut on_disk = Vec::new();
        for rule in rules {
            let Check::Node(check) = rule.def.check else {
                continue;
            };
            if ON_THE_NODE.contains(&rule.def.id) {
                on_disk.push(rule.def.id);
                continue;
            }
            let mut out = NodeOut::default();
            check(&ctx, &mut out);
            for (file, what) in out.unjudged.iter().chain(&out.unread) {
                result.skipped.push(SkippedChecks {
                    scope: scope.to_string(),
                    rules: vec![rule.def.id],
                    reason: format!("{what} is in {file}"),
                });
            }
            for v in out.violations {
                let mut finding = node_finding(rule, v);
                // About the mirror pod that holds the flag.
                if let Some(pod) = pods.iter().find(|p| p.file == finding.location.file) {
                    finding.resource = pod.resource.clone();
                }
                result.findings.push(finding);
            }
        }
        if !on_disk.is_empty() {
            result.skipped.push(SkippedChecks {
                scope: scope.to_string(),
                rules: on_disk,
                reason: RUN_ON_THE_NODE.into(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_named_is_a_node_rule() {
        for id in ON_THE_NODE {
            let rule = crate::find_rule(id).expect(id);
            assert!(matches!(rule.def.check, Check::Node(_)), "{id}");
        }
    }
}
