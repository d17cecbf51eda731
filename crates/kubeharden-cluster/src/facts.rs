//! What is kept of each object for cross-object analysis.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::ServiceSpec;
use k8s_openapi::api::networking::v1::NetworkPolicySpec;
use k8s_openapi::api::rbac::v1::{AggregationRule, PolicyRule, RoleRef, Subject};
use kubeharden_load::{read_field, LoadError, LoadErrorKind, Object, Resource, Workload};
use kubeharden_yaml::{FieldPath, Node, Pos};

use crate::selector::Labels;

/// Which object, in which file, an entry comes from.
#[derive(Clone, Debug)]
pub struct Origin {
    pub file: Arc<str>,
    pub helm_source: Option<Arc<str>>,
    pub resource: Arc<Resource>,
    /// Where the object starts: of two definitions in one file, the later counts.
    pub pos: Pos,
}

impl Origin {
    pub(crate) fn of(object: &Object) -> Origin {
        Origin {
            file: object.file.clone(),
            helm_source: object.helm_source.clone(),
            resource: object.resource.clone(),
            pos: object.root.pos,
        }
    }
}

/// The namespace an object lands in: its own (or the scan's default, which the
/// engine has already put in), else `default` as `kubectl apply` does.
pub(crate) fn namespace_of(object: &Object) -> String {
    object
        .resource
        .namespace
        .clone()
        .unwrap_or_else(|| kubeharden_load::DEFAULT_NAMESPACE.to_string())
}

/// A ServiceAccount: what pods that run as it inherit.
#[derive(Clone, Debug)]
pub struct ServiceAccountEntry {
    pub origin: Origin,
    /// Its `automountServiceAccountToken`.
    pub automount: Option<bool>,
}

#[derive(Clone, Debug)]
pub struct NamespaceEntry {
    pub origin: Origin,
    pub root: Node,
    pub labels: Labels,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodPort {
    pub name: Option<String>,
    pub port: i32,
    pub protocol: String,
    /// The container that declares it.
    pub container: String,
}

/// A pod template: a bare Pod, or the template of a Deployment, CronJob, ...
#[derive(Clone, Debug)]
pub struct PodEntry {
    pub origin: Origin,
    pub namespace: String,
    /// The manifest names the namespace (rather than leaving it to `kubectl`).
    pub namespace_explicit: bool,
    /// Where `metadata.namespace` is (or `metadata`).
    pub namespace_pos: Pos,
    pub labels: Labels,
    /// The labels of the object that holds the template (a Deployment's own), which
    /// can differ from its pods'; a bare Pod's are its own.
    pub controller_labels: Labels,
    /// Where the pod's labels are (or its metadata, or the pod spec, when absent).
    pub labels_path: FieldPath,
    pub labels_pos: Pos,
    pub spec_path: FieldPath,
    pub spec_pos: Pos,
    pub ports: Vec<PodPort>,
    /// The containers that serve traffic (regular and sidecar containers) and run
    /// privileged: `privileged: true`, or `SYS_ADMIN`/`ALL` added, which is as good.
    pub privileged_serving: Vec<String>,
    pub host_network: bool,
    pub service_account: String,
    /// The pod's own `automountServiceAccountToken`.
    pub automount_token: Option<bool>,
    /// Images of every container.
    pub images: Vec<String>,
    /// The pod's addresses (`status.podIP`, `status.podIPs`): known only for Pod
    /// objects read from a cluster or a dump. NetworkPolicy `ipBlock` peers match them.
    pub ips: Vec<std::net::IpAddr>,
    /// `runtimeClassName`: the RuntimeClass its containers run under.
    pub runtime_class: Option<String>,
}

#[derive(Clone, Debug)]
pub struct PolicyEntry {
    pub origin: Origin,
    pub root: Node,
    pub namespace: String,
    pub spec: NetworkPolicySpec,
}

/// A Service of type NodePort or LoadBalancer.
#[derive(Clone, Debug)]
pub struct ServiceEntry {
    pub origin: Origin,
    pub root: Node,
    pub namespace: String,
    pub spec: ServiceSpec,
}

#[derive(Clone, Debug)]
pub struct LimitRangeEntry {
    pub origin: Origin,
    pub namespace: String,
    /// Resources given a container `default` (limit) and `defaultRequest`.
    pub default_limits: BTreeSet<String>,
    pub default_requests: BTreeSet<String>,
}

#[derive(Clone, Debug)]
pub struct QuotaEntry {
    pub origin: Origin,
    pub root: Node,
    pub namespace: String,
    pub hard: BTreeSet<String>,
}

/// A Role or ClusterRole (`namespace` is None for a ClusterRole).
#[derive(Clone, Debug)]
pub struct RoleEntry {
    pub origin: Origin,
    pub root: Node,
    pub namespace: Option<String>,
    pub labels: Labels,
    pub rules: Vec<PolicyRule>,
    /// `aggregationRule.clusterRoleSelectors` of an aggregated ClusterRole.
    pub aggregation: Option<Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector>>,
}

/// A RoleBinding or ClusterRoleBinding (`namespace` is None for a ClusterRoleBinding).
#[derive(Clone, Debug)]
pub struct BindingEntry {
    pub origin: Origin,
    pub root: Node,
    pub namespace: Option<String>,
    pub role_ref: RoleRef,
    pub subjects: Vec<Subject>,
}

/// A RuntimeClass (`node.k8s.io`): its handler names the runtime (`runsc`, `kata-qemu`).
#[derive(Clone, Debug)]
pub struct RuntimeClassEntry {
    pub origin: Origin,
    pub root: Node,
    pub handler: String,
}

/// A Node object, as `kubectl get nodes -o yaml` or a live read gives it: the versions
/// its kubelet reports in `status.nodeInfo`.
#[derive(Clone, Debug)]
pub struct NodeEntry {
    pub origin: Origin,
    pub root: Node,
    pub kubelet_version: Option<String>,
    pub container_runtime_version: Option<String>,
    pub kernel_version: Option<String>,
    pub os_image: Option<String>,
}

/// What a part of the scan has seen; parts are merged, then built into a view.
#[derive(Debug, Default)]
pub struct ClusterFacts {
    pub(crate) namespaces: Vec<(String, NamespaceEntry)>,
    pub(crate) pods: Vec<PodEntry>,
    pub(crate) policies: Vec<PolicyEntry>,
    pub(crate) services: Vec<ServiceEntry>,
    pub(crate) limit_ranges: Vec<LimitRangeEntry>,
    pub(crate) quotas: Vec<QuotaEntry>,
    /// Every definition of each ServiceAccount, by (namespace, name).
    pub(crate) service_accounts: Vec<((String, String), ServiceAccountEntry)>,
    pub(crate) roles: Vec<RoleEntry>,
    pub(crate) bindings: Vec<BindingEntry>,
    /// Legacy token Secrets: (namespace, service account, the Secret).
    pub(crate) token_secrets: Vec<(String, String, Origin)>,
    pub(crate) custom: Vec<crate::custom::CustomEntry>,
    /// The `ClusterSnapshot` of a live scan (or of its snapshot file).
    pub(crate) live: Vec<crate::live::LiveFacts>,
    /// Controllers, and the objects they made.
    pub(crate) owners: crate::owners::OwnerFacts,
    pub(crate) runtime_classes: Vec<RuntimeClassEntry>,
    pub(crate) nodes: Vec<NodeEntry>,
    /// Admission webhooks and policies, control-plane pods.
    pub(crate) platform: crate::platform::Platform,
}

/// Labels as selectors see them: every scalar value as its text. (A value of the
/// wrong type is reported once, by `observe`, and still matches by its text.)
fn string_map(node: Option<&Node>) -> Labels {
    node.map(|n| {
        n.entries()
            .iter()
            .filter_map(|e| {
                Some((
                    e.key.scalar_text()?.to_string(),
                    e.value.scalar_text()?.to_string(),
                ))
            })
            .collect()
    })
    .unwrap_or_default()
}

fn get_path<'n>(root: &'n Node, path: &FieldPath) -> Option<&'n Node> {
    path.segments()
        .iter()
        .try_fold(root, |node, seg| match seg {
            kubeharden_yaml::Seg::Key(k) => node.get(k),
            kubeharden_yaml::Seg::Index(i) => node.items().get(*i),
        })
}

impl ClusterFacts {
    /// The snapshot records read, by file and context: more than one means two
    /// cluster reads would be judged as one cluster.
    pub fn snapshot_records(&self) -> Vec<(&Origin, &str)> {
        self.live
            .iter()
            .map(|l| (&l.origin, l.header.context.as_str()))
            .collect()
    }

    pub fn merge(&mut self, other: ClusterFacts) {
        self.namespaces.extend(other.namespaces);
        self.pods.extend(other.pods);
        self.policies.extend(other.policies);
        self.services.extend(other.services);
        self.limit_ranges.extend(other.limit_ranges);
        self.quotas.extend(other.quotas);
        self.service_accounts.extend(other.service_accounts);
        self.roles.extend(other.roles);
        self.bindings.extend(other.bindings);
        self.token_secrets.extend(other.token_secrets);
        self.custom.extend(other.custom);
        self.live.extend(other.live);
        self.owners.merge(other.owners);
        self.runtime_classes.extend(other.runtime_classes);
        self.nodes.extend(other.nodes);
        self.platform.merge(other.platform);
    }

    /// Keeps what cross-object analysis needs of `object` (and of its pod spec), and
    /// returns the fields it could not read: a field of the wrong type is an error with
    /// its line, and reads as unset, as the API server would refuse the object.
    pub fn observe(&mut self, object: &Object, workload: Option<&Workload<'_>>) -> Vec<LoadError> {
        let mut errors = Vec::new();
        read_field::<BTreeMap<String, String>>(object, "metadata.labels", &mut errors);
        self.owners.observe(object);
        if let Some(w) = workload {
            self.pods.push(pod_entry(object, w));
            self.platform.observe_pod(object);
            return errors;
        }
        self.observe_kind(object, &mut errors);
        errors
    }

    /// ConfigMap and Secret payloads as the API server decodes them: string values,
    /// and base64 where it is binary. The rules read them; a bad one is an error.
    fn check_payload(object: &Object, errors: &mut Vec<LoadError>) {
        let res = &object.resource;
        let (strings, base64): (&[&str], &[&str]) =
            match (res.api_version.as_str(), res.kind.as_str()) {
                ("v1", "ConfigMap") => (&["data", "binaryData"], &["binaryData"]),
                ("v1", "Secret") => (&["data", "stringData"], &["data"]),
                _ => return,
            };
        for field in strings {
            read_field::<BTreeMap<String, String>>(object, field, errors);
        }
        for field in base64 {
            let entries = object
                .root
                .get(field)
                .map(|n| n.entries())
                .unwrap_or_default();
            for entry in entries {
                let Some(kubeharden_yaml::Resolved::Str(text)) = entry.value.resolved() else {
                    continue;
                };
                if kubeharden_load::decode_payload(text).is_none() {
                    let key = entry.key.scalar_text().unwrap_or("?");
                    let path = FieldPath::parse(field).key(key);
                    errors.push(LoadError::new(
                        &object.file,
                        Some(entry.value.pos),
                        LoadErrorKind::field(res, path, "not valid base64 (value withheld)"),
                    ));
                }
            }
        }
    }

    fn observe_kind(&mut self, object: &Object, errors: &mut Vec<LoadError>) {
        Self::check_payload(object, errors);
        let res = &object.resource;
        let group = res.api_version.rsplit_once('/').map_or("", |(g, _)| g);
        if self.platform.observe(group, &res.kind, object, errors) {
            return;
        }
        let origin = Origin::of(object);
        let namespace = namespace_of(object);
        match (group, res.kind.as_str()) {
            ("", "Namespace") => {
                let labels = string_map(object.root.get("metadata").and_then(|m| m.get("labels")));
                self.namespaces.push((
                    res.name.clone(),
                    NamespaceEntry {
                        origin,
                        root: object.root.clone(),
                        labels,
                    },
                ));
            }
            // extensions/v1beta1 served NetworkPolicies before Kubernetes 1.16, with the
            // same spec: old manifests still write them.
            ("networking.k8s.io" | "extensions", "NetworkPolicy") => {
                if let Some(spec) = read_field::<NetworkPolicySpec>(object, "spec", errors) {
                    self.policies.push(PolicyEntry {
                        origin,
                        root: object.root.clone(),
                        namespace,
                        spec,
                    });
                }
            }
            // Only Services that expose pods outside the cluster are kept: they are what
            // cross-object rules ask about, and ClusterIP Services are the many.
            ("", "Service") => {
                let spec = read_field::<ServiceSpec>(object, "spec", errors);
                if let Some(spec) =
                    spec.filter(|s| matches!(s.type_.as_deref(), Some("NodePort" | "LoadBalancer")))
                {
                    self.services.push(ServiceEntry {
                        origin,
                        root: object.root.clone(),
                        namespace,
                        spec,
                    });
                }
            }
            ("", "ServiceAccount") => {
                let automount =
                    object
                        .root
                        .get("automountServiceAccountToken")
                        .and_then(|n| match n.resolved() {
                            Some(kubeharden_yaml::Resolved::Bool(b)) => Some(b),
                            _ => None,
                        });
                let entry = ServiceAccountEntry { origin, automount };
                self.service_accounts
                    .push(((namespace, res.name.clone()), entry));
            }
            ("rbac.authorization.k8s.io", "Role" | "ClusterRole") => {
                let cluster = res.kind == "ClusterRole";
                let rules =
                    read_field::<Vec<PolicyRule>>(object, "rules", errors).unwrap_or_default();
                let aggregation = read_field::<AggregationRule>(object, "aggregationRule", errors)
                    .map(|a| a.cluster_role_selectors.unwrap_or_default());
                let labels = string_map(object.root.get("metadata").and_then(|m| m.get("labels")));
                let namespace = (!cluster).then_some(namespace);
                self.roles.push(RoleEntry {
                    origin,
                    root: object.root.clone(),
                    namespace,
                    labels,
                    rules,
                    aggregation: aggregation.filter(|_| cluster),
                });
            }
            ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
                let Some(role_ref) = read_field::<RoleRef>(object, "roleRef", errors) else {
                    return;
                };
                let subjects =
                    read_field::<Vec<Subject>>(object, "subjects", errors).unwrap_or_default();
                // The API server refuses a subject without a name; none would be granted.
                for (i, subject) in subjects.iter().enumerate() {
                    if subject.name.trim().is_empty() {
                        let path = FieldPath::parse("subjects").index(i).key("name");
                        let pos = object.root.locate(&path).pos;
                        let problem = "a subject needs a name (the API server refuses one without)";
                        let kind = LoadErrorKind::field(res, path, problem);
                        errors.push(LoadError::new(&object.file, Some(pos), kind));
                    }
                }
                let namespace = (res.kind == "RoleBinding").then_some(namespace);
                self.bindings.push(BindingEntry {
                    origin,
                    root: object.root.clone(),
                    namespace,
                    role_ref,
                    subjects,
                });
            }
            ("", "Secret")
                if object.root.get("type").and_then(Node::as_str)
                    == Some("kubernetes.io/service-account-token") =>
            {
                let annotations = object
                    .root
                    .get("metadata")
                    .and_then(|m| m.get("annotations"));
                if let Some(account) = annotations
                    .and_then(|a| a.get("kubernetes.io/service-account.name"))
                    .and_then(Node::as_str)
                {
                    self.token_secrets
                        .push((namespace, account.to_string(), origin));
                }
            }
            ("", "LimitRange") => {
                self.limit_ranges
                    .push(limit_range(origin, namespace, &object.root))
            }
            ("", "ResourceQuota") => {
                let hard = object
                    .root
                    .get("spec")
                    .and_then(|s| s.get("hard"))
                    .map(|h| {
                        h.entries()
                            .iter()
                            .filter_map(|e| e.key.scalar_text().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                self.quotas.push(QuotaEntry {
                    origin,
                    root: object.root.clone(),
                    namespace,
                    hard,
                });
            }
            (crate::live::SNAPSHOT_GROUP, crate::live::SNAPSHOT_KIND) => {
                if let Some(header) = read_field(object, "", errors) {
                    self.live.push(crate::live::LiveFacts {
                        origin,
                        root: object.root.clone(),
                        header,
                    });
                }
            }
            ("node.k8s.io", "RuntimeClass") => {
                let handler = object.root.get("handler").and_then(Node::as_str);
                self.runtime_classes.push(RuntimeClassEntry {
                    origin,
                    root: object.root.clone(),
                    handler: handler.unwrap_or_default().to_string(),
                });
            }
            ("", "Node") => self.nodes.push(node_entry(origin, &object.root)),
            (group, kind) if crate::custom::is_custom_group(group) => {
                let cluster_scoped = crate::custom::cluster_scoped(group, kind);
                self.custom.push(crate::custom::CustomEntry {
                    origin,
                    namespace: (!cluster_scoped).then_some(namespace),
                    group: group.to_string(),
                    kind: kind.to_string(),
                    makes_pods: crate::custom::makes_pods(group, kind, &object.root),
                });
            }
            _ => {}
        }
    }
}

fn limit_range(origin: Origin, namespace: String, root: &Node) -> LimitRangeEntry {
    let mut entry = LimitRangeEntry {
        origin,
        namespace,
        default_limits: BTreeSet::new(),
        default_requests: BTreeSet::new(),
    };
    let limits = root
        .get("spec")
        .and_then(|s| s.get("limits"))
        .map(Node::items)
        .unwrap_or_default();
    for limit in limits
        .iter()
        .filter(|l| l.get("type").and_then(Node::as_str) == Some("Container"))
    {
        let keys = |field: &str| -> Vec<String> {
            limit
                .get(field)
                .map(|d| {
                    d.entries()
                        .iter()
                        .filter_map(|e| e.key.scalar_text().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let defaults = keys("default");
        // A default limit is also the default request when no defaultRequest is given.
        entry.default_requests.extend(defaults.iter().cloned());
        entry.default_requests.extend(keys("defaultRequest"));
        entry.default_limits.extend(defaults);
    }
    entry
}

/// A Pod's addresses from its status; none for templates and for pods not yet run.
fn pod_ips(object: &Object) -> Vec<std::net::IpAddr> {
    if object.resource.kind != "Pod" {
        return Vec::new();
    }
    let Some(status) = object.root.get("status") else {
        return Vec::new();
    };
    let listed = status
        .get("podIPs")
        .into_iter()
        .flat_map(|l| l.items())
        .filter_map(|i| i.get("ip"));
    let mut ips: Vec<std::net::IpAddr> = status
        .get("podIP")
        .into_iter()
        .chain(listed)
        .filter_map(|n| n.scalar_text()?.parse().ok())
        .collect();
    ips.sort();
    ips.dedup();
    ips
}

/// Whether a container can serve a Service: regular containers, and init containers
/// that keep running as sidecars (`restartPolicy: Always`). Ephemeral containers
/// and plain init containers never do.
fn serves(c: &kubeharden_load::ContainerRef<'_>) -> bool {
    match c.kind {
        kubeharden_load::ContainerKind::Container => true,
        kubeharden_load::ContainerKind::Init => {
            c.container.restart_policy.as_deref() == Some("Always")
        }
        kubeharden_load::ContainerKind::Ephemeral => false,
    }
}

/// A capability that amounts to `privileged: true` on its own: `SYS_ADMIN` (mount,
/// namespaces, BPF...), `SYS_MODULE` (kernel modules) or `ALL`.
pub fn privileged_capability(cap: &str) -> bool {
    let cap = cap.trim_start_matches("CAP_");
    ["SYS_ADMIN", "SYS_MODULE", "ALL"]
        .iter()
        .any(|p| cap.eq_ignore_ascii_case(p))
}

/// `privileged: true`, or a capability that amounts to it.
pub fn runs_privileged(c: &k8s_openapi::api::core::v1::Container) -> bool {
    let Some(sc) = &c.security_context else {
        return false;
    };
    let added = sc.capabilities.as_ref().and_then(|caps| caps.add.as_ref());
    sc.privileged == Some(true)
        || added.is_some_and(|add| add.iter().any(|cap| privileged_capability(cap)))
}

fn node_entry(origin: Origin, root: &Node) -> NodeEntry {
    let info = root.get("status").and_then(|s| s.get("nodeInfo"));
    let text = |key: &str| {
        info.and_then(|i| i.get(key))
            .and_then(Node::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    NodeEntry {
        origin,
        root: root.clone(),
        kubelet_version: text("kubeletVersion"),
        container_runtime_version: text("containerRuntimeVersion"),
        kernel_version: text("kernelVersion"),
        os_image: text("osImage"),
    }
}

fn pod_entry(object: &Object, w: &Workload<'_>) -> PodEntry {
    let labels_path = w.meta_path.key("labels");
    let labels = string_map(get_path(&object.root, &labels_path));
    let labels_at = object.root.locate(&labels_path);
    let spec_at = object.root.locate(&w.spec_path);
    let mut ports = Vec::new();
    let mut privileged_serving = Vec::new();
    let mut images = Vec::new();
    for c in w.containers() {
        images.extend(c.container.image.clone());
        if serves(&c) && runs_privileged(c.container) {
            privileged_serving.push(c.container.name.clone());
        }
        for p in c.container.ports.iter().flatten() {
            ports.push(PodPort {
                name: p.name.clone(),
                port: p.container_port,
                protocol: p.protocol.clone().unwrap_or_else(|| "TCP".into()),
                container: c.container.name.clone(),
            });
        }
    }
    PodEntry {
        controller_labels: string_map(object.root.get("metadata").and_then(|m| m.get("labels"))),
        ips: pod_ips(object),
        origin: Origin::of(object),
        namespace: namespace_of(object),
        namespace_explicit: object.resource.namespace.is_some() && !object.namespace_defaulted,
        namespace_pos: object
            .root
            .locate(&FieldPath::parse("metadata.namespace"))
            .pos,
        labels,
        labels_path,
        labels_pos: labels_at.pos,
        spec_path: w.spec_path.clone(),
        spec_pos: spec_at.pos,
        ports,
        privileged_serving,
        host_network: w.spec.host_network == Some(true),
        service_account: w
            .spec
            .service_account_name
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "default".into()),
        automount_token: w.spec.automount_service_account_token,
        images,
        runtime_class: w.spec.runtime_class_name.clone().filter(|c| !c.is_empty()),
    }
}
