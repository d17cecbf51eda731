//! Services and what they expose.

use k8s_openapi::api::core::v1::ServiceSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kubeharden_cluster::{ClusterView, ServiceEntry};
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

/// The privileged or host-network pods a Service selects, described.
pub(crate) fn risky_pods(view: &ClusterView, service: &ServiceEntry) -> Vec<String> {
    let Some(selector) = service.spec.selector.clone().filter(|s| !s.is_empty()) else {
        return Vec::new();
    };
    let selector = LabelSelector {
        match_labels: Some(selector),
        match_expressions: None,
    };
    view.select_pods(&service.namespace, &selector)
        .into_iter()
        .map(|i| &view.pods[i])
        .filter(|p| p.privileged || p.host_network)
        .map(|p| {
            let why = if p.privileged {
                "privileged"
            } else {
                "host-network"
            };
            format!(
                "{why} {} {}",
                p.origin.resource.kind, p.origin.resource.name
            )
        })
        .collect()
}
