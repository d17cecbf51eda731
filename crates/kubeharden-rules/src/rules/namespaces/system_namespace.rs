//! ## What it does
//! Flags workloads in `kube-system` or `kube-public` that do not look like cluster
//! components. A recognised component has a `component`, `k8s-app`,
//! `tier: control-plane` or `app.kubernetes.io/part-of: kubernetes` label, on its pods
//! or on the controller that makes them, or runs only images from `registry.k8s.io`.
//!
//! ## Why it matters
//! These namespaces are reserved for the cluster's own services. They are usually
//! exempt from Pod Security enforcement, and their service accounts are powerful.
//! An application deployed there inherits those exemptions, and an intruder who
//! reaches it is next to the control plane.
//!
//! ## Example
//! ```yaml
//! metadata:
//!   name: reporting
//!   namespace: kube-system
//! ```
//!
//! ## Fix
//! Move the workload into an application namespace.
//! ```yaml
//! metadata:
//!   name: reporting
//!   namespace: reporting      # an application namespace, not kube-system
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH502",
    name: "user-workload-in-system-namespace",
    title: "Non-system workload in kube-system or kube-public",
    severity: Severity::Medium,
    guidance: &["NS-01"],
    pss: None,
    mitre: None,
    check: Check::Cluster(check),
};

fn is_component(pod: &PodEntry) -> bool {
    // A controller's labels count as much as its pods': kube-proxy's DaemonSet is
    // labelled `k8s-app` on both, other components on the controller only.
    let labelled = |l: &kubeharden_cluster::Labels| {
        l.contains_key("component")
            || l.contains_key("k8s-app")
            || l.get("tier").is_some_and(|t| t == "control-plane")
            || l.get("app.kubernetes.io/part-of")
                .is_some_and(|p| p == "kubernetes")
    };
    labelled(&pod.labels)
        || labelled(&pod.controller_labels)
        || (!pod.images.is_empty()
            && pod
                .images
                .iter()
                .all(|i| i.starts_with("registry.k8s.io/") || i.starts_with("k8s.gcr.io/")))
}

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    for pod in ctx
        .view
        .pods
        .iter()
        .filter(|p| matches!(p.namespace.as_str(), "kube-system" | "kube-public"))
    {
        if !is_component(pod) {
            out.at_pod(
                pod,
                FieldPath::parse("metadata.namespace"),
                pod.namespace_pos,
                format!(
                    "{} {} runs in {} but does not look like a cluster component",
                    pod.origin.resource.kind, pod.origin.resource.name, pod.namespace
                ),
            );
        }
    }
}
