//! The node rules on the control plane a cluster shows: the static pods each
//! control-plane node's kubelet mirrors into `kube-system` (kube-apiserver,
//! kube-controller-manager, kube-scheduler, etcd) hold their flags, and the node
//! rules judge those flags as `kubeharden node` judges a manifest on the node's disk.
//! A finding names the mirror pod and the flag's place in its command. What only the
//! node's disk holds (the files the flags name, the kubelet's configuration, file
//! modes) is listed as not judged, and so is the whole control plane when the cluster
//! shows none (a managed one).

use std::collections::{BTreeMap, BTreeSet};

use kubeharden_node::ComponentKind;

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

/// The components whose flags each other node rule reads: a rule is judged only
/// where every one of them shows. A control plane shows a part only when, say, its
/// etcd runs outside the cluster or a component runs as a plain process.
const COMPONENTS_READ: &[(&str, &[ComponentKind])] = {
    use ComponentKind::*;
    &[
        ("KH701", &[ApiServer]),
        ("KH702", &[ApiServer]),
        ("KH703", &[ApiServer]),
        ("KH704", &[ApiServer]),
        ("KH705", &[ApiServer]),
        ("KH706", &[ApiServer]),
        ("KH707", &[ApiServer]),
        ("KH708", &[ApiServer]),
        ("KH709", &[ApiServer]),
        ("KH710", &[ApiServer]),
        ("KH711", &[ApiServer]),
        ("KH712", &[ApiServer]),
        ("KH713", &[ApiServer]),
        ("KH720", &[ControllerManager]),
        ("KH721", &[Scheduler]),
        ("KH730", &[Etcd]),
        ("KH731", &[ApiServer, Etcd]),
        ("KH732", &[ApiServer, Etcd]),
    ]
};

/// The rules judged on the control plane's mirror pods (a live read that cannot list
/// Pods leaves them not judged).
pub(crate) fn read_from_mirror_pods() -> impl Iterator<Item = &'static str> {
    COMPONENTS_READ.iter().map(|(rule, _)| *rule)
}

fn components_read(id: &str) -> &'static [ComponentKind] {
    COMPONENTS_READ
        .iter()
        .find(|(rule, _)| *rule == id)
        .map_or(&[], |(_, kinds)| kinds)
}

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
        let mut seen = BTreeSet::new();
        let control_plane_nodes = by_node.len();
        for (node, pods) in by_node {
            let scope = format!("node {node}");
            let node_view = kubeharden_node::from_static_pods(&pods, version);
            seen.extend(node_view.components.iter().map(|c| c.kind));
            self.judge_node(&rules, &node_view, &pods, &scope, &mut result);
        }
        result.skipped.extend(components_not_shown(&rules, &seen));
        result
            .skipped
            .extend(other_nodes_kubelets(&rules, view, control_plane_nodes));
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
            // Each control-plane node is one check of each node rule judged there.
            let applies = crate::subjects::node_rule_applies(rule.def.id, node_view);
            if !out.violations.is_empty()
                || (out.unjudged.is_empty() && out.unread.is_empty() && applies)
            {
                *result.checks.entry(rule.def.id).or_default() += 1;
            }
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

/// The rules that read a component no control-plane node shows, grouped by what
/// is missing: they found nothing to judge, which is no pass.
fn components_not_shown(
    rules: &[&RuleEntry],
    seen: &BTreeSet<ComponentKind>,
) -> Vec<SkippedChecks> {
    let mut by_missing: BTreeMap<Vec<ComponentKind>, Vec<&'static str>> = BTreeMap::new();
    for rule in rules {
        let missing: Vec<ComponentKind> = components_read(rule.def.id)
            .iter()
            .filter(|kind| !seen.contains(kind))
            .copied()
            .collect();
        if !missing.is_empty() {
            by_missing.entry(missing).or_default().push(rule.def.id);
        }
    }
    by_missing
        .into_iter()
        .map(|(missing, rules)| {
            let names: Vec<&str> = missing.iter().map(|k| k.name()).collect();
            SkippedChecks {
                scope: "control plane".into(),
                rules,
                reason: format!(
                    "no {} pod is mirrored into kube-system (run outside the cluster, or as a plain process): run `kubeharden node` where it runs",
                    names.join(" or ")
                ),
            }
        })
        .collect()
}

/// The kubelets of the nodes that run no control-plane pod: their configuration is
/// on their disks only, so the kubelet rules are not judged there either.
fn other_nodes_kubelets(
    rules: &[&RuleEntry],
    view: &ClusterView,
    control_plane_nodes: usize,
) -> Option<SkippedChecks> {
    let others = view.nodes.len().saturating_sub(control_plane_nodes);
    let on_disk: Vec<&'static str> = rules
        .iter()
        .map(|r| r.def.id)
        .filter(|id| ON_THE_NODE.contains(id))
        .collect();
    (others > 0 && !on_disk.is_empty()).then(|| SkippedChecks {
        scope: format!("{others} other node(s)"),
        rules: on_disk,
        reason: RUN_ON_THE_NODE.into(),
    })
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

    #[test]
    fn every_node_rule_not_on_the_disk_names_the_components_it_reads() {
        for rule in crate::registry::all_rules() {
            if !matches!(rule.def.check, Check::Node(_)) || ON_THE_NODE.contains(&rule.def.id) {
                continue;
            }
            assert!(
                !components_read(rule.def.id).is_empty(),
                "{} reads which component? add it to COMPONENTS_READ",
                rule.def.id
            );
        }
    }

    #[test]
    fn rules_of_a_component_not_shown_are_not_judged_grouped_by_what_is_missing() {
        let rules: Vec<&RuleEntry> = ["KH701", "KH720", "KH721", "KH731", "KH740"]
            .iter()
            .map(|id| crate::find_rule(id).expect(id))
            .collect();
        let seen = BTreeSet::from([ComponentKind::ApiServer, ComponentKind::Scheduler]);
        let skipped = components_not_shown(&rules, &seen);
        let listed: Vec<(Vec<&str>, bool)> = skipped
            .iter()
            .map(|s| (s.rules.clone(), s.reason.contains("etcd")))
            .collect();
        assert_eq!(
            listed,
            [(vec!["KH720"], false), (vec!["KH731"], true)],
            "{skipped:?}"
        );
        let all = BTreeSet::from([
            ComponentKind::ApiServer,
            ComponentKind::ControllerManager,
            ComponentKind::Scheduler,
            ComponentKind::Etcd,
        ]);
        assert!(components_not_shown(&rules, &all).is_empty());
    }
}
