//! Escalation paths: from each subject, through what it can do, to the identities it
//! can become, and on to cluster-admin-equivalent power.
//!
//! The ways to become another identity:
//! - create a pod (or pod controller) in a namespace: it runs as any service account
//!   there, and mounts its token;
//! - request a token (`serviceaccounts/token`) or impersonate a service account;
//! - read Secrets where a legacy token Secret of an account lies;
//! - exec into pods that mount an account's token, or reach every pod through
//!   `nodes/proxy`.
//!
//! And the ways to cluster-admin: hold a `*`/`*`/`*` ClusterRole through a
//! ClusterRoleBinding, impersonate the group `system:masters`, bind or escalate
//! ClusterRoles while able to create ClusterRoleBindings, or approve client
//! certificate requests.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use kubeharden_cluster::ClusterView;

use crate::authz::{Identity, Request, SubjectRef};
use crate::model::{BindingDef, RbacModel, RoleDef};

/// Kubernetes' own subjects: `system:` users and groups (not the everyone-groups or
/// anonymous) and kube-system service accounts.
pub fn is_system_subject(subject: &SubjectRef) -> bool {
    match subject {
        SubjectRef::User { name } | SubjectRef::Group { name } => {
            name.starts_with("system:")
                && !matches!(
                    name.as_str(),
                    "system:anonymous" | "system:unauthenticated" | "system:authenticated"
                )
        }
        SubjectRef::ServiceAccount { namespace, .. } => namespace == "kube-system",
    }
}

/// Where a hop leads.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Subject(SubjectRef),
    ClusterAdmin,
}

/// One step, with its evidence.
#[derive(Debug)]
pub struct Hop<'m, 'v> {
    pub from: SubjectRef,
    pub to: Node,
    /// What the subject does, e.g. "create pods in namespace ci".
    pub action: String,
    /// The binding that allows it (None when the hop needs no permission).
    pub binding: Option<&'m BindingDef<'v>>,
    pub role: Option<&'m RoleDef<'v>>,
}

/// The shortest way from a subject to cluster-admin power.
#[derive(Debug)]
pub struct EscalationPath<'m, 'v> {
    pub start: SubjectRef,
    pub hops: Vec<Hop<'m, 'v>>,
}

/// What the scan says about service accounts, by namespace.
#[derive(Default)]
struct Accounts {
    /// Every known account.
    all: BTreeMap<String, BTreeSet<String>>,
    /// Accounts whose token some pod mounts.
    mounted: BTreeMap<String, BTreeSet<String>>,
    /// Accounts with a legacy token Secret.
    with_token_secret: BTreeMap<String, BTreeSet<String>>,
}

fn accounts(view: &ClusterView, model: &RbacModel<'_>) -> Accounts {
    let mut a = Accounts::default();
    for (ns, name) in view.service_accounts.keys() {
        a.all.entry(ns.clone()).or_default().insert(name.clone());
    }
    for pod in &view.pods {
        a.all
            .entry(pod.namespace.clone())
            .or_default()
            .insert(pod.service_account.clone());
        a.all
            .entry(pod.namespace.clone())
            .or_default()
            .insert("default".into());
        let account_disables =
            view.automount_disabled(&pod.namespace, &pod.service_account, &pod.origin.file);
        let mounts = match pod.automount_token {
            Some(b) => b,
            None => !account_disables,
        };
        if mounts {
            a.mounted
                .entry(pod.namespace.clone())
                .or_default()
                .insert(pod.service_account.clone());
        }
    }
    for binding in &model.bindings {
        for s in &binding.entry.subjects {
            if let Some(SubjectRef::ServiceAccount { namespace, name }) =
                SubjectRef::from_subject(s, binding.namespace())
            {
                a.all.entry(namespace).or_default().insert(name);
            }
        }
    }
    for (ns, name, _) in &view.token_secrets {
        a.with_token_secret
            .entry(ns.clone())
            .or_default()
            .insert(name.clone());
    }
    a
}

/// A binding and the role it grants.
type Grant<'m, 'v> = (&'m BindingDef<'v>, &'m RoleDef<'v>);
type Grants<'m, 'v> = Vec<Grant<'m, 'v>>;

/// The first grant that allows `req`.
fn allowed<'m, 'v>(grants: &Grants<'m, 'v>, req: &Request) -> Option<Grant<'m, 'v>> {
    grants.iter().copied().find(|(b, r)| {
        b.covers(req)
            && r.rules
                .iter()
                .any(|rule| crate::authz::rule_allows(rule, req))
    })
}

fn admin_equivalent(role: &RoleDef<'_>) -> bool {
    let star = |l: &Option<Vec<String>>| l.as_ref().is_some_and(|l| l.iter().any(|x| x == "*"));
    role.rules
        .iter()
        .any(|r| r.verbs.iter().any(|v| v == "*") && star(&r.resources) && star(&r.api_groups))
}

/// A set of accounts that one power reaches all of: the graph goes through it once
/// instead of holding an edge from every subject to every account.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Pool {
    /// Every account of a namespace (create pods, request tokens, impersonate).
    RunAs(String),
    /// Accounts of a namespace with a legacy token Secret.
    TokenSecrets(String),
    /// Accounts of a namespace whose token some pod mounts.
    Mounted(String),
    /// Accounts whose token some pod mounts, in any namespace (`nodes/proxy`, or exec
    /// granted cluster-wide).
    MountedAnywhere,
    /// The `RunAs` pool of every namespace (a power granted cluster-wide).
    RunAsAnywhere,
    /// The `TokenSecrets` pool of every namespace.
    TokenSecretsAnywhere,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Vertex {
    Subject(SubjectRef),
    Pool(Pool),
}

/// What a hop does; rendered once a path is chosen, naming its target.
#[derive(Clone, Copy, Debug)]
enum Action {
    HoldAdmin,
    ImpersonateMasters,
    BindAdmin,
    ApproveClientCertificate,
    CreateWorkload(&'static str),
    RequestToken,
    Impersonate,
    ReadTokenSecret,
    Exec,
    NodesProxy,
    /// From a pool to one of its accounts.
    Member,
}

impl Action {
    fn render(self, to: &SubjectRef) -> String {
        let ns = match to {
            SubjectRef::ServiceAccount { namespace, .. } => namespace.as_str(),
            _ => "",
        };
        match self {
            Action::HoldAdmin => "hold cluster-admin".into(),
            Action::ImpersonateMasters => "impersonate the group system:masters".into(),
            Action::BindAdmin => "bind cluster-admin to itself (bind or escalate on clusterroles, create clusterrolebindings)".into(),
            Action::ApproveClientCertificate => {
                "approve a client certificate for the group system:masters".into()
            }
            Action::CreateWorkload(resource) => {
                format!("create {resource} in namespace {ns} running as its service account")
            }
            Action::RequestToken => format!("request a token of it (serviceaccounts/token in {ns})"),
            Action::Impersonate => format!("impersonate it (serviceaccounts in {ns})"),
            Action::ReadTokenSecret => format!("read its legacy token Secret in {ns}"),
            Action::Exec => format!("exec into a pod of {ns} that mounts its token"),
            Action::NodesProxy => {
                format!("run commands in pods of {ns} through the kubelet (nodes/proxy)")
            }
            Action::Member => String::new(),
        }
    }
}

/// An edge of the graph. `to` None is cluster-admin power.
struct Edge<'m, 'v> {
    to: Option<Vertex>,
    action: Action,
    grant: Option<Grant<'m, 'v>>,
}

/// Every edge out of `subject`.
fn subject_edges<'m, 'v>(
    model: &'m RbacModel<'v>,
    accounts: &Accounts,
    subject: &SubjectRef,
) -> Vec<Edge<'m, 'v>> {
    let identity = Identity::of(subject);
    let grants: Grants<'m, 'v> = model
        .permissions(&identity)
        .into_iter()
        .filter_map(|(b, r)| r.map(|r| (b, r)))
        .collect();
    let mut out = Vec::new();
    let mut edge = |to: Option<Vertex>, action: Action, grant: Option<Grant<'m, 'v>>| {
        out.push(Edge { to, action, grant });
    };
    let req =
        |verb: &str, resource: &str, name: Option<&str>| Request::parse(verb, resource, None, name);

    if let Some(found) = grants
        .iter()
        .copied()
        .find(|(b, r)| b.namespace().is_none() && admin_equivalent(r))
    {
        edge(None, Action::HoldAdmin, Some(found));
        return out;
    }
    if let Some(found) = allowed(
        &grants,
        &req("impersonate", "groups", Some("system:masters")),
    ) {
        edge(None, Action::ImpersonateMasters, Some(found));
    }
    let can_bind_cluster = allowed(&grants, &req("create", "clusterrolebindings", None));
    let can_grant = allowed(&grants, &req("bind", "clusterroles", Some("cluster-admin")))
        .or_else(|| allowed(&grants, &req("escalate", "clusterroles", None)));
    if let (Some(_), Some(found)) = (can_bind_cluster, can_grant) {
        edge(None, Action::BindAdmin, Some(found));
    }
    let approve = allowed(
        &grants,
        &req("update", "certificatesigningrequests/approval", None),
    );
    let sign = allowed(
        &grants,
        &req(
            "approve",
            "signers",
            Some("kubernetes.io/kube-apiserver-client"),
        ),
    );
    if let (Some(found), Some(_)) = (approve, sign) {
        edge(None, Action::ApproveClientCertificate, Some(found));
    }
    if let Some(found) = allowed(&grants, &req("get", "nodes/proxy", None))
        .or_else(|| allowed(&grants, &req("create", "nodes/proxy", None)))
    {
        edge(
            Some(Vertex::Pool(Pool::MountedAnywhere)),
            Action::NodesProxy,
            Some(found),
        );
    }

    let cluster_grants: Grants<'m, 'v> = grants
        .iter()
        .copied()
        .filter(|(b, _)| b.namespace().is_none())
        .collect();
    let mut namespaced: BTreeMap<&str, Grants<'m, 'v>> = BTreeMap::new();
    for (b, r) in grants.iter().copied() {
        if let Some(ns) = b.namespace() {
            namespaced.entry(ns).or_default().push((b, r));
        }
    }
    // What cluster-wide grants allow is the same in every namespace: it is one edge to
    // a pool of all namespaces, not one edge per namespace. Namespaces where the
    // subject also has local grants get their own edge first, so a local power names
    // its namespace's path when both are as short.
    let everywhere = NamespacePowers::of(&cluster_grants, "_");
    for (ns, local) in &namespaced {
        let Some((ns, _)) = accounts.all.get_key_value(*ns) else {
            continue;
        };
        let powers = NamespacePowers::of(local, ns).or(&everywhere);
        for (pool, action, found) in powers.edges() {
            let pool = match pool {
                Reach::RunAs => Pool::RunAs(ns.clone()),
                Reach::TokenSecrets if accounts.with_token_secret.contains_key(ns) => {
                    Pool::TokenSecrets(ns.clone())
                }
                Reach::Mounted if accounts.mounted.contains_key(ns) => Pool::Mounted(ns.clone()),
                Reach::TokenSecrets | Reach::Mounted => continue,
            };
            edge(Some(Vertex::Pool(pool)), action, Some(found));
        }
    }
    for (pool, action, found) in everywhere.edges() {
        let pool = match pool {
            Reach::RunAs => Pool::RunAsAnywhere,
            Reach::TokenSecrets => Pool::TokenSecretsAnywhere,
            Reach::Mounted => Pool::MountedAnywhere,
        };
        edge(Some(Vertex::Pool(pool)), action, Some(found));
    }
    out
}

/// The edges from a pool to its accounts (or to the pools it gathers).
fn pool_edges<'m, 'v>(accounts: &Accounts, pool: &Pool) -> Vec<Edge<'m, 'v>> {
    let gather = |namespaces: Vec<&String>, pool: fn(String) -> Pool| {
        namespaces
            .into_iter()
            .map(|ns| Edge {
                to: Some(Vertex::Pool(pool(ns.clone()))),
                action: Action::Member,
                grant: None,
            })
            .collect()
    };
    let members: Vec<(&String, &String)> = match pool {
        Pool::RunAsAnywhere => return gather(accounts.all.keys().collect(), Pool::RunAs),
        Pool::TokenSecretsAnywhere => {
            let namespaces = accounts.with_token_secret.keys();
            let known = namespaces.filter(|ns| accounts.all.contains_key(*ns));
            return gather(known.collect(), Pool::TokenSecrets);
        }
        Pool::RunAs(ns) => members_of(&accounts.all, ns),
        Pool::TokenSecrets(ns) => members_of(&accounts.with_token_secret, ns),
        Pool::Mounted(ns) => members_of(&accounts.mounted, ns),
        Pool::MountedAnywhere => accounts
            .mounted
            .iter()
            .flat_map(|(ns, names)| names.iter().map(move |name| (ns, name)))
            .collect(),
    };
    members
        .into_iter()
        .map(|(ns, name)| Edge {
            to: Some(Vertex::Subject(SubjectRef::ServiceAccount {
                namespace: ns.clone(),
                name: name.clone(),
            })),
            action: Action::Member,
            grant: None,
        })
        .collect()
}

fn members_of<'a>(
    by_namespace: &'a BTreeMap<String, BTreeSet<String>>,
    ns: &str,
) -> Vec<(&'a String, &'a String)> {
    by_namespace
        .get_key_value(ns)
        .into_iter()
        .flat_map(|(ns, names)| names.iter().map(move |name| (ns, name)))
        .collect()
}

/// Which accounts of a namespace a power reaches.
#[derive(Clone, Copy)]
enum Reach {
    RunAs,
    TokenSecrets,
    Mounted,
}

/// What a subject can do in one namespace that lets it act as the accounts there.
#[derive(Clone, Default)]
struct NamespacePowers<'m, 'v> {
    create_pod: Option<(&'static str, Grant<'m, 'v>)>,
    token: Option<Grant<'m, 'v>>,
    impersonate: Option<Grant<'m, 'v>>,
    read_secrets: Option<Grant<'m, 'v>>,
    exec: Option<Grant<'m, 'v>>,
}

impl<'m, 'v> NamespacePowers<'m, 'v> {
    fn of(grants: &Grants<'m, 'v>, ns: &str) -> Self {
        let n = Some(ns);
        let req = |verb: &str, resource: &str| Request::parse(verb, resource, n, None);
        const POD_MAKERS: [&str; 7] = [
            "pods",
            "deployments",
            "daemonsets",
            "statefulsets",
            "replicasets",
            "jobs",
            "cronjobs",
        ];
        NamespacePowers {
            create_pod: POD_MAKERS
                .iter()
                .find_map(|r| allowed(grants, &req("create", r)).map(|f| (*r, f))),
            token: allowed(grants, &req("create", "serviceaccounts/token")),
            impersonate: allowed(grants, &req("impersonate", "serviceaccounts")),
            read_secrets: allowed(grants, &req("get", "secrets"))
                .or_else(|| allowed(grants, &req("list", "secrets"))),
            exec: allowed(grants, &req("create", "pods/exec")),
        }
    }

    /// These powers, each filled in from `other` where this one lacks it.
    fn or(self, other: &Self) -> Self {
        NamespacePowers {
            create_pod: self.create_pod.or(other.create_pod),
            token: self.token.or(other.token),
            impersonate: self.impersonate.or(other.impersonate),
            read_secrets: self.read_secrets.or(other.read_secrets),
            exec: self.exec.or(other.exec),
        }
    }

    /// The pools these powers reach, each with the action and grant that reach it.
    /// Creating a workload is preferred to a token request, and that to impersonation.
    fn edges(&self) -> Vec<(Reach, Action, Grant<'m, 'v>)> {
        let run_as = self
            .create_pod
            .map(|(resource, found)| (Action::CreateWorkload(resource), found))
            .or(self.token.map(|found| (Action::RequestToken, found)))
            .or(self.impersonate.map(|found| (Action::Impersonate, found)));
        let mut edges = Vec::new();
        if let Some((action, found)) = run_as {
            edges.push((Reach::RunAs, action, found));
        }
        if let Some(found) = self.read_secrets {
            edges.push((Reach::TokenSecrets, Action::ReadTokenSecret, found));
        }
        if let Some(found) = self.exec {
            edges.push((Reach::Mounted, Action::Exec, found));
        }
        edges
    }
}

/// For every non-system subject of the scan's bindings that can reach cluster-admin
/// power, the shortest path there.
pub fn escalation_paths<'m, 'v>(
    model: &'m RbacModel<'v>,
    view: &ClusterView,
) -> Vec<EscalationPath<'m, 'v>> {
    let mut starts: BTreeSet<SubjectRef> = BTreeSet::new();
    for binding in model.bindings.iter().filter(|b| !b.builtin) {
        let subjects = binding.entry.subjects.iter();
        for subject in subjects.filter_map(|s| SubjectRef::from_subject(s, binding.namespace())) {
            if !is_system_subject(&subject) {
                starts.insert(subject);
            }
        }
    }
    // No binding of the scan's own (an admission review of a pod, with the bootstrap
    // policy alone): no path, and the accounts need not be gathered.
    if starts.is_empty() {
        return Vec::new();
    }
    let accounts = accounts(view, model);
    let graph = explore(model, &accounts, &starts);
    let distance = distances_to_admin(&graph);
    starts
        .into_iter()
        .filter_map(|start| {
            let hops = shortest_path(&graph, &distance, &start)?;
            Some(EscalationPath { start, hops })
        })
        .collect()
}

/// Every vertex reachable from the starts, with its edges.
type Graph<'m, 'v> = HashMap<Vertex, Vec<Edge<'m, 'v>>>;

fn explore<'m, 'v>(
    model: &'m RbacModel<'v>,
    accounts: &Accounts,
    starts: &BTreeSet<SubjectRef>,
) -> Graph<'m, 'v> {
    let mut graph: Graph<'m, 'v> = HashMap::new();
    let mut pending: Vec<Vertex> = starts.iter().cloned().map(Vertex::Subject).collect();
    while let Some(vertex) = pending.pop() {
        if graph.contains_key(&vertex) {
            continue;
        }
        let out = match &vertex {
            Vertex::Subject(subject) => subject_edges(model, accounts, subject),
            Vertex::Pool(pool) => pool_edges(accounts, pool),
        };
        for next in out.iter().filter_map(|e| e.to.as_ref()) {
            if !graph.contains_key(next) {
                pending.push(next.clone());
            }
        }
        graph.insert(vertex, out);
    }
    graph
}

/// Steps from each vertex that can reach cluster-admin to get there, by one search
/// backwards from cluster-admin: linear in the graph, however many subjects start.
/// An edge into a pool is a step; the edge out of it to an account is not, so a
/// step is one thing the subject does.
fn distances_to_admin(graph: &Graph<'_, '_>) -> HashMap<Vertex, usize> {
    let mut callers: HashMap<&Vertex, Vec<(&Vertex, usize)>> = HashMap::new();
    let mut queue: VecDeque<&Vertex> = VecDeque::new();
    let mut distance: HashMap<Vertex, usize> = HashMap::new();
    for (from, edges) in graph {
        let weight = match from {
            Vertex::Subject(_) => 1,
            Vertex::Pool(_) => 0,
        };
        for edge in edges {
            match &edge.to {
                Some(to) => callers.entry(to).or_default().push((from, weight)),
                None => {
                    if distance.insert(from.clone(), 1).is_none() {
                        queue.push_back(from);
                    }
                }
            }
        }
    }
    // Breadth-first with 0/1 weights: a 0-step caller goes to the front.
    let mut settled: std::collections::HashSet<&Vertex> = std::collections::HashSet::new();
    while let Some(at) = queue.pop_front() {
        if !settled.insert(at) {
            continue;
        }
        let here = distance[at];
        for &(caller, weight) in callers.get(at).into_iter().flatten() {
            let through = here + weight;
            if distance.get(caller).is_none_or(|&d| through < d) {
                distance.insert(caller.clone(), through);
                if weight == 0 {
                    queue.push_front(caller);
                } else {
                    queue.push_back(caller);
                }
            }
        }
    }
    distance
}

/// The path from `start`: at each vertex, the first of its edges that gets closest;
/// a step through a pool is shown as one hop to the account it reaches.
fn shortest_path<'m, 'v>(
    graph: &Graph<'m, 'v>,
    distance: &HashMap<Vertex, usize>,
    start: &SubjectRef,
) -> Option<Vec<Hop<'m, 'v>>> {
    let remaining = |to: &Option<Vertex>| match to {
        None => Some(0),
        Some(v) => distance.get(v).copied(),
    };
    let closest = |at: &Vertex| -> Option<&Edge<'m, 'v>> {
        graph
            .get(at)?
            .iter()
            .filter(|e| remaining(&e.to).is_some())
            .min_by_key(|e| remaining(&e.to))
    };
    distance.get(&Vertex::Subject(start.clone()))?;
    let mut path = Vec::new();
    let mut at = start.clone();
    loop {
        let step = closest(&Vertex::Subject(at.clone()))?;
        let mut target = step.to.clone();
        while let Some(Vertex::Pool(_)) = &target {
            target = closest(target.as_ref()?)?.to.clone();
        }
        let to = match target {
            None => Node::ClusterAdmin,
            Some(Vertex::Subject(s)) => Node::Subject(s),
            Some(Vertex::Pool(_)) => return None,
        };
        let action = match &to {
            Node::Subject(s) => step.action.render(s),
            Node::ClusterAdmin => step.action.render(&at),
        };
        path.push(Hop {
            from: at.clone(),
            to: to.clone(),
            action,
            binding: step.grant.map(|g| g.0),
            role: step.grant.map(|g| g.1),
        });
        match to {
            Node::ClusterAdmin => return Some(path),
            Node::Subject(next) => at = next,
        }
    }
}
