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
        let account_disables = view
            .service_accounts
            .get(&(pod.namespace.clone(), pod.service_account.clone()))
            == Some(&Some(false));
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
            if let SubjectRef::ServiceAccount { namespace, name } =
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

type Grants<'m, 'v> = Vec<(&'m BindingDef<'v>, &'m RoleDef<'v>)>;

fn allowed<'m, 'v>(
    grants: &Grants<'m, 'v>,
    req: &Request,
) -> Option<(&'m BindingDef<'v>, &'m RoleDef<'v>)> {
    grants.iter().copied().find(|(b, r)| {
        let in_scope = match b.namespace() {
            None => true,
            Some(ns) => req.namespace.as_deref() == Some(ns),
        };
        in_scope
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

/// Every hop out of `subject`.
fn hops<'m, 'v>(
    model: &'m RbacModel<'v>,
    accounts: &Accounts,
    subject: &SubjectRef,
) -> Vec<Hop<'m, 'v>> {
    let identity = Identity::of(subject);
    let grants: Grants<'m, 'v> = model
        .permissions(&identity)
        .into_iter()
        .filter_map(|(b, r)| r.map(|r| (b, r)))
        .collect();
    let mut out = Vec::new();
    let mut hop =
        |to: Node, action: String, found: Option<(&'m BindingDef<'v>, &'m RoleDef<'v>)>| {
            out.push(Hop {
                from: subject.clone(),
                to,
                action,
                binding: found.map(|f| f.0),
                role: found.map(|f| f.1),
            });
        };
    let req = |verb: &str, resource: &str, ns: Option<&str>, name: Option<&str>| {
        Request::parse(verb, resource, ns, name)
    };

    if let Some((b, r)) = grants
        .iter()
        .copied()
        .find(|(b, r)| b.namespace().is_none() && admin_equivalent(r))
    {
        hop(
            Node::ClusterAdmin,
            "hold cluster-admin".into(),
            Some((b, r)),
        );
        return out;
    }
    if let Some(found) = allowed(
        &grants,
        &req("impersonate", "groups", None, Some("system:masters")),
    ) {
        hop(
            Node::ClusterAdmin,
            "impersonate the group system:masters".into(),
            Some(found),
        );
    }
    let can_bind_cluster = allowed(&grants, &req("create", "clusterrolebindings", None, None));
    let can_grant = allowed(
        &grants,
        &req("bind", "clusterroles", None, Some("cluster-admin")),
    )
    .or_else(|| allowed(&grants, &req("escalate", "clusterroles", None, None)));
    if let (Some(_), Some(found)) = (can_bind_cluster, can_grant) {
        hop(Node::ClusterAdmin, "bind cluster-admin to itself (bind or escalate on clusterroles, create clusterrolebindings)".into(), Some(found));
    }
    let approve = allowed(
        &grants,
        &req("update", "certificatesigningrequests/approval", None, None),
    );
    let sign = allowed(
        &grants,
        &req(
            "approve",
            "signers",
            None,
            Some("kubernetes.io/kube-apiserver-client"),
        ),
    );
    if let (Some(found), Some(_)) = (approve, sign) {
        hop(
            Node::ClusterAdmin,
            "approve a client certificate for the group system:masters".into(),
            Some(found),
        );
    }
    if let Some(found) = allowed(&grants, &req("get", "nodes/proxy", None, None))
        .or_else(|| allowed(&grants, &req("create", "nodes/proxy", None, None)))
    {
        for (ns, names) in &accounts.mounted {
            for name in names {
                let to = SubjectRef::ServiceAccount {
                    namespace: ns.clone(),
                    name: name.clone(),
                };
                hop(
                    Node::Subject(to),
                    format!("run commands in pods of {ns} through the kubelet (nodes/proxy)"),
                    Some(found),
                );
            }
        }
    }
    for (ns, names) in &accounts.all {
        let n = Some(ns.as_str());
        let create_pod = [
            "pods",
            "deployments",
            "daemonsets",
            "statefulsets",
            "replicasets",
            "jobs",
            "cronjobs",
        ]
        .iter()
        .find_map(|r| allowed(&grants, &req("create", r, n, None)).map(|f| (*r, f)));
        let token = allowed(&grants, &req("create", "serviceaccounts/token", n, None));
        let impersonate = allowed(&grants, &req("impersonate", "serviceaccounts", n, None));
        for name in names {
            let to = Node::Subject(SubjectRef::ServiceAccount {
                namespace: ns.clone(),
                name: name.clone(),
            });
            if Node::Subject(subject.clone()) == to {
                continue;
            }
            if let Some((resource, found)) = create_pod {
                hop(
                    to.clone(),
                    format!("create {resource} in namespace {ns} running as its service account"),
                    Some(found),
                );
            } else if let Some(found) = token {
                hop(
                    to.clone(),
                    format!("request a token of it (serviceaccounts/token in {ns})"),
                    Some(found),
                );
            } else if let Some(found) = impersonate {
                hop(
                    to.clone(),
                    format!("impersonate it (serviceaccounts in {ns})"),
                    Some(found),
                );
            }
        }
        if let Some(found) = allowed(&grants, &req("get", "secrets", n, None))
            .or_else(|| allowed(&grants, &req("list", "secrets", n, None)))
        {
            for name in accounts.with_token_secret.get(ns).into_iter().flatten() {
                let to = SubjectRef::ServiceAccount {
                    namespace: ns.clone(),
                    name: name.clone(),
                };
                hop(
                    Node::Subject(to),
                    format!("read its legacy token Secret in {ns}"),
                    Some(found),
                );
            }
        }
        if let Some(found) = allowed(&grants, &req("create", "pods/exec", n, None)) {
            for name in accounts.mounted.get(ns).into_iter().flatten() {
                let to = SubjectRef::ServiceAccount {
                    namespace: ns.clone(),
                    name: name.clone(),
                };
                hop(
                    Node::Subject(to),
                    format!("exec into a pod of {ns} that mounts its token"),
                    Some(found),
                );
            }
        }
    }
    out
}

/// For every non-system subject of the scan's bindings that can reach cluster-admin
/// power, the shortest path there.
pub fn escalation_paths<'m, 'v>(
    model: &'m RbacModel<'v>,
    view: &ClusterView,
) -> Vec<EscalationPath<'m, 'v>> {
    let accounts = accounts(view, model);
    let mut starts: BTreeSet<SubjectRef> = BTreeSet::new();
    for binding in model.bindings.iter().filter(|b| !b.builtin) {
        for s in &binding.entry.subjects {
            let subject = SubjectRef::from_subject(s, binding.namespace());
            if !is_system_subject(&subject) {
                starts.insert(subject);
            }
        }
    }
    let mut cache: HashMap<SubjectRef, Vec<Hop<'m, 'v>>> = HashMap::new();
    let mut paths = Vec::new();
    for start in starts {
        // Breadth-first: the first time cluster-admin is reached, the path is shortest.
        let mut seen: BTreeSet<SubjectRef> = BTreeSet::from([start.clone()]);
        let mut queue: VecDeque<SubjectRef> = VecDeque::from([start.clone()]);
        let mut came_from: HashMap<SubjectRef, (SubjectRef, usize)> = HashMap::new();
        let mut found: Option<(SubjectRef, usize)> = None;
        'search: while let Some(current) = queue.pop_front() {
            let out = cache
                .entry(current.clone())
                .or_insert_with(|| hops(model, &accounts, &current));
            for (i, hop) in out.iter().enumerate() {
                match &hop.to {
                    Node::ClusterAdmin => {
                        found = Some((current.clone(), i));
                        break 'search;
                    }
                    Node::Subject(next) if seen.insert(next.clone()) => {
                        came_from.insert(next.clone(), (current.clone(), i));
                        queue.push_back(next.clone());
                    }
                    Node::Subject(_) => {}
                }
            }
        }
        let Some((last, last_hop)) = found else {
            continue;
        };
        let mut steps = vec![(last.clone(), last_hop)];
        let mut at = last;
        while let Some((prev, i)) = came_from.get(&at) {
            steps.push((prev.clone(), *i));
            at = prev.clone();
        }
        steps.reverse();
        let hops: Vec<Hop<'m, 'v>> = steps
            .into_iter()
            .map(|(from, i)| {
                let h = &cache[&from][i];
                Hop {
                    from: h.from.clone(),
                    to: h.to.clone(),
                    action: h.action.clone(),
                    binding: h.binding,
                    role: h.role,
                }
            })
            .collect();
        paths.push(EscalationPath { start, hops });
    }
    paths
}
