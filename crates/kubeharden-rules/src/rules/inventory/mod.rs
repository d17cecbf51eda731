//! What a whole cluster runs: node agents, metrics, node versions. These rules judge
//! only an input that looks like a whole cluster (see [`whole_cluster`]): a folder of
//! one application's manifests lacks a log agent without the cluster lacking one.
//! KH906 (`inline_exception`) is the exception: it judges the scan's own inline
//! exceptions, on any object, as part of the periodic review the guidance asks for.

pub mod inline_exception;
pub mod log_agent;
pub mod metrics_pipeline;
pub mod node_versions;
pub mod server_version;

use kubeharden_cluster::{ClusterView, PodEntry};
use kubeharden_yaml::FieldPath;

use crate::context::{ClusterCtx, ClusterOut};

/// Whether the scan looks like a whole cluster rather than some of its manifests:
/// it holds Node objects, or workloads of kube-system (as `kubectl get -A` or a live
/// read does).
pub(crate) fn whole_cluster(view: &ClusterView) -> bool {
    why_not_whole(view).is_none()
}

/// Why the scan is not a whole cluster, if it is not. A live read limited to some
/// namespaces (`cluster --namespace`) shows Nodes, but not the log agent or the
/// metrics pipeline running in a namespace it did not read.
pub(crate) fn why_not_whole(view: &ClusterView) -> Option<&'static str> {
    let limited = view
        .live
        .as_ref()
        .is_some_and(|live| !live.header.namespaces.is_empty());
    if limited {
        Some(LIMITED_TO_NAMESPACES)
    } else if !view.nodes.is_empty() || view.pods.iter().any(|p| p.namespace == "kube-system") {
        None
    } else if view.live.is_some() {
        Some(LIVE_READ_NOT_WHOLE)
    } else {
        Some(NOT_A_CLUSTER)
    }
}

/// Why a live read of some namespaces is not judged as a whole cluster.
const LIMITED_TO_NAMESPACES: &str =
    "the cluster was read in some namespaces only (--namespace): scan it whole to judge";

/// Why a live read that saw no Node and no kube-system workload is not judged: the
/// identity may not list them, or the cluster hides them (some managed offerings).
const LIVE_READ_NOT_WHOLE: &str =
    "the live read saw no Node object and no kube-system workload (the cluster shows none, or this identity may not list them): read nodes and kube-system pods to judge";

/// The first workload running an image that one of `patterns` names, with the pattern.
pub(crate) fn running<'v>(
    view: &'v ClusterView,
    kinds: &[&str],
    patterns: &[&'static str],
) -> Option<(&'v PodEntry, &'static str)> {
    view.pods
        .iter()
        .filter(|p| kinds.is_empty() || kinds.contains(&p.origin.resource.kind.as_str()))
        .find_map(|p| {
            p.images.iter().find_map(|image| {
                patterns
                    .iter()
                    .find(|pattern| kubeharden_cluster::plugins::image_named(image, pattern))
                    .map(|pattern| (p, *pattern))
            })
        })
}

/// Why an input that is not a whole cluster is not judged.
const NOT_A_CLUSTER: &str =
    "the input does not look like a whole cluster (no Node objects, no kube-system workloads): scan `kubeharden cluster` or a full dump to judge";

/// A cluster-wide finding, placed on the first Node object (or, in a dump without
/// nodes, the first kube-system workload).
pub(crate) fn report_on_cluster(ctx: &ClusterCtx<'_>, out: &mut ClusterOut, message: &str) {
    if let Some(node) = ctx.view.nodes.first() {
        out.at(
            &node.origin,
            &node.root,
            FieldPath::parse("metadata"),
            message,
        );
    } else if let Some(pod) = ctx.view.pods.iter().find(|p| p.namespace == "kube-system") {
        out.at_pod_labels(pod, message);
    }
}
