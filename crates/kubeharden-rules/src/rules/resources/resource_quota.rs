//! ## What it does
//! Flags namespaces that run workloads without a ResourceQuota that caps CPU, memory
//! and the number of pods. `cpu`, `requests.cpu` or `limits.cpu` count for CPU, and
//! likewise for memory.
//!
//! ## Why it matters
//! A quota caps what a whole namespace can consume. Without one, a runaway
//! deployment, a fork bomb of pods or a cryptominer in one namespace starves every
//! other (Appendix G of the guidance).
//!
//! ## Example
//! A namespace with Deployments and no ResourceQuota.
//!
//! ## Fix
//! Give the namespace a ResourceQuota that caps CPU, memory and pods.
//! ```yaml
//! apiVersion: v1
//! kind: ResourceQuota
//! metadata:
//!   name: compute
//!   namespace: shop
//! spec:
//!   hard:
//!     requests.cpu: "4"
//!     requests.memory: 8Gi
//!     limits.cpu: "8"
//!     limits.memory: 16Gi
//!     pods: "50"
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH521",
    name: "namespace-without-resource-quota",
    title: "Namespace has no ResourceQuota capping CPU, memory and pods",
    severity: Severity::Low,
    guidance: &["RES-02"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1496",
        name: "Resource Hijacking",
    }),
    check: Check::Namespace(check),
};

fn check(ctx: &ClusterCtx<'_>, namespace: &str, out: &mut ClusterOut) {
    let view = ctx.view;
    if view.pods_in(namespace).is_empty() {
        return;
    }
    for ns in view.namespaces.get(namespace).into_iter().flatten() {
        let quotas = view.quotas_seen_from(namespace, &ns.origin.file);
        check_quotas(ns, namespace, &quotas, out);
    }
}

fn check_quotas(
    ns: &kubeharden_cluster::NamespaceEntry,
    namespace: &str,
    quotas: &[&kubeharden_cluster::QuotaEntry],
    out: &mut ClusterOut,
) {
    if quotas.is_empty() {
        out.at(
            &ns.origin,
            &ns.root,
            FieldPath::parse("metadata.name"),
            format!("namespace {namespace} runs workloads and has no ResourceQuota"),
        );
        return;
    }
    let capped = |keys: &[&str]| {
        quotas
            .iter()
            .any(|q| keys.iter().any(|k| q.hard.contains(*k)))
    };
    let missing: Vec<&str> = [
        ("cpu", &["cpu", "requests.cpu", "limits.cpu"][..]),
        (
            "memory",
            &["memory", "requests.memory", "limits.memory"][..],
        ),
        ("pods", &["pods", "count/pods"][..]),
    ]
    .into_iter()
    .filter(|(_, keys)| !capped(keys))
    .map(|(name, _)| name)
    .collect();
    if !missing.is_empty() {
        let quota = quotas[0];
        out.at(
            &quota.origin,
            &quota.root,
            FieldPath::parse("spec.hard"),
            format!(
                "the ResourceQuotas of namespace {namespace} do not cap {}",
                missing.join(", ")
            ),
        );
    }
}
