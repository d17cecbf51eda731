//! What each rule judges one by one, its subjects: every check the compliance score
//! counts is one rule judging one subject (docs/score.md). A per-workload rule judges
//! each workload; the other rules judge the objects of the kinds listed here, and the
//! cluster-wide ones without a kind judge the cluster once. The engine counts the checks
//! as it sees the objects ([`RuleSet::count_checks`]); a check fails when the rule
//! reports a finding on its subject.

use kubeharden_findings::Checks;
use kubeharden_load::Object;

use crate::rule::Check;
use crate::select::RuleSet;

const WORKLOADS: &[&str] = &["*workload"];
const RBAC: &[&str] = &["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"];

/// The kinds of objects a rule other than a per-workload one judges, each object one
/// check. `*workload` means every object with a pod spec, `*` every object. A namespace rule not listed
/// judges each namespace whose Namespace object is in the scan; a cluster-wide rule
/// not listed judges the cluster once.
const SUBJECTS: &[(&str, &[&str])] = &[
    ("KH140", &["Dockerfile"]),
    ("KH141", WORKLOADS),
    ("KH501", WORKLOADS),
    ("KH502", WORKLOADS),
    ("KH503", &["Namespace"]),
    ("KH512", WORKLOADS),
    ("KH513", &["NetworkPolicy"]),
    ("KH514", &["NetworkPolicy"]),
    ("KH515", &["NetworkPolicy"]),
    ("KH516", &["NetworkPolicy"]),
    ("KH531", &["Secret"]),
    ("KH532", &["Secret"]),
    ("KH533", &["ConfigMap"]),
    ("KH540", &["Service"]),
    ("KH541", &["Service"]),
    ("KH542", &["Service"]),
    ("KH543", &["Service"]),
    ("KH544", &["Ingress"]),
    ("KH545", &["Ingress"]),
    ("KH601", RBAC),
    ("KH602", RBAC),
    ("KH603", RBAC),
    ("KH604", RBAC),
    ("KH605", RBAC),
    ("KH606", RBAC),
    ("KH607", RBAC),
    ("KH608", RBAC),
    ("KH609", RBAC),
    ("KH610", RBAC),
    ("KH611", RBAC),
    ("KH612", RBAC),
    ("KH613", RBAC),
    ("KH614", RBAC),
    ("KH620", RBAC),
    ("KH903", &["Node"]),
    (
        "KH905",
        &[
            "ValidatingWebhookConfiguration",
            "ValidatingAdmissionPolicy",
        ],
    ),
    // Its subject is any object: each may carry an inline exception.
    ("KH906", &["*"]),
];

/// The kinds rule `id` judges one object at a time, if it is listed.
pub(crate) fn subject_kinds(id: &str) -> Option<&'static [&'static str]> {
    SUBJECTS
        .iter()
        .find(|(rule, _)| *rule == id)
        .map(|(_, kinds)| *kinds)
}

/// Whether node rule `id` has something to judge on this node: the component its
/// flags belong to, the kubelet, files or kubeconfigs. A worker node passes no etcd
/// check; it makes none.
pub(crate) fn node_rule_applies(id: &str, view: &kubeharden_node::NodeView) -> bool {
    use kubeharden_node::ComponentKind;
    let has = |kind| view.component(kind).is_some();
    match id {
        "KH720" => has(ComponentKind::ControllerManager),
        "KH721" => has(ComponentKind::Scheduler),
        "KH730" | "KH731" => has(ComponentKind::Etcd),
        "KH740" | "KH741" | "KH742" | "KH743" => view.kubelet.is_some(),
        "KH750" => !view.files.is_empty(),
        "KH751" => !view.kubeconfigs.is_empty(),
        _ => has(ComponentKind::ApiServer),
    }
}

fn judges(kinds: &[&str], object: &Object, is_workload: bool) -> bool {
    kinds
        .iter()
        .any(|k| *k == "*" || (*k == "*workload" && is_workload) || *k == object.resource.kind)
}

impl RuleSet {
    /// Counts the checks the rules of this set make of `object` (`is_workload`: it
    /// has a pod spec): one per rule that judges objects of its kind.
    pub fn count_checks(&self, object: &Object, is_workload: bool, checks: &mut Checks) {
        for rule in &self.rules {
            let counts = match (rule.def.check, subject_kinds(rule.def.id)) {
                (Check::Workload(_), _) => is_workload,
                (_, Some(kinds)) => judges(kinds, object, is_workload),
                _ => false,
            };
            if counts {
                *checks.entry(rule.def.id).or_default() += 1;
            }
        }
    }

    /// The per-workload checks `count_checks` counted for `made` workloads, taken back
    /// when their findings are left to their controllers (one finding per problem): a
    /// made object is judged through its controller, not again.
    pub fn uncount_made(&self, checks: &mut Checks, made: u64) {
        if made == 0 {
            return;
        }
        for rule in &self.rules {
            let per_workload = matches!(rule.def.check, Check::Workload(_))
                || subject_kinds(rule.def.id) == Some(WORKLOADS);
            if let Some(n) = checks.get_mut(rule.def.id).filter(|_| per_workload) {
                *n = n.saturating_sub(made);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_rule_exists_and_is_no_workload_rule() {
        for (id, _) in SUBJECTS {
            let rule = crate::find_rule(id).expect(id);
            assert!(!matches!(rule.def.check, Check::Workload(_)), "{id}");
        }
    }

    #[test]
    fn object_rules_all_name_their_subjects() {
        for rule in crate::all_rules() {
            if matches!(rule.def.check, Check::Object(_)) {
                assert!(subject_kinds(rule.def.id).is_some(), "{}", rule.def.id);
            }
        }
    }
}
