//! ## What it does
//! Flags namespaces that run workloads without a LimitRange, or with more than one.
//!
//! ## Why it matters
//! A LimitRange gives every container of the namespace default requests and limits,
//! and bounds what one container may ask for. The guidance asks for one in each
//! namespace (Appendix F), so that a container nobody sized cannot take a node's
//! CPU or memory. With several, which default applies is not obvious.
//!
//! ## Example
//! A namespace with Deployments and no LimitRange.
//!
//! ## Fix
//! Give the namespace one LimitRange with default requests and limits.
//! ```yaml
//! apiVersion: v1
//! kind: LimitRange
//! metadata:
//!   name: defaults
//!   namespace: shop
//! spec:
//!   limits:
//!   - type: Container
//!     default: {cpu: 500m, memory: 256Mi}
//!     defaultRequest: {cpu: 100m, memory: 128Mi}
//!     max: {cpu: "2", memory: 1Gi}
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH520",
    name: "namespace-without-limit-range",
    title: "Namespace has no LimitRange (or several)",
    severity: Severity::Low,
    guidance: &["RES-01"],
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
        // The same LimitRange in a base and its overlays is one LimitRange.
        let ranges = view
            .limit_ranges_seen_from(namespace, &ns.origin.file)
            .len();
        report(ns, namespace, ranges, out);
    }
}

fn report(
    ns: &kubeharden_cluster::NamespaceEntry,
    namespace: &str,
    ranges: usize,
    out: &mut ClusterOut,
) {
    let path = FieldPath::parse("metadata.name");
    match ranges {
        0 => {
            out.at(
                &ns.origin,
                &ns.root,
                path,
                format!("namespace {namespace} runs workloads and has no LimitRange"),
            );
        }
        1 => {}
        n => {
            out.at(&ns.origin, &ns.root, path, format!("namespace {namespace} has {n} LimitRanges; keep one so its defaults are unambiguous"));
        }
    }
}
