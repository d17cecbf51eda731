//! NetworkPolicy shapes the network rules look for.

use std::net::IpAddr;

use k8s_openapi::api::networking::v1::NetworkPolicySpec;
use kubeharden_cluster::netpol::{has_type, Direction};
use kubeharden_policy::cidr::Cidr;

/// Whether the policy selects every pod (`podSelector: {}` or none).
pub(crate) fn selects_all(spec: &NetworkPolicySpec) -> bool {
    spec.pod_selector.as_ref().is_none_or(|s| {
        s.match_labels.as_ref().is_none_or(|m| m.is_empty())
            && s.match_expressions.as_ref().is_none_or(|e| e.is_empty())
    })
}

/// A default-deny policy for `direction`: it selects every pod, has that policy type,
/// and allows nothing in that direction.
pub(crate) fn is_default_deny(spec: &NetworkPolicySpec, direction: Direction) -> bool {
    let rules_empty = match direction {
        Direction::Ingress => spec.ingress.as_ref().is_none_or(Vec::is_empty),
        Direction::Egress => spec.egress.as_ref().is_none_or(Vec::is_empty),
    };
    selects_all(spec) && has_type(spec, direction) && rules_empty
}

/// An `ipBlock` range: `addr/prefix`.
pub(crate) fn parse_cidr(cidr: &str) -> Option<Cidr> {
    Cidr::parse_block(cidr)
}

/// Whether the `ipBlock` range `cidr` contains `ip`; an invalid range contains nothing.
pub(crate) fn cidr_contains(cidr: &str, ip: IpAddr) -> bool {
    parse_cidr(cidr).is_some_and(|c| c.contains(ip))
}

/// `0.0.0.0/0` or `::/0`.
pub(crate) fn is_everywhere(cidr: &str) -> bool {
    parse_cidr(cidr).is_some_and(|c| c.is_everywhere())
}

/// Reports a namespace that runs pods without a default-deny policy for `direction`.
/// The finding points at the Namespace object.
pub(crate) fn report_missing_default_deny(
    ctx: &crate::context::ClusterCtx<'_>,
    namespace: &str,
    direction: Direction,
    out: &mut crate::context::ClusterOut,
) {
    let view = ctx.view;
    let Some(definitions) = view.namespaces.get(namespace) else {
        return;
    };
    if depends_on_other_engines(ctx, namespace, out) {
        return;
    }
    // A workload defined in a base and its overlays is one workload, and so is a
    // controller with the ReplicaSets and Pods it made.
    // Pods on the host's network are counted apart: NetworkPolicy does not apply to
    // them, so a default-deny would not close them and KH512 does not name them.
    let workloads = |on_host: bool| {
        view.pods_in(namespace)
            .iter()
            .map(|&i| &view.pods[i])
            .filter(|pod| !view.is_made(pod) && pod.host_network == on_host)
            .map(|pod| &pod.origin.resource)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    let (pods, on_host) = (workloads(false), workloads(true));
    // Kubernetes' own namespaces for published data and node leases never run pods.
    if matches!(namespace, "kube-public" | "kube-node-lease")
        || view
            .policies_in(namespace)
            .any(|p| is_default_deny(&p.spec, direction))
    {
        return;
    }
    let what = match direction {
        Direction::Ingress => "ingress",
        Direction::Egress => "egress",
    };
    let path = kubeharden_yaml::FieldPath::parse("metadata.name");
    // A namespace without workloads yet is judged too: the first workload deployed
    // into it would otherwise be open to every pod.
    let mut message = match pods {
        0 => format!("namespace {namespace} has no default-deny {what} NetworkPolicy, so workloads deployed into it will be open"),
        n => format!("namespace {namespace} runs {n} workload(s) and has no default-deny {what} NetworkPolicy"),
    };
    if on_host > 0 {
        message.push_str(&format!(
            " ({on_host} more on the host's network, which NetworkPolicy does not cover)"
        ));
    }
    // NP-05 also asks that every namespace have some policy, and CLD-01 that egress
    // be restricted somehow: a namespace with policies of the kind meets those rows.
    let policies: Vec<_> = view.policies_in(namespace).collect();
    let egress_policy = policies
        .iter()
        .any(|p| kubeharden_cluster::netpol::effective_types(&p.spec).1);
    let without: &'static [&'static str] = match (policies.is_empty(), egress_policy) {
        (true, _) => &[],
        (false, false) => &["NP-05"],
        (false, true) => &["NP-05", "CLD-01"],
    };
    for ns in definitions {
        out.at(&ns.origin, &ns.root, path.clone(), message.clone())
            .without_rows(without);
    }
}

/// Whether policies of another engine (Cilium, Calico, Antrea, AdminNetworkPolicy)
/// apply to `namespace`. If so, the namespace's isolation cannot be judged from
/// NetworkPolicies alone: `out` says so, naming them, and this returns true.
pub(crate) fn depends_on_other_engines(
    ctx: &crate::context::ClusterCtx<'_>,
    namespace: &str,
    out: &mut crate::context::ClusterOut,
) -> bool {
    let foreign = ctx.view.foreign_policies(namespace);
    if foreign.is_empty() {
        return false;
    }
    let mut engines: Vec<&str> = foreign.iter().filter_map(|c| c.policy_engine()).collect();
    engines.dedup();
    let named: Vec<String> = foreign.iter().take(3).map(|c| c.describe()).collect();
    let more = match foreign.len() {
        n if n > 3 => format!(" and {} more", n - 3),
        _ => String::new(),
    };
    out.not_judged(
        format!("namespace {namespace}"),
        format!(
            "its isolation depends on {} policies ({}{more}), which NetworkPolicy analysis does not evaluate",
            engines.join(" and "),
            named.join(", ")
        ),
    );
    true
}

/// Whether a KH512 finding is about ingress.
pub(crate) fn open_for_ingress(
    _: &kubeharden_findings::Finding,
    other: &kubeharden_findings::Finding,
) -> bool {
    other.message.contains("not isolated for ingress:")
}

/// Whether a KH512 finding is about egress.
pub(crate) fn open_for_egress(
    _: &kubeharden_findings::Finding,
    other: &kubeharden_findings::Finding,
) -> bool {
    other.message.contains("not isolated for egress:")
}

/// Names, in a namespace's default-deny finding, the workloads left open.
pub(crate) fn name_open_workloads(
    kept: &mut kubeharden_findings::Finding,
    others: &[kubeharden_findings::Finding],
) {
    let mut open: Vec<String> = others
        .iter()
        .map(|o| format!("{} {}", o.resource.kind, o.resource.name))
        .collect();
    open.sort();
    open.dedup();
    kept.message = format!("{}; open: {}", kept.message, open.join(", "));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs() {
        let meta: IpAddr = "169.254.169.254".parse().unwrap();
        assert!(cidr_contains("0.0.0.0/0", meta));
        assert!(cidr_contains("169.254.0.0/16", meta));
        assert!(!cidr_contains("10.0.0.0/8", meta));
        assert!(cidr_contains(
            "fd00:ec2::/64",
            "fd00:ec2::254".parse().unwrap()
        ));
        assert!(is_everywhere("::/0") && !is_everywhere("10.0.0.0/8"));
        assert!(parse_cidr("nonsense").is_none());
    }
}
