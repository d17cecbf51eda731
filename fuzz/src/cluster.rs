//! Arbitrary clusters: namespaces, workloads, services, NetworkPolicies and RBAC
//! objects built from the fuzzer's bytes, with names drawn mostly from small
//! vocabularies so that references (a binding's role, a policy's selector, a pod's
//! service account) meet, and now and then from free text.
//!
//! Bytes reach deeper this way than through YAML: every input is a cluster whose
//! objects refer to each other, and the fuzzer explores their combinations rather
//! than the syntax the `engine` target already covers.

use std::sync::Arc;

use arbitrary::{Arbitrary, Unstructured};
use kubeharden_cluster::{ClusterFacts, ClusterView};
use kubeharden_load::{load_text, Workload};
use kubeharden_yaml::Limits;
use serde_json::{json, Map, Value};

/// Most objects of each kind rendered: enough for every interaction, small enough
/// that an input runs fast.
const MAX_EACH: usize = 8;

/// A name: usually one of a vocabulary, sometimes free text.
#[derive(Clone, Debug)]
pub struct Word<const V: usize>(pub String);

/// The vocabularies `Word` draws from.
const VOCABULARIES: &[&[&str]] = &[
    // 0: namespaces
    &["default", "app", "kube-system", "web", "db", ""],
    // 1: object names
    &[
        "a",
        "b",
        "web",
        "admin",
        "edit",
        "view",
        "cluster-admin",
        "default",
        "system:node",
    ],
    // 2: label keys
    &[
        "app",
        "tier",
        "kubernetes.io/metadata.name",
        "role",
        "env",
        "rbac.example.com/aggregate",
    ],
    // 3: label values
    &[
        "web",
        "db",
        "api",
        "default",
        "app",
        "kube-system",
        "prod",
        "true",
        "",
    ],
    // 4: verbs
    &[
        "get",
        "list",
        "watch",
        "create",
        "update",
        "patch",
        "delete",
        "*",
        "impersonate",
        "bind",
        "escalate",
        "deletecollection",
    ],
    // 5: resources
    &[
        "pods",
        "secrets",
        "*",
        "pods/exec",
        "pods/attach",
        "roles",
        "clusterroles",
        "rolebindings",
        "clusterrolebindings",
        "serviceaccounts",
        "serviceaccounts/token",
        "nodes/proxy",
        "deployments",
        "users",
        "groups",
        "certificatesigningrequests",
        "namespaces",
        "configmaps",
    ],
    // 6: API groups
    &[
        "",
        "*",
        "apps",
        "rbac.authorization.k8s.io",
        "batch",
        "certificates.k8s.io",
        "authentication.k8s.io",
    ],
    // 7: subject names
    &[
        "alice",
        "bob",
        "system:anonymous",
        "system:authenticated",
        "system:unauthenticated",
        "system:serviceaccounts",
        "system:serviceaccounts:app",
        "system:masters",
        "default",
        "runner",
        "ci",
    ],
    // 8: CIDRs
    &[
        "10.0.0.0/8",
        "0.0.0.0/0",
        "10.1.2.3/32",
        "10.1.0.0/16",
        "192.168.1.0/24",
        "::/0",
        "fd00::/8",
        "10.0.0.0/33",
        "bogus",
        "10.1.2.3",
    ],
    // 9: port names
    &["http", "https", "metrics", "dns", "grpc"],
    // 10: protocols
    &["TCP", "UDP", "SCTP", "tcp"],
    // 11: non-resource URLs
    &["/healthz", "/metrics", "*", "/api/*", "/logs"],
];

impl<'a, const V: usize> Arbitrary<'a> for Word<V> {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let words = VOCABULARIES[V];
        let pick = u.int_in_range(0..=words.len())?;
        match words.get(pick) {
            Some(word) => Ok(Word(word.to_string())),
            None => Ok(Word(String::arbitrary(u)?)),
        }
    }
}

pub type Namespace = Word<0>;
pub type Name = Word<1>;
pub type Verb = Word<4>;
pub type Resource = Word<5>;
pub type Group = Word<6>;

/// At most `MAX_EACH` of a list.
fn few<T>(list: &[T]) -> &[T] {
    &list[..list.len().min(MAX_EACH)]
}

fn words<const V: usize>(list: &[Word<V>]) -> Value {
    json!(few(list).iter().map(|w| w.0.as_str()).collect::<Vec<_>>())
}

#[derive(Clone, Debug, Arbitrary)]
pub struct Labels(pub Vec<(Word<2>, Word<3>)>);

impl Labels {
    fn json(&self) -> Value {
        let map: Map<String, Value> = few(&self.0)
            .iter()
            .map(|(k, v)| (k.0.clone(), json!(v.0)))
            .collect();
        Value::Object(map)
    }
}

#[derive(Clone, Debug, Arbitrary)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Other(String),
}

#[derive(Clone, Debug, Arbitrary)]
pub struct Selector {
    pub labels: Labels,
    pub expressions: Vec<(Word<2>, Operator, Vec<Word<3>>)>,
}

impl Selector {
    fn json(&self) -> Value {
        let mut out = Map::new();
        if !self.labels.0.is_empty() {
            out.insert("matchLabels".into(), self.labels.json());
        }
        let expressions: Vec<Value> = few(&self.expressions)
            .iter()
            .map(|(key, op, values)| {
                let operator = match op {
                    Operator::In => "In",
                    Operator::NotIn => "NotIn",
                    Operator::Exists => "Exists",
                    Operator::DoesNotExist => "DoesNotExist",
                    Operator::Other(text) => text.as_str(),
                };
                json!({ "key": key.0, "operator": operator, "values": words(values) })
            })
            .collect();
        if !expressions.is_empty() {
            out.insert("matchExpressions".into(), json!(expressions));
        }
        Value::Object(out)
    }
}

#[derive(Clone, Debug, Arbitrary)]
pub struct NamespaceDef {
    pub name: Namespace,
    pub labels: Labels,
}

#[derive(Clone, Debug, Arbitrary)]
pub enum WorkloadKind {
    Pod,
    Deployment,
    DaemonSet,
    StatefulSet,
    Job,
    CronJob,
}

#[derive(Clone, Debug, Arbitrary)]
pub struct ContainerPort {
    pub name: Option<Word<9>>,
    pub port: u16,
    pub protocol: Option<Word<10>>,
}

#[derive(Clone, Debug, Arbitrary)]
pub struct WorkloadDef {
    pub kind: WorkloadKind,
    pub namespace: Namespace,
    pub name: Name,
    pub labels: Labels,
    pub service_account: Option<Name>,
    pub automount: Option<bool>,
    pub ports: Vec<ContainerPort>,
    pub privileged: bool,
    pub host_network: bool,
    pub host_path: Option<String>,
    /// A running pod's address (`status.podIP`), for ipBlock peers.
    pub pod_ip: Option<Word<8>>,
}

impl WorkloadDef {
    fn pod_spec(&self) -> Value {
        let ports: Vec<Value> = few(&self.ports)
            .iter()
            .map(|p| {
                let mut port = json!({ "containerPort": p.port });
                if let Some(name) = &p.name {
                    port["name"] = json!(name.0);
                }
                if let Some(protocol) = &p.protocol {
                    port["protocol"] = json!(protocol.0);
                }
                port
            })
            .collect();
        let mut container = json!({
            "name": "c",
            "image": "registry.example.com/app@sha256:0123456789abcdef",
            "ports": ports,
        });
        if self.privileged {
            container["securityContext"] = json!({ "privileged": true });
        }
        let mut spec = json!({ "containers": [container] });
        if let Some(sa) = &self.service_account {
            spec["serviceAccountName"] = json!(sa.0);
        }
        if let Some(automount) = self.automount {
            spec["automountServiceAccountToken"] = json!(automount);
        }
        if self.host_network {
            spec["hostNetwork"] = json!(true);
        }
        if let Some(path) = &self.host_path {
            spec["volumes"] = json!([{ "name": "h", "hostPath": { "path": path } }]);
        }
        spec
    }

    fn json(&self) -> Value {
        let metadata = json!({ "name": self.name.0, "namespace": self.namespace.0, "labels": self.labels.json() });
        let template =
            json!({ "metadata": { "labels": self.labels.json() }, "spec": self.pod_spec() });
        let selector = json!({ "matchLabels": self.labels.json() });
        let (api_version, kind, spec) = match self.kind {
            WorkloadKind::Pod => ("v1", "Pod", self.pod_spec()),
            WorkloadKind::Deployment => (
                "apps/v1",
                "Deployment",
                json!({ "selector": selector, "template": template }),
            ),
            WorkloadKind::DaemonSet => (
                "apps/v1",
                "DaemonSet",
                json!({ "selector": selector, "template": template }),
            ),
            WorkloadKind::StatefulSet => (
                "apps/v1",
                "StatefulSet",
                json!({ "selector": selector, "template": template }),
            ),
            WorkloadKind::Job => ("batch/v1", "Job", json!({ "template": template })),
            WorkloadKind::CronJob => (
                "batch/v1",
                "CronJob",
                json!({ "schedule": "* * * * *", "jobTemplate": { "spec": { "template": template } } }),
            ),
        };
        let mut object =
            json!({ "apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec });
        if let (WorkloadKind::Pod, Some(ip)) = (&self.kind, &self.pod_ip) {
            object["status"] = json!({ "podIP": ip.0 });
        }
        object
    }
}

#[derive(Clone, Debug, Arbitrary)]
pub enum PortValue {
    Number(i32),
    Small(u8),
    Named(Word<9>),
}

#[derive(Clone, Debug, Arbitrary)]
pub struct PolicyPort {
    pub port: Option<PortValue>,
    pub end_port: Option<i32>,
    pub protocol: Option<Word<10>>,
}

#[derive(Clone, Debug, Arbitrary)]
pub struct Peer {
    pub pods: Option<Selector>,
    pub namespaces: Option<Selector>,
    pub block: Option<(Word<8>, Vec<Word<8>>)>,
}

#[derive(Clone, Debug, Arbitrary)]
pub struct PolicyRule {
    pub peers: Option<Vec<Peer>>,
    pub ports: Option<Vec<PolicyPort>>,
}

#[derive(Clone, Debug, Arbitrary)]
pub enum PolicyType {
    Ingress,
    Egress,
    Other(String),
}

#[derive(Clone, Debug, Arbitrary)]
pub struct NetworkPolicyDef {
    pub namespace: Namespace,
    pub name: Name,
    pub pods: Option<Selector>,
    pub types: Option<Vec<PolicyType>>,
    pub ingress: Option<Vec<PolicyRule>>,
    pub egress: Option<Vec<PolicyRule>>,
}

impl PolicyPort {
    fn json(&self) -> Value {
        let mut out = json!({});
        match &self.port {
            Some(PortValue::Number(n)) => out["port"] = json!(n),
            Some(PortValue::Small(n)) => out["port"] = json!(u16::from(*n) + 20),
            Some(PortValue::Named(name)) => out["port"] = json!(name.0),
            None => {}
        }
        if let Some(end) = self.end_port {
            out["endPort"] = json!(end);
        }
        if let Some(protocol) = &self.protocol {
            out["protocol"] = json!(protocol.0);
        }
        out
    }
}

impl PolicyRule {
    fn json(&self, peers_key: &str) -> Value {
        let mut out = json!({});
        if let Some(peers) = &self.peers {
            let peers: Vec<Value> = few(peers)
                .iter()
                .map(|p| {
                    let mut peer = json!({});
                    if let Some(s) = &p.pods {
                        peer["podSelector"] = s.json();
                    }
                    if let Some(s) = &p.namespaces {
                        peer["namespaceSelector"] = s.json();
                    }
                    if let Some((cidr, except)) = &p.block {
                        peer["ipBlock"] = json!({ "cidr": cidr.0, "except": words(except) });
                    }
                    peer
                })
                .collect();
            out[peers_key] = json!(peers);
        }
        if let Some(ports) = &self.ports {
            out["ports"] = json!(few(ports).iter().map(PolicyPort::json).collect::<Vec<_>>());
        }
        out
    }
}

impl NetworkPolicyDef {
    fn json(&self) -> Value {
        let mut spec = json!({});
        spec["podSelector"] = self.pods.as_ref().map_or(json!({}), Selector::json);
        if let Some(types) = &self.types {
            let types: Vec<&str> = few(types)
                .iter()
                .map(|t| match t {
                    PolicyType::Ingress => "Ingress",
                    PolicyType::Egress => "Egress",
                    PolicyType::Other(text) => text.as_str(),
                })
                .collect();
            spec["policyTypes"] = json!(types);
        }
        if let Some(rules) = &self.ingress {
            spec["ingress"] = json!(few(rules)
                .iter()
                .map(|r| r.json("from"))
                .collect::<Vec<_>>());
        }
        if let Some(rules) = &self.egress {
            spec["egress"] = json!(few(rules).iter().map(|r| r.json("to")).collect::<Vec<_>>());
        }
        json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": { "name": self.name.0, "namespace": self.namespace.0 },
            "spec": spec,
        })
    }
}

#[derive(Clone, Debug, Arbitrary)]
pub struct ServiceDef {
    pub namespace: Namespace,
    pub name: Name,
    pub selector: Labels,
    pub load_balancer: bool,
    pub ports: Vec<(u16, Option<PortValue>)>,
}

impl ServiceDef {
    fn json(&self) -> Value {
        let ports: Vec<Value> = few(&self.ports)
            .iter()
            .map(|(port, target)| {
                let mut p = json!({ "port": port });
                match target {
                    Some(PortValue::Number(n)) => p["targetPort"] = json!(n),
                    Some(PortValue::Small(n)) => p["targetPort"] = json!(u16::from(*n) + 20),
                    Some(PortValue::Named(name)) => p["targetPort"] = json!(name.0),
                    None => {}
                }
                p
            })
            .collect();
        let kind = if self.load_balancer {
            "LoadBalancer"
        } else {
            "ClusterIP"
        };
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": { "name": self.name.0, "namespace": self.namespace.0 },
            "spec": { "type": kind, "selector": self.selector.json(), "ports": ports },
        })
    }
}

#[derive(Clone, Debug, Arbitrary)]
pub struct RbacRule {
    pub verbs: Vec<Verb>,
    pub groups: Option<Vec<Group>>,
    pub resources: Option<Vec<Resource>>,
    pub names: Option<Vec<Name>>,
    pub urls: Option<Vec<Word<11>>>,
}

impl RbacRule {
    fn json(&self) -> Value {
        let mut out = json!({ "verbs": words(&self.verbs) });
        if let Some(g) = &self.groups {
            out["apiGroups"] = words(g);
        }
        if let Some(r) = &self.resources {
            out["resources"] = words(r);
        }
        if let Some(n) = &self.names {
            out["resourceNames"] = words(n);
        }
        if let Some(u) = &self.urls {
            out["nonResourceURLs"] = words(u);
        }
        out
    }
}

#[derive(Clone, Debug, Arbitrary)]
pub struct RoleDef {
    /// A ClusterRole when there is no namespace.
    pub namespace: Option<Namespace>,
    pub name: Name,
    pub labels: Labels,
    pub rules: Vec<RbacRule>,
    pub aggregation: Option<Vec<Selector>>,
}

impl RoleDef {
    fn json(&self) -> Value {
        let kind = if self.namespace.is_some() {
            "Role"
        } else {
            "ClusterRole"
        };
        let mut metadata = json!({ "name": self.name.0, "labels": self.labels.json() });
        if let Some(ns) = &self.namespace {
            metadata["namespace"] = json!(ns.0);
        }
        let mut out = json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": kind,
            "metadata": metadata,
            "rules": few(&self.rules).iter().map(RbacRule::json).collect::<Vec<_>>(),
        });
        if let (None, Some(selectors)) = (&self.namespace, &self.aggregation) {
            let selectors: Vec<Value> = few(selectors).iter().map(Selector::json).collect();
            out["aggregationRule"] = json!({ "clusterRoleSelectors": selectors });
        }
        out
    }
}

#[derive(Clone, Debug, Arbitrary)]
pub enum SubjectKind {
    User,
    Group,
    ServiceAccount,
    Other(String),
}

#[derive(Clone, Debug, Arbitrary)]
pub struct SubjectDef {
    pub kind: SubjectKind,
    pub name: Word<7>,
    pub namespace: Option<Namespace>,
}

#[derive(Clone, Debug, Arbitrary)]
pub struct BindingDef {
    /// A ClusterRoleBinding when there is no namespace.
    pub namespace: Option<Namespace>,
    pub name: Name,
    pub role_is_cluster_role: bool,
    pub role: Name,
    pub subjects: Vec<SubjectDef>,
}

impl BindingDef {
    fn json(&self) -> Value {
        let kind = if self.namespace.is_some() {
            "RoleBinding"
        } else {
            "ClusterRoleBinding"
        };
        let mut metadata = json!({ "name": self.name.0 });
        if let Some(ns) = &self.namespace {
            metadata["namespace"] = json!(ns.0);
        }
        let role_kind = if self.role_is_cluster_role {
            "ClusterRole"
        } else {
            "Role"
        };
        let subjects: Vec<Value> = few(&self.subjects)
            .iter()
            .map(|s| {
                let kind = match &s.kind {
                    SubjectKind::User => "User",
                    SubjectKind::Group => "Group",
                    SubjectKind::ServiceAccount => "ServiceAccount",
                    SubjectKind::Other(text) => text.as_str(),
                };
                let mut subject = json!({ "kind": kind, "name": s.name.0 });
                if let Some(ns) = &s.namespace {
                    subject["namespace"] = json!(ns.0);
                }
                subject
            })
            .collect();
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": kind,
            "metadata": metadata,
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": self.role.0 },
            "subjects": subjects,
        })
    }
}

#[derive(Clone, Debug, Arbitrary)]
pub struct ServiceAccountDef {
    pub namespace: Namespace,
    pub name: Name,
    pub automount: Option<bool>,
}

/// A question to ask of the RBAC model: `who can VERB RESOURCE`.
#[derive(Clone, Debug, Arbitrary)]
pub struct Question {
    pub verb: Verb,
    pub resource: Resource,
    pub group: Option<Group>,
    pub namespace: Option<Namespace>,
    pub name: Option<Name>,
}

impl Question {
    /// The resource as `rbac who-can` takes it: `RESOURCE[.GROUP][/SUB]`.
    pub fn resource(&self) -> String {
        match &self.group {
            Some(group) if !group.0.is_empty() => match self.resource.0.split_once('/') {
                Some((res, sub)) => format!("{res}.{}/{sub}", group.0),
                None => format!("{}.{}", self.resource.0, group.0),
            },
            _ => self.resource.0.clone(),
        }
    }
}

#[derive(Clone, Debug, Arbitrary)]
pub struct Cluster {
    pub namespaces: Vec<NamespaceDef>,
    pub workloads: Vec<WorkloadDef>,
    pub services: Vec<ServiceDef>,
    pub policies: Vec<NetworkPolicyDef>,
    pub roles: Vec<RoleDef>,
    pub bindings: Vec<BindingDef>,
    pub service_accounts: Vec<ServiceAccountDef>,
    pub questions: Vec<Question>,
    /// Ports to ask `netpol reach` about.
    pub ports: Vec<(u16, Word<10>)>,
}

impl Cluster {
    /// Every object, as a JSON document each (JSON is YAML), separated by `---`.
    pub fn to_yaml(&self) -> String {
        let mut docs: Vec<Value> = Vec::new();
        docs.extend(few(&self.namespaces).iter().map(|n| {
            json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": n.name.0, "labels": n.labels.json() } })
        }));
        docs.extend(few(&self.workloads).iter().map(WorkloadDef::json));
        docs.extend(few(&self.services).iter().map(ServiceDef::json));
        docs.extend(few(&self.policies).iter().map(NetworkPolicyDef::json));
        docs.extend(few(&self.roles).iter().map(RoleDef::json));
        docs.extend(few(&self.bindings).iter().map(BindingDef::json));
        docs.extend(few(&self.service_accounts).iter().map(|sa| {
            let mut out = json!({ "apiVersion": "v1", "kind": "ServiceAccount", "metadata": { "name": sa.name.0, "namespace": sa.namespace.0 } });
            if let Some(automount) = sa.automount {
                out["automountServiceAccountToken"] = json!(automount);
            }
            out
        }));
        docs.iter()
            .map(|d| serde_json::to_string_pretty(d).expect("JSON renders"))
            .collect::<Vec<_>>()
            .join("\n---\n")
    }

    /// The view of the cluster's objects, as the engine builds it.
    pub fn view(&self) -> ClusterView {
        let name: Arc<str> = "cluster.yaml".into();
        let loaded = load_text(&name, &self.to_yaml(), &Limits::default());
        let mut facts = ClusterFacts::default();
        for object in &loaded.objects {
            let workload = Workload::from_object(object).map(|(w, _)| w);
            facts.observe(object, workload.as_ref());
        }
        ClusterView::build(facts)
    }

    pub fn questions(&self) -> &[Question] {
        few(&self.questions)
    }

    pub fn ports(&self) -> &[(u16, Word<10>)] {
        few(&self.ports)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_bytes_make_a_cluster_that_loads() {
        let bytes: Vec<u8> = (0..4096u32)
            .map(|i| (i * 2_654_435_761 >> 13) as u8)
            .collect();
        let mut u = Unstructured::new(&bytes);
        let cluster = Cluster::arbitrary(&mut u).unwrap();
        let text = cluster.to_yaml();
        for doc in text.split("\n---\n") {
            serde_json::from_str::<Value>(doc).unwrap();
        }
    }
}
