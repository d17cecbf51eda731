//! Services and what they expose.

use k8s_openapi::api::core::v1::{ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::HashSet;

use kubeharden_cluster::owners::ObjectKey;
use kubeharden_cluster::{ClusterView, PodEntry, PodPort, ServiceEntry};
use kubeharden_load::Object;
use kubeharden_yaml::from_node;

/// The spec of a core Service object.
pub(crate) fn service_spec(object: &Object) -> Option<ServiceSpec> {
    let res = &object.resource;
    if res.kind != "Service" || res.api_version != "v1" {
        return None;
    }
    object.root.get("spec").and_then(|s| from_node(s).ok())
}

/// Why a pod behind a Service is risky to expose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Risk {
    /// It shares the node's network: what it serves, the node serves.
    HostNetwork,
    /// A container that serves the Service runs privileged.
    Privileged,
}

/// The privileged or host-network pods a Service selects, described, with the worst
/// risk among them. A pod counts as privileged only when a container that can serve
/// one of the Service's target ports is: a privileged init or debug container
/// serves nothing.
pub(crate) fn risky_pods(
    view: &ClusterView,
    service: &ServiceEntry,
) -> (Vec<String>, Option<Risk>) {
    let Some(selector) = service.spec.selector.clone().filter(|s| !s.is_empty()) else {
        return (Vec::new(), None);
    };
    let selector = LabelSelector {
        match_labels: Some(selector),
        match_expressions: None,
    };
    let mut described = Vec::new();
    let mut worst = None;
    let selected: Vec<&PodEntry> = view
        .select_pods(&service.namespace, &selector)
        .into_iter()
        .map(|i| &view.pods[i])
        .collect();
    // A Pod and the ReplicaSet and Deployment that made it are one workload: named
    // once, by its top controller.
    let keys: HashSet<ObjectKey> = selected
        .iter()
        .map(|p| ObjectKey::of(&p.origin.resource))
        .collect();
    for pod in selected {
        if view
            .owners
            .made_by_any(&ObjectKey::of(&pod.origin.resource), &keys)
        {
            continue;
        }
        let risk = if !serving_privileged(service, pod).is_empty() {
            Risk::Privileged
        } else if pod.host_network {
            Risk::HostNetwork
        } else {
            continue;
        };
        let why = match risk {
            Risk::Privileged => format!(
                "privileged container {}",
                serving_privileged(service, pod).join(", ")
            ),
            Risk::HostNetwork => "host-network".to_string(),
        };
        described.push(format!(
            "{} {} ({why})",
            pod.origin.resource.kind, pod.origin.resource.name
        ));
        worst = worst.max(Some(risk));
    }
    (described, worst)
}

/// The privileged containers of `pod` that serve one of the Service's target ports.
/// Where no container declares the port (declaring is optional), any serving
/// container may be the one.
fn serving_privileged<'p>(service: &ServiceEntry, pod: &'p PodEntry) -> Vec<&'p str> {
    let mut serving: Vec<&str> = Vec::new();
    let mut undeclared = false;
    for port in service.spec.ports.iter().flatten() {
        let declared: Vec<&str> = pod
            .ports
            .iter()
            .filter(|p| target_matches(port, p))
            .map(|p| p.container.as_str())
            .collect();
        undeclared |= declared.is_empty();
        serving.extend(declared);
    }
    pod.privileged_serving
        .iter()
        .map(String::as_str)
        .filter(|c| undeclared || serving.contains(c))
        .collect()
}

fn target_matches(port: &ServicePort, declared: &PodPort) -> bool {
    match &port.target_port {
        Some(IntOrString::String(name)) => declared.name.as_deref() == Some(name.as_str()),
        Some(IntOrString::Int(n)) => declared.port == *n,
        None => declared.port == port.port,
    }
}

/// Says of an exposed Service's finding that it accepts any address, as KH542 found.
pub(crate) fn open_to_all(
    kept: &mut kubeharden_findings::Finding,
    _: &[kubeharden_findings::Finding],
) {
    kept.message
        .push_str(", and sets no loadBalancerSourceRanges: any address can connect");
}
