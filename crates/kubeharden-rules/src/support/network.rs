//! NetworkPolicy shapes the network rules look for.

use std::net::IpAddr;

use k8s_openapi::api::networking::v1::NetworkPolicySpec;
use kubeharden_cluster::netpol::{has_type, Direction};

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

/// `addr/prefix`.
pub(crate) fn parse_cidr(cidr: &str) -> Option<(IpAddr, u8)> {
    let (addr, prefix) = cidr.split_once('/')?;
    let addr: IpAddr = addr.parse().ok()?;
    let prefix: u8 = prefix.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (prefix <= max).then_some((addr, prefix))
}

/// Whether `cidr` contains `ip`.
pub(crate) fn cidr_contains(cidr: &str, ip: IpAddr) -> bool {
    let Some((net, prefix)) = parse_cidr(cidr) else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - prefix)
            };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - prefix)
            };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

/// `0.0.0.0/0` or `::/0`.
pub(crate) fn is_everywhere(cidr: &str) -> bool {
    parse_cidr(cidr).is_some_and(|(_, prefix)| prefix == 0)
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
    // A workload defined in a base and its overlays is one workload.
    let pods = view
        .pods_in(namespace)
        .iter()
        .map(|&i| &view.pods[i].origin.resource)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
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
    let message = match pods {
        0 => format!("namespace {namespace} has no default-deny {what} NetworkPolicy, so workloads deployed into it will be open"),
        n => format!("namespace {namespace} runs {n} workload(s) and has no default-deny {what} NetworkPolicy"),
    };
    for ns in definitions {
        out.at(&ns.origin, &ns.root, path.clone(), message.clone());
    }
}
