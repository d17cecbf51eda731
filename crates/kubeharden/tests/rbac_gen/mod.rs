//! Random RBAC object sets and the requests to ask about them, for the differential
//! test against the API server's SubjectAccessReview. Seeded and deterministic.

use std::collections::HashMap;

use serde_json::{json, Value};

pub use kubeharden_testbed::Rng;

/// (API group, resource, subresource) that requests name.
const TARGETS: &[(&str, &str, Option<&str>)] = &[
    ("", "pods", None),
    ("", "pods", Some("exec")),
    ("", "pods", Some("log")),
    ("", "secrets", None),
    ("", "configmaps", None),
    ("", "events", None),
    ("", "serviceaccounts", None),
    ("", "serviceaccounts", Some("token")),
    ("", "nodes", None),
    ("", "nodes", Some("proxy")),
    ("", "persistentvolumes", None),
    ("", "namespaces", None),
    ("", "namespaces", Some("status")),
    ("", "users", None),
    ("", "groups", None),
    ("apps", "deployments", None),
    ("apps", "deployments", Some("scale")),
    ("apps", "statefulsets", Some("scale")),
    ("batch", "jobs", None),
    ("events.k8s.io", "events", None),
    ("rbac.authorization.k8s.io", "roles", None),
    ("rbac.authorization.k8s.io", "rolebindings", None),
    ("rbac.authorization.k8s.io", "clusterroles", None),
    ("rbac.authorization.k8s.io", "clusterrolebindings", None),
    (
        "certificates.k8s.io",
        "certificatesigningrequests",
        Some("approval"),
    ),
    ("certificates.k8s.io", "signers", None),
    ("storage.k8s.io", "storageclasses", None),
    ("example.com", "widgets", None),
];

const VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "impersonate",
    "bind",
    "escalate",
    "approve",
];
const PATHS: &[&str] = &[
    "/healthz",
    "/livez",
    "/readyz",
    "/version",
    "/metrics",
    "/logs",
    "/logs/kubelet.log",
    "/api",
    "/api/v1",
    "/apis",
    "/openapi/v2",
    "/custom/path",
    "/custom",
];
const RULE_PATHS: &[&str] = &[
    "/healthz", "/metrics", "/logs/*", "/api/*", "/custom*", "*", "/version",
];
const NAMES: &[&str] = &["n1", "n2", "n3"];
/// Built-in ClusterRoles that bindings reference.
const BUILT_IN_ROLES: &[&str] = &[
    "view",
    "edit",
    "admin",
    "system:discovery",
    "system:basic-user",
    "system:public-info-viewer",
    "system:monitoring",
    "system:auth-delegator",
    "system:node-proxier",
];

/// An identity the test knows: how `rbac can` names it and what the API server sees.
#[derive(Clone, Debug)]
pub struct Who {
    pub cli: String,
    pub user: String,
    pub groups: Vec<String>,
}

fn user(name: &str) -> Who {
    let group = if name == "system:anonymous" {
        "system:unauthenticated"
    } else {
        "system:authenticated"
    };
    Who {
        cli: format!("user:{name}"),
        user: name.into(),
        groups: vec![group.into()],
    }
}

fn group(name: &str) -> Who {
    Who {
        cli: format!("group:{name}"),
        user: String::new(),
        groups: vec![name.into()],
    }
}

fn account(ns: &str, name: &str) -> Who {
    Who {
        cli: format!("sa:{ns}/{name}"),
        user: format!("system:serviceaccount:{ns}:{name}"),
        groups: vec![
            "system:serviceaccounts".into(),
            format!("system:serviceaccounts:{ns}"),
            "system:authenticated".into(),
        ],
    }
}

/// One request: resource attributes, or a non-resource path. `namespace` is what a
/// user asks (`-n`), also for cluster-scoped resources.
#[derive(Clone, Debug)]
pub struct Query {
    pub verb: String,
    pub group: String,
    pub resource: String,
    pub subresource: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub path: Option<String>,
}

impl Query {
    /// The RESOURCE argument of `rbac can`: `resource[.group][/sub]` or the path.
    pub fn cli_resource(&self) -> String {
        if let Some(path) = &self.path {
            return path.clone();
        }
        let mut out = self.resource.clone();
        if !self.group.is_empty() {
            out.push_str(&format!(".{}", self.group));
        }
        if let Some(sub) = &self.subresource {
            out.push_str(&format!("/{sub}"));
        }
        out
    }
}

/// One round: what the API server holds, what kubeharden scans, and what to ask.
pub struct Round {
    pub namespaces: [String; 2],
    pub label: (String, String),
    /// Roles before bindings, so the server can take them in order.
    pub server_objects: Vec<Value>,
    /// The same, with subjects the API server refuses (unknown kinds, a service account
    /// without a namespace in a ClusterRoleBinding): they must match no one.
    pub scan_objects: Vec<Value>,
    pub identities: Vec<Who>,
}

struct Gen<'a> {
    rng: &'a mut Rng,
    ns: [String; 2],
    tag: String,
}

impl Gen<'_> {
    fn rule(&mut self, cluster: bool) -> Value {
        if cluster && self.rng.chance(15) {
            let n = 1 + self.rng.below(2);
            let urls: Vec<&str> = (0..n).map(|_| *self.rng.pick(RULE_PATHS)).collect();
            let verbs = if self.rng.chance(20) {
                vec!["*"]
            } else {
                vec!["get", "post"][..1 + self.rng.below(2)].to_vec()
            };
            return json!({"nonResourceURLs": urls, "verbs": verbs});
        }
        let mut groups = Vec::new();
        let mut resources = Vec::new();
        for _ in 0..1 + self.rng.below(3) {
            let (g, r, sub) = *self.rng.pick(TARGETS);
            let resource = match (sub, self.rng.below(10)) {
                (Some(s), 0..=1) => format!("*/{s}"),
                (Some(s), _) => format!("{r}/{s}"),
                (None, 0) => format!("{r}/*"),
                (None, _) => r.to_string(),
            };
            push_new(&mut groups, g.to_string());
            push_new(&mut resources, resource);
        }
        if self.rng.chance(8) {
            groups = vec!["*".into()];
        }
        if self.rng.chance(6) {
            resources = vec!["*".into()];
        }
        let verbs: Vec<&str> = if self.rng.chance(10) {
            vec!["*"]
        } else {
            (0..1 + self.rng.below(3))
                .map(|_| *self.rng.pick(VERBS))
                .collect()
        };
        let mut rule = json!({"apiGroups": groups, "resources": resources, "verbs": dedup(verbs)});
        if self.rng.chance(20) {
            rule["resourceNames"] = json!(NAMES[..1 + self.rng.below(2)]);
        }
        rule
    }

    fn rules(&mut self, cluster: bool) -> Vec<Value> {
        (0..1 + self.rng.below(3))
            .map(|_| self.rule(cluster))
            .collect()
    }

    fn meta(&self, name: &str, ns: Option<&str>) -> Value {
        let mut m = json!({"name": name, "labels": {"kubeharden.test/owner": self.tag}});
        if let Some(ns) = ns {
            m["namespace"] = json!(ns);
        }
        m
    }

    /// Plain ClusterRoles (some labelled for aggregation, into the test's aggregated
    /// roles or the built-in view and edit), then aggregated ones that also carry rules
    /// of their own, which the aggregation controller overwrites.
    fn cluster_roles(&mut self) -> Vec<Value> {
        let mut out = Vec::new();
        for i in 0..4 {
            let mut meta = self.meta(&format!("{}-cr{i}", self.tag), None);
            for k in 0..2 {
                if self.rng.chance(50) {
                    meta["labels"][format!("kubeharden.test/agg{k}")] = json!(self.tag);
                }
            }
            if self.rng.chance(15) {
                let to = if self.rng.chance(50) { "view" } else { "edit" };
                meta["labels"][format!("rbac.authorization.k8s.io/aggregate-to-{to}")] =
                    json!("true");
            }
            out.push(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": meta, "rules": self.rules(true)}),
            );
        }
        for k in 0..2 {
            let selector = json!({"matchLabels": {format!("kubeharden.test/agg{k}"): self.tag}});
            out.push(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": self.meta(&format!("{}-agg{k}", self.tag), None),
                "aggregationRule": {"clusterRoleSelectors": [selector]},
                "rules": self.rules(true)}),
            );
        }
        out
    }

    fn roles(&mut self) -> Vec<Value> {
        let mut out = Vec::new();
        for ns in self.ns.clone() {
            for i in 0..2 {
                out.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                    "metadata": self.meta(&format!("role{i}"), Some(&ns)), "rules": self.rules(false)}));
            }
        }
        out
    }

    /// A subject the API server accepts.
    fn subject(&mut self, in_role_binding: bool) -> Value {
        let [a, b] = self.ns.clone();
        let rbac = "rbac.authorization.k8s.io";
        match self.rng.below(16) {
            0..=2 => {
                json!({"kind": "User", "apiGroup": rbac, "name": self.rng.pick(&["alice", "bob", "carol"])})
            }
            3 => {
                json!({"kind": "User", "apiGroup": rbac, "name": format!("system:serviceaccount:{a}:sa1")})
            }
            4..=5 => {
                json!({"kind": "Group", "apiGroup": rbac, "name": self.rng.pick(&["dev", "ops"])})
            }
            6 => {
                let everyone = [
                    "system:authenticated".to_string(),
                    "system:serviceaccounts".into(),
                    format!("system:serviceaccounts:{a}"),
                    "system:unauthenticated".into(),
                ];
                json!({"kind": "Group", "apiGroup": rbac, "name": self.rng.pick(&everyone)})
            }
            7 if in_role_binding => json!({"kind": "ServiceAccount", "name": "sa0"}),
            _ => {
                let (ns, name) =
                    *self
                        .rng
                        .pick(&[(&a, "sa0"), (&a, "sa1"), (&b, "sa0"), (&b, "default")]);
                json!({"kind": "ServiceAccount", "name": name, "namespace": ns})
            }
        }
    }

    /// A subject the API server refuses, so only kubeharden sees it.
    fn refused_subject(&mut self, in_role_binding: bool) -> Value {
        match self.rng.below(4) {
            0 => json!({"kind": "user", "name": "alice"}),
            1 => json!({"kind": "Team", "name": "dev"}),
            2 if in_role_binding => json!({"kind": "serviceaccount", "name": "sa1"}),
            _ if in_role_binding => json!({"kind": "ServiceAccountX", "name": "sa0"}),
            _ => json!({"kind": "ServiceAccount", "name": "sa0"}),
        }
    }

    fn role_ref(&mut self, role_binding: bool) -> Value {
        let name = match self.rng.below(10) {
            0..=2 if role_binding => format!("role{}", self.rng.below(2)),
            0..=4 => format!(
                "{}-{}",
                self.tag,
                self.rng.pick(&["cr0", "cr1", "cr2", "cr3", "agg0", "agg1"])
            ),
            5..=8 => self.rng.pick(BUILT_IN_ROLES).to_string(),
            _ if self.rng.chance(30) => "cluster-admin".into(),
            _ => "missing-role".into(),
        };
        let kind = if role_binding && name.starts_with("role") {
            "Role"
        } else {
            "ClusterRole"
        };
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name})
    }

    /// (as the server holds it, as kubeharden scans it)
    fn binding(&mut self, name: &str, ns: Option<&str>) -> (Value, Value) {
        let kind = if ns.is_some() {
            "RoleBinding"
        } else {
            "ClusterRoleBinding"
        };
        let subjects: Vec<Value> = (0..1 + self.rng.below(3))
            .map(|_| self.subject(ns.is_some()))
            .collect();
        let server = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
            "metadata": self.meta(name, ns), "subjects": subjects, "roleRef": self.role_ref(ns.is_some())});
        let mut scanned = server.clone();
        if self.rng.chance(35) {
            let extra = self.refused_subject(ns.is_some());
            scanned["subjects"].as_array_mut().unwrap().push(extra);
        }
        (server, scanned)
    }
}

fn push_new(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

fn dedup(mut verbs: Vec<&str>) -> Vec<&str> {
    verbs.sort_unstable();
    verbs.dedup();
    verbs
}

/// The identities every round asks about.
fn identities(ns: &[String; 2]) -> Vec<Who> {
    let [a, b] = ns;
    vec![
        user("alice"),
        user("bob"),
        user("carol"),
        user("system:anonymous"),
        user("system:kube-scheduler"),
        group("dev"),
        group("ops"),
        group("system:serviceaccounts"),
        account(a, "sa0"),
        account(a, "sa1"),
        account(b, "sa0"),
        account(b, "default"),
        account("kube-system", "bootstrap-signer"),
    ]
}

pub fn round(rng: &mut Rng, pid: u32, index: usize) -> Round {
    let tag = format!("khr-{pid}-{index}");
    let ns = [format!("{tag}-a"), format!("{tag}-b")];
    let mut g = Gen {
        rng,
        ns: ns.clone(),
        tag: tag.clone(),
    };
    let mut server_objects = g.cluster_roles();
    server_objects.extend(g.roles());
    let mut scan_objects = server_objects.clone();
    for (i, n) in ns.iter().enumerate() {
        for j in 0..3 {
            let (s, k) = g.binding(&format!("rb{i}{j}"), Some(n));
            server_objects.push(s);
            scan_objects.push(k);
        }
    }
    for j in 0..3 {
        let (s, k) = g.binding(&format!("{tag}-crb{j}"), None);
        server_objects.push(s);
        scan_objects.push(k);
    }
    Round {
        namespaces: ns.clone(),
        label: ("kubeharden.test/owner".into(), tag),
        server_objects,
        scan_objects,
        identities: identities(&ns),
    }
}

/// A random request in the round's namespaces, kube-system, kube-public or none.
pub fn query(rng: &mut Rng, ns: &[String; 2]) -> Query {
    if rng.chance(15) {
        return Query {
            verb: rng.pick(&["get", "post", "put", "delete"]).to_string(),
            group: String::new(),
            resource: String::new(),
            subresource: None,
            name: None,
            namespace: None,
            path: Some(rng.pick(PATHS).to_string()),
        };
    }
    let (group, resource, sub) = *rng.pick(TARGETS);
    let namespace = match rng.below(20) {
        0..=11 => Some(ns[rng.below(2)].clone()),
        12..=13 => Some("kube-system".to_string()),
        14 => Some("kube-public".to_string()),
        _ => None,
    };
    let name = if rng.chance(50) {
        None
    } else {
        Some(rng.pick(NAMES).to_string())
    };
    // Some namespace requests name a namespace of the round, as `kubectl get ns X` does.
    let name = if resource == "namespaces" && rng.chance(50) {
        Some(ns[rng.below(2)].clone())
    } else {
        name
    };
    Query {
        verb: rng.pick(VERBS).to_string(),
        group: group.into(),
        resource: resource.into(),
        subresource: sub.map(str::to_string),
        name,
        namespace,
        path: None,
    }
}

/// The identity a binding subject stands for, among those the test knows.
fn identity_of(rng: &mut Rng, subject: &Value, binding_ns: Option<&str>, ids: &[Who]) -> Who {
    let name = subject["name"].as_str().unwrap_or_default();
    let find = |cli: String| ids.iter().find(|w| w.cli == cli).cloned();
    // Subjects of unknown kinds stand for whom they could be mistaken for.
    let kind = subject["kind"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let found = match kind.trim_end_matches('x') {
        "user" => match name.strip_prefix("system:serviceaccount:") {
            Some(rest) => find(format!("sa:{}", rest.replacen(':', "/", 1))),
            None => find(format!("user:{name}")),
        },
        "serviceaccount" => {
            let ns = subject["namespace"]
                .as_str()
                .or(binding_ns)
                .unwrap_or_default();
            find(format!("sa:{ns}/{name}"))
        }
        // A member of the group: the group itself, or a user or account in it.
        "group" | "team" => {
            let members: Vec<&Who> = ids
                .iter()
                .filter(|w| w.groups.iter().any(|g| g == name))
                .collect();
            (!members.is_empty()).then(|| (*rng.pick(&members)).clone())
        }
        _ => None,
    };
    found.unwrap_or_else(|| rng.pick(ids).clone())
}

/// A request made from one of the rule's own values (a wildcard made concrete).
fn from_rule(rng: &mut Rng, rule: &Value, binding_ns: Option<&str>, ns: &[String; 2]) -> Query {
    let pick_str = |rng: &mut Rng, key: &str| -> String {
        let list = rule[key].as_array().cloned().unwrap_or_default();
        list.get(rng.below(list.len().max(1)))
            .and_then(Value::as_str)
            .unwrap_or("*")
            .to_string()
    };
    let mut q = query(rng, ns);
    let verb = pick_str(rng, "verbs");
    if verb != "*" {
        q.verb = verb;
    }
    if rule.get("nonResourceURLs").is_some() {
        let url = pick_str(rng, "nonResourceURLs");
        q.path = Some(if url == "*" {
            "/anything".into()
        } else {
            url.replace('*', "x")
        });
        if !["get", "post", "put", "delete"].contains(&q.verb.as_str()) {
            q.verb = "get".into();
        }
        return q;
    }
    q.path = None;
    let group = pick_str(rng, "apiGroups");
    let resource = pick_str(rng, "resources");
    let (_, target, target_sub) = *rng.pick(TARGETS);
    (q.resource, q.subresource) = match resource.split_once('/') {
        _ if resource == "*" => (target.into(), target_sub.map(str::to_string)),
        Some(("*", sub)) => (target.into(), Some(sub.into())),
        Some((r, "*")) => (r.into(), Some("status".into())),
        Some((r, sub)) => (r.into(), Some(sub.into())),
        None => (resource, None),
    };
    // Real requests name a resource in its own group (a rule listing several groups
    // and resources also names pairs that do not exist).
    let real: Vec<&str> = TARGETS
        .iter()
        .filter(|t| t.1 == q.resource)
        .map(|t| t.0)
        .collect();
    // Resources of built-in roles that the test does not know keep the rule's group.
    q.group = match real.is_empty() {
        true if group == "*" => String::new(),
        true => group,
        false if real.contains(&group.as_str()) => group,
        false => rng.pick(&real).to_string(),
    };
    if let Some(names) = rule["resourceNames"].as_array().filter(|_| rng.chance(80)) {
        q.name = names[rng.below(names.len())].as_str().map(str::to_string);
    }
    if let Some(b) = binding_ns {
        q.namespace = Some(b.to_string());
    }
    q
}

/// A request aimed at what one of the round's bindings grants, with one of its
/// subjects, so that many requests are allowed and many more only just denied (a
/// field changed at random).
/// `cluster_rules`: every ClusterRole's rules as the API server holds them (built-in
/// ones, and aggregated ones once filled in).
pub fn targeted(
    rng: &mut Rng,
    round: &Round,
    cluster_rules: &HashMap<String, Vec<Value>>,
) -> (Who, Query) {
    // The scanned bindings, so that refused subjects are picked too.
    let bindings: Vec<&Value> = round
        .scan_objects
        .iter()
        .filter(|o| o.get("roleRef").is_some())
        .collect();
    let binding = *rng.pick(&bindings);
    let ns = binding["metadata"]["namespace"].as_str();
    let role_ref = &binding["roleRef"];
    let name = role_ref["name"].as_str().unwrap_or_default();
    let rules: Option<&Vec<Value>> = match role_ref["kind"].as_str() {
        Some("Role") => round
            .server_objects
            .iter()
            .find(|o| {
                o["kind"] == "Role"
                    && o["metadata"]["name"] == name
                    && o["metadata"]["namespace"].as_str() == ns
            })
            .and_then(|r| r["rules"].as_array()),
        _ => cluster_rules.get(name),
    };
    let subjects = binding["subjects"].as_array().unwrap();
    let subject = rng_pick_value(rng, subjects);
    let who = identity_of(rng, subject, ns, &round.identities);
    let Some(rules) = rules.filter(|r| !r.is_empty()) else {
        return (who, query(rng, &round.namespaces));
    };
    let rule = rng_pick_value(rng, rules).clone();
    let mut q = from_rule(rng, &rule, ns, &round.namespaces);
    if rng.chance(25) {
        let other = query(rng, &round.namespaces);
        match rng.below(4) {
            0 => q.verb = other.verb,
            1 => q.namespace = other.namespace,
            2 => q.name = other.name,
            _ => q.subresource = other.subresource,
        }
    }
    (who, q)
}

fn rng_pick_value<'a>(rng: &mut Rng, items: &'a [Value]) -> &'a Value {
    &items[rng.below(items.len())]
}
