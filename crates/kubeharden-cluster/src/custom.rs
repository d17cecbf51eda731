//! Custom resources and what they mean for the rest of the view:
//! - policy objects of another network-policy engine (Cilium, Calico, Antrea, the
//!   AdminNetworkPolicy API) restrict traffic that NetworkPolicy analysis alone
//!   cannot see, so the answers they could change depend on them;
//! - operators make pods from custom resources (a `Prometheus` becomes a StatefulSet
//!   the scan never sees), so a selector that matches no known pod where such a
//!   resource lives may still select pods.

use crate::facts::Origin;

/// A custom resource of the scan: an object of an API group Kubernetes does not serve
/// itself.
#[derive(Clone, Debug)]
pub struct CustomEntry {
    pub origin: Origin,
    /// `None` for cluster-scoped kinds (as far as the kind is known).
    pub namespace: Option<String>,
    pub group: String,
    pub kind: String,
    /// Whether an operator likely runs pods for it (see [`makes_pods`]).
    pub makes_pods: bool,
}

/// Groups the API server also serves, beyond those whose kinds' scope the loader
/// knows (`kubeharden_load::is_builtin_group`).
const OTHER_SERVED_GROUPS: &[&str] = &[
    "extensions",
    "internal.apiserver.k8s.io",
    "storagemigration.k8s.io",
];

/// Whether objects of `group` are custom resources.
pub fn is_custom_group(group: &str) -> bool {
    !kubeharden_load::is_builtin_group(group) && !OTHER_SERVED_GROUPS.contains(&group)
}

/// Network-policy kinds of other engines: (group, kind, engine, cluster-wide).
const POLICY_KINDS: &[(&str, &str, &str, bool)] = &[
    ("cilium.io", "CiliumNetworkPolicy", "Cilium", false),
    (
        "cilium.io",
        "CiliumClusterwideNetworkPolicy",
        "Cilium",
        true,
    ),
    ("crd.projectcalico.org", "NetworkPolicy", "Calico", false),
    (
        "crd.projectcalico.org",
        "GlobalNetworkPolicy",
        "Calico",
        true,
    ),
    ("projectcalico.org", "NetworkPolicy", "Calico", false),
    ("projectcalico.org", "GlobalNetworkPolicy", "Calico", true),
    ("projectcalico.org", "StagedNetworkPolicy", "Calico", false),
    ("crd.antrea.io", "NetworkPolicy", "Antrea", false),
    ("crd.antrea.io", "ClusterNetworkPolicy", "Antrea", true),
    (
        "policy.networking.k8s.io",
        "AdminNetworkPolicy",
        "AdminNetworkPolicy",
        true,
    ),
    (
        "policy.networking.k8s.io",
        "BaselineAdminNetworkPolicy",
        "AdminNetworkPolicy",
        true,
    ),
];

impl CustomEntry {
    /// The engine whose network policy this is, if it is one.
    pub fn policy_engine(&self) -> Option<&'static str> {
        POLICY_KINDS
            .iter()
            .find(|(g, k, _, _)| *g == self.group && *k == self.kind)
            .map(|(_, _, engine, _)| *engine)
    }

    /// Whether it is a policy of another engine that applies to `namespace`: its own
    /// namespace's, or a cluster-wide one.
    pub fn policy_for(&self, namespace: &str) -> bool {
        let cluster_wide = POLICY_KINDS
            .iter()
            .any(|(g, k, _, wide)| *g == self.group && *k == self.kind && *wide);
        self.policy_engine().is_some()
            && (cluster_wide || self.namespace.as_deref() == Some(namespace))
    }

    /// `Kind name` (with its namespace), for messages.
    pub fn describe(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.origin.resource.name),
            None => format!("{} {}", self.kind, self.origin.resource.name),
        }
    }
}

/// Kinds operators are known to run pods for: (group, kind).
const POD_MAKERS: &[(&str, &str)] = &[
    ("monitoring.coreos.com", "Prometheus"),
    ("monitoring.coreos.com", "PrometheusAgent"),
    ("monitoring.coreos.com", "Alertmanager"),
    ("monitoring.coreos.com", "ThanosRuler"),
    ("ceph.rook.io", "CephCluster"),
    ("ceph.rook.io", "CephObjectStore"),
    ("ceph.rook.io", "CephFilesystem"),
    ("ceph.rook.io", "CephNFS"),
    ("kafka.strimzi.io", "Kafka"),
    ("kafka.strimzi.io", "KafkaConnect"),
    ("k8s.elastic.co", "Elasticsearch"),
    ("k8s.elastic.co", "Kibana"),
    ("postgresql.cnpg.io", "Cluster"),
    ("acid.zalan.do", "postgresql"),
    ("argoproj.io", "Rollout"),
    ("argoproj.io", "Workflow"),
    ("argoproj.io", "CronWorkflow"),
    ("tekton.dev", "TaskRun"),
    ("tekton.dev", "PipelineRun"),
    ("serving.knative.dev", "Service"),
    ("gateway.networking.k8s.io", "Gateway"),
    ("opentelemetry.io", "OpenTelemetryCollector"),
    ("jaegertracing.io", "Jaeger"),
];

/// Spec fields that say a custom resource describes running software. `replicas`
/// alone does not: a Strimzi `KafkaTopic`'s is its replication factor.
const POD_SPEC_HINTS: &[&str] = &[
    "image",
    "podTemplate",
    "template",
    "podSpec",
    "containers",
    "instances",
];

/// Whether an operator likely runs pods for this custom resource: a kind known to,
/// or a spec that names an image, containers or a pod template.
pub(crate) fn makes_pods(group: &str, kind: &str, root: &kubeharden_yaml::Node) -> bool {
    POD_MAKERS.iter().any(|(g, k)| *g == group && *k == kind)
        || root
            .get("spec")
            .is_some_and(|spec| POD_SPEC_HINTS.iter().any(|h| spec.get(h).is_some()))
}

/// Whether a kind is cluster-scoped, as far as the policy kinds say; other custom
/// kinds are taken as namespaced when the object names a namespace.
pub(crate) fn cluster_scoped(group: &str, kind: &str) -> bool {
    POLICY_KINDS
        .iter()
        .any(|(g, k, _, wide)| *g == group && *k == kind && *wide)
}

/// The custom kinds the view reads, as (group, kind): other engines' network
/// policies and the pod makers operators are known for. A live scan lists these
/// (other custom resources are not read from a cluster, whose pods are seen).
pub fn kinds_read() -> impl Iterator<Item = (&'static str, &'static str)> {
    let policies = POLICY_KINDS.iter().map(|(g, k, _, _)| (*g, *k));
    policies.chain(POD_MAKERS.iter().copied())
}
