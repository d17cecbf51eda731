//! Which kinds a scan reads, and how the API server serves them.
//!
//! The kinds are those the rule catalog reads; their versions, resource names and
//! scope come from the API server's discovery, not from this file, so a cluster that
//! serves a kind under another version, or a custom resource whose definition says
//! otherwise, is read as it is served. A kind the server does not serve has no
//! objects there.

use std::collections::BTreeSet;

use kube::discovery::{verbs, Discovery, Scope};
use kube::Client;

use crate::describe;
use crate::fetch::{backoff, Fetcher};

/// Kubernetes' own kinds the rules read, besides the workloads: (group, kind).
const BUILT_IN: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Service"),
    ("", "ServiceAccount"),
    ("", "ConfigMap"),
    ("", "Secret"),
    ("", "LimitRange"),
    ("", "ResourceQuota"),
    ("", "Node"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("networking.k8s.io", "Ingress"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("node.k8s.io", "RuntimeClass"),
];

/// Every (group, kind) a scan reads, in reading order: Namespaces first, then
/// Kubernetes' own kinds and workloads, then the custom resources rules read (other
/// engines' network policies, operators' pod makers).
pub fn kinds_read() -> Vec<(&'static str, &'static str)> {
    let mut kinds: Vec<(&str, &str)> = BUILT_IN.to_vec();
    for (kind, groups, _) in kubeharden_load::WORKLOAD_KINDS {
        kinds.extend(groups.iter().map(|g| (*g, kind)));
    }
    kinds.extend(kubeharden_cluster::custom::kinds_read());
    let mut seen = BTreeSet::new();
    kinds.retain(|k| seen.insert(*k));
    kinds
}

/// A kind as the API server serves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kind {
    /// `""` for the core group.
    pub group: String,
    pub version: String,
    pub kind: String,
    /// The resource name in URLs: `pods`, `networkpolicies`.
    pub plural: String,
    pub namespaced: bool,
}

impl Kind {
    /// `v1`, `apps/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The resource as `kubectl` names it: `pods`, `networkpolicies.networking.k8s.io`.
    pub fn resource(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The URL path of its objects, cluster-wide or in one namespace.
    pub fn path(&self, namespace: Option<&str>) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace.filter(|_| self.namespaced) {
            Some(ns) => format!("{base}/namespaces/{ns}/{}", self.plural),
            None => format!("{base}/{}", self.plural),
        }
    }
}

/// The kinds to read, as this API server serves them: for each kind the rules read,
/// its group's preferred version that can be listed. A kind defined in two groups
/// (`Deployment` in `apps` and the old `extensions`) is read from the first served.
/// Discovery is retried with backoff like every other request (`--retries`).
pub(crate) async fn discover(
    fetcher: &Fetcher,
    on_retry: &mut dyn FnMut(u32, &str),
) -> Result<Vec<Kind>, String> {
    let discovery = discover_with_retries(fetcher, on_retry).await?;
    let mut found: Vec<Kind> = Vec::new();
    for (group, kind) in kinds_read() {
        if found
            .iter()
            .any(|k| k.kind == kind && is_built_in_twin(&k.group, group))
        {
            continue;
        }
        let Some(api) = discovery.get(group) else {
            continue;
        };
        let Some((resource, caps)) = api.recommended_kind(kind) else {
            continue;
        };
        if !caps.supports_operation(verbs::LIST) {
            continue;
        }
        found.push(Kind {
            group: resource.group,
            version: resource.version,
            kind: resource.kind,
            plural: resource.plural,
            namespaced: caps.scope == Scope::Namespaced,
        });
    }
    Ok(found)
}

/// Discovery makes a request or two per attempt (`/api`, `/apis`, more on old
/// servers), so an attempt gets the time of a few requests.
const DISCOVERY_REQUESTS_PER_ATTEMPT: u32 = 3;

async fn discover_with_retries(
    fetcher: &Fetcher,
    on_retry: &mut dyn FnMut(u32, &str),
) -> Result<Discovery, String> {
    let limit = fetcher.timeout * DISCOVERY_REQUESTS_PER_ATTEMPT;
    let mut attempt = 0;
    loop {
        let reason = match tokio::time::timeout(limit, discover_once(&fetcher.client)).await {
            Ok(Ok(discovery)) => return Ok(discovery),
            Ok(Err(e)) if !describe::transient(&e) => return Err(describe::describe(&e)),
            Ok(Err(e)) => describe::describe(&e),
            Err(_) => format!("no answer in {} s", limit.as_secs()),
        };
        attempt += 1;
        if attempt > fetcher.retries {
            let plural = if attempt == 1 { "" } else { "s" };
            return Err(format!("{reason} (after {attempt} attempt{plural})"));
        }
        on_retry(attempt, &reason);
        tokio::time::sleep(backoff(attempt)).await;
    }
}

async fn discover_once(client: &Client) -> Result<Discovery, kube::Error> {
    match Discovery::new(client.clone()).run_aggregated().await {
        Ok(discovery) => Ok(discovery),
        // Servers before Kubernetes 1.26 have no aggregated discovery: they answer
        // with the old document (not understood) or refuse the media type.
        Err(e) if !describe::transient(&e) && !describe::is_auth(&e) => {
            Discovery::new(client.clone()).run().await
        }
        Err(e) => Err(e),
    }
}

/// Two built-in groups that serve the same objects (`apps` and `extensions`).
fn is_built_in_twin(a: &str, b: &str) -> bool {
    let twins = ["apps", "extensions"];
    twins.contains(&a) && twins.contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_first_and_every_workload_and_custom_kind_once() {
        let kinds = kinds_read();
        assert_eq!(kinds[0], ("", "Namespace"));
        assert!(kinds.contains(&("apps", "Deployment")));
        assert!(kinds.contains(&("argoproj.io", "Rollout")));
        assert!(kinds.contains(&("cilium.io", "CiliumNetworkPolicy")));
        assert!(kinds.contains(&("monitoring.coreos.com", "Prometheus")));
        let unique: BTreeSet<_> = kinds.iter().collect();
        assert_eq!(unique.len(), kinds.len());
    }

    #[test]
    fn paths_follow_the_api_layout() {
        let pods = Kind {
            group: String::new(),
            version: "v1".into(),
            kind: "Pod".into(),
            plural: "pods".into(),
            namespaced: true,
        };
        assert_eq!(pods.path(None), "/api/v1/pods");
        assert_eq!(pods.path(Some("shop")), "/api/v1/namespaces/shop/pods");
        let roles = Kind {
            group: "rbac.authorization.k8s.io".into(),
            version: "v1".into(),
            kind: "ClusterRole".into(),
            plural: "clusterroles".into(),
            namespaced: false,
        };
        assert_eq!(
            roles.path(Some("shop")),
            "/apis/rbac.authorization.k8s.io/v1/clusterroles"
        );
        assert_eq!(roles.resource(), "clusterroles.rbac.authorization.k8s.io");
    }
}
