//! Which rules read which kinds: when a live scan cannot read a kind (the identity
//! may not list Secrets), these rules are reported as not judged for it, never
//! passed.

use kubeharden_cluster::live::KindUnread;
use kubeharden_findings::SkippedChecks;

use crate::rule::Check;
use crate::select::RuleSet;

/// Rules that read a kind besides the per-workload rules, which read every kind with
/// a pod spec: (kinds, rule IDs). A kind is `Kind` for Kubernetes' own groups and
/// `group/Kind` for custom resources.
const READERS: &[(&[&str], &[&str])] = &[
    (
        &[
            "Pod",
            "PodTemplate",
            "ReplicationController",
            "Deployment",
            "ReplicaSet",
            "StatefulSet",
            "DaemonSet",
            "Job",
            "CronJob",
            "argoproj.io/Rollout",
        ],
        &[
            "KH141", "KH501", "KH502", "KH512", "KH513", "KH517", "KH520", "KH521", "KH540",
            "KH541", "KH620", "KH901", "KH902",
        ],
    ),
    // Kubelet, runtime and kernel versions are in Node status.
    (&["Node"], &["KH903"]),
    (&["RuntimeClass"], &["KH141"]),
    (
        &[
            "ValidatingWebhookConfiguration",
            "MutatingWebhookConfiguration",
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding",
        ],
        &["KH905"],
    ),
    (
        &["Namespace"],
        &[
            "KH503", "KH504", "KH505", "KH510", "KH511", "KH512", "KH513", "KH520", "KH521",
            "KH612", "KH613",
        ],
    ),
    (
        &["NetworkPolicy"],
        &[
            "KH510", "KH511", "KH512", "KH513", "KH514", "KH515", "KH516", "KH517",
        ],
    ),
    (&["Service"], &["KH540", "KH541", "KH542", "KH543"]),
    (&["Ingress"], &["KH544", "KH545"]),
    (&["ConfigMap"], &["KH533", "KH545"]),
    (&["Secret"], &["KH531", "KH532", "KH620"]),
    (&["ServiceAccount"], &["KH402", "KH530", "KH611", "KH620"]),
    (
        &["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"],
        &[
            "KH601", "KH602", "KH603", "KH604", "KH605", "KH606", "KH607", "KH608", "KH609",
            "KH610", "KH611", "KH612", "KH613", "KH614", "KH620",
        ],
    ),
    (&["LimitRange"], &["KH201", "KH202", "KH520"]),
    (&["ResourceQuota"], &["KH521"]),
];

/// Other engines' network policies and operators' pod makers: custom kinds whose
/// absence from a read changes the namespace isolation and dead-policy answers.
const CUSTOM_READERS: &[&str] = &["KH510", "KH511", "KH512", "KH513"];

fn is_workload(group: &str, kind: &str) -> bool {
    kubeharden_load::WORKLOAD_KINDS
        .iter()
        .any(|(k, groups, _)| *k == kind && groups.contains(&group))
}

impl RuleSet {
    /// The rules of this set that read objects of `kind` in `group`.
    pub fn rules_reading(&self, group: &str, kind: &str) -> Vec<&'static str> {
        let name = if kubeharden_load::is_builtin_group(group) || group == "extensions" {
            kind.to_string()
        } else {
            format!("{group}/{kind}")
        };
        let listed: Vec<&str> = READERS
            .iter()
            .filter(|(kinds, _)| kinds.contains(&name.as_str()))
            .flat_map(|(_, ids)| ids.iter().copied())
            .collect();
        let custom = kubeharden_cluster::custom::kinds_read().any(|k| k == (group, kind));
        // The control plane's flags are read from the mirror pods in kube-system.
        let mirror_pods = name == "Pod";
        self.rules()
            .iter()
            .filter(|rule| {
                let id = rule.def.id;
                listed.contains(&id)
                    || (custom && CUSTOM_READERS.contains(&id))
                    || (mirror_pods
                        && crate::control_plane::read_from_mirror_pods().any(|r| r == id))
                    || (is_workload(group, kind) && matches!(rule.def.check, Check::Workload(_)))
            })
            .map(|rule| rule.def.id)
            .collect()
    }

    /// What a live scan could not read, as checks not judged.
    pub fn unread_checks(&self, unread: &[KindUnread]) -> Vec<SkippedChecks> {
        unread
            .iter()
            .map(|u| SkippedChecks {
                scope: u.scope(),
                rules: self.rules_reading(u.group(), &u.kind),
                reason: u.reason.clone(),
            })
            .filter(|s| !s.rules.is_empty())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_named_exists() {
        for (_, ids) in READERS {
            for id in ids.iter().chain(CUSTOM_READERS) {
                assert!(crate::find_rule(id).is_some(), "{id}");
            }
        }
    }

    #[test]
    fn secrets_workloads_and_custom_policies_name_their_readers() {
        let all = RuleSet::all();
        assert_eq!(all.rules_reading("", "Secret"), ["KH531", "KH532", "KH620"]);
        let pods = all.rules_reading("", "Pod");
        assert!(pods.contains(&"KH101") && pods.contains(&"KH512"));
        assert!(!pods.contains(&"KH531"));
        assert!(all.rules_reading("apps", "Deployment").contains(&"KH101"));
        assert_eq!(
            all.rules_reading("cilium.io", "CiliumNetworkPolicy"),
            ["KH510", "KH511", "KH512", "KH513"]
        );
        assert_eq!(all.rules_reading("", "Node"), ["KH903"]);
        assert_eq!(all.rules_reading("node.k8s.io", "RuntimeClass"), ["KH141"]);
        for kind in [
            "ValidatingWebhookConfiguration",
            "ValidatingAdmissionPolicy",
        ] {
            assert_eq!(
                all.rules_reading("admissionregistration.k8s.io", kind),
                ["KH905"]
            );
        }
        let pods = all.rules_reading("", "Pod");
        assert!(pods.contains(&"KH711") && pods.contains(&"KH901"));
        assert!(!all.rules_reading("apps", "Deployment").contains(&"KH711"));
    }

    /// Rules judged on the whole cluster read no kind of their own only when named
    /// here; every other one is in `READERS`, so that a kind the identity may not list
    /// leaves it not judged rather than passed (Nodes and webhook configurations were
    /// missing, and their rules passed unseen).
    const READ_NO_KIND: &[&str] = &[
        "KH904", // the server version, from /version
        "KH906", // annotations of every object read
    ];

    #[test]
    fn every_cluster_rule_reads_a_listed_kind() {
        let listed: Vec<&str> = READERS
            .iter()
            .flat_map(|(_, ids)| ids.iter().copied())
            .collect();
        for rule in RuleSet::all().rules() {
            let id = rule.def.id;
            if matches!(rule.def.check, Check::Cluster(_) | Check::Namespace(_)) {
                assert!(
                    listed.contains(&id) || READ_NO_KIND.contains(&id),
                    "{id} reads no kind in READERS: a live read that cannot list its input would pass it"
                );
            }
        }
    }
}
