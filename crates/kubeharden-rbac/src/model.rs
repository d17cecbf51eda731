//! Roles and bindings of the scan and the bootstrap policy, resolved.

use std::collections::{BTreeMap, HashMap, HashSet};

use k8s_openapi::api::rbac::v1::PolicyRule;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kubeharden_cluster::proximity::nearest;
use kubeharden_cluster::selector::{self, Labels};
use kubeharden_cluster::{BindingEntry, ClusterView, RoleEntry};
use kubeharden_yaml::Node;

use crate::bootstrap::bootstrap;

/// A role's identity: a ClusterRole has no namespace.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoleKey {
    pub namespace: Option<String>,
    pub name: String,
}

impl std::fmt::Display for RoleKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "Role {ns}/{}", self.name),
            None => write!(f, "ClusterRole {}", self.name),
        }
    }
}

#[derive(Debug)]
pub struct RoleDef<'v> {
    pub key: RoleKey,
    pub entry: &'v RoleEntry,
    /// From the bootstrap policy, not the scan.
    pub builtin: bool,
    /// Its effective rules: for an aggregated ClusterRole, those of the ClusterRoles
    /// it selects (the controller overwrites its own); for a scanned built-in, with
    /// the built-in's added back.
    pub rules: Vec<PolicyRule>,
    /// Its labels, with a reconciled built-in's added back.
    pub labels: Labels,
    /// `aggregationRule.clusterRoleSelectors`, with a reconciled built-in's added.
    pub aggregation: Option<Vec<LabelSelector>>,
}

impl<'v> RoleDef<'v> {
    fn new(entry: &'v RoleEntry, builtin: bool) -> RoleDef<'v> {
        RoleDef {
            key: key_of(entry),
            entry,
            builtin,
            rules: entry.rules.clone(),
            labels: entry.labels.clone(),
            aggregation: entry.aggregation.clone(),
        }
    }

    /// A scanned role of a built-in's name as the API server leaves it after its
    /// start-up reconciliation: the built-in's missing rules, labels and aggregation
    /// selectors added back (nothing removed).
    fn reconciled(entry: &'v RoleEntry, builtin: &RoleDef<'v>) -> RoleDef<'v> {
        let mut def = RoleDef::new(entry, false);
        add_missing(&mut def.rules, &builtin.rules);
        for (k, v) in &builtin.labels {
            def.labels.entry(k.clone()).or_insert_with(|| v.clone());
        }
        if let Some(expected) = &builtin.aggregation {
            add_missing(def.aggregation.get_or_insert_with(Vec::new), expected);
        }
        def
    }
}

fn add_missing<T: Clone + PartialEq>(to: &mut Vec<T>, from: &[T]) {
    for item in from {
        if !to.contains(item) {
            to.push(item.clone());
        }
    }
}

/// The annotation with which an object opts out of the API server's reconciliation
/// of the built-in object of its name.
const AUTOUPDATE: &str = "rbac.authorization.kubernetes.io/autoupdate";

fn protected(root: &Node) -> bool {
    let annotations = root.get("metadata").and_then(|m| m.get("annotations"));
    annotations
        .and_then(|a| a.get(AUTOUPDATE))
        .and_then(Node::as_str)
        == Some("false")
}

#[derive(Debug)]
pub struct BindingDef<'v> {
    pub entry: &'v BindingEntry,
    pub builtin: bool,
    pub role_key: RoleKey,
    /// Index into `RbacModel::roles`; None when the role does not exist.
    pub role: Option<usize>,
}

impl BindingDef<'_> {
    pub fn namespace(&self) -> Option<&str> {
        self.entry.namespace.as_deref()
    }

    /// Whether the binding's scope covers the request: a ClusterRoleBinding
    /// everywhere; a RoleBinding only requests in its namespace, so never a
    /// cluster-scoped resource or a non-resource URL (their requests carry no
    /// namespace; see `Request::parse`).
    pub fn covers(&self, req: &crate::Request) -> bool {
        match self.namespace() {
            None => true,
            Some(ns) => req.path.is_none() && req.namespace.as_deref() == Some(ns),
        }
    }

    /// `RoleBinding ns/name` or `ClusterRoleBinding name`.
    pub fn describe(&self) -> String {
        let res = &self.entry.origin.resource;
        match &self.entry.namespace {
            Some(ns) => format!("{} {ns}/{}", res.kind, res.name),
            None => format!("{} {}", res.kind, res.name),
        }
    }
}

pub struct RbacModel<'v> {
    /// Every role, sorted by key; a role defined in several files has a def for each.
    pub roles: Vec<RoleDef<'v>>,
    pub bindings: Vec<BindingDef<'v>>,
    /// Indices into `roles` of every definition of a key.
    by_key: HashMap<RoleKey, Vec<usize>>,
    /// Bindings by each subject they name, so a subject's permissions do not scan
    /// every binding.
    by_subject: HashMap<crate::SubjectRef, Vec<usize>>,
}

fn key_of(entry: &RoleEntry) -> RoleKey {
    RoleKey {
        namespace: entry.namespace.clone(),
        name: entry.origin.resource.name.clone(),
    }
}

impl<'v> RbacModel<'v> {
    /// The scan's RBAC objects over the bootstrap policy. A scanned object with a
    /// built-in's name does not replace it: the API server reconciles built-ins at
    /// start-up, adding back what is missing, unless the object is annotated
    /// `rbac.authorization.kubernetes.io/autoupdate: "false"`.
    /// The model of a view without roles or bindings of its own: the bootstrap policy
    /// alone, built once. An admission review of one Pod would otherwise rebuild (and
    /// aggregate) the whole bootstrap policy for each request.
    pub fn bootstrap_only() -> &'static RbacModel<'static> {
        static EMPTY: std::sync::OnceLock<ClusterView> = std::sync::OnceLock::new();
        static MODEL: std::sync::OnceLock<RbacModel<'static>> = std::sync::OnceLock::new();
        MODEL.get_or_init(|| RbacModel::build(EMPTY.get_or_init(ClusterView::default)))
    }

    pub fn build(view: &'v ClusterView) -> RbacModel<'v> {
        let builtin = bootstrap();
        let mut roles = build_roles(builtin, view);
        aggregate(&mut roles);
        let mut by_key: HashMap<RoleKey, Vec<usize>> = HashMap::new();
        for (i, role) in roles.iter().enumerate() {
            by_key.entry(role.key.clone()).or_default().push(i);
        }
        // A binding grants the definition of its role nearest to it: the one applied
        // with it (a sample's own Role, an overlay's patched one).
        let nearest_role = |key: &RoleKey, from: &str| {
            let defs = by_key.get(key)?;
            nearest(defs, from, |&i| &roles[i].entry.origin.file).copied()
        };
        let bindings: Vec<BindingDef<'v>> = build_bindings(builtin, view)
            .into_iter()
            .map(|(entry, is_builtin, role_key)| BindingDef {
                entry,
                builtin: is_builtin,
                role: nearest_role(&role_key, &entry.origin.file),
                role_key,
            })
            .collect();
        let mut by_subject: HashMap<crate::SubjectRef, Vec<usize>> = HashMap::new();
        for (i, binding) in bindings.iter().enumerate() {
            let subjects = binding.entry.subjects.iter();
            for subject in
                subjects.filter_map(|s| crate::SubjectRef::from_subject(s, binding.namespace()))
            {
                let list = by_subject.entry(subject).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
        RbacModel {
            roles,
            bindings,
            by_key,
            by_subject,
        }
    }

    /// Indices of the bindings that name `subject`, in binding order.
    pub(crate) fn bindings_naming(&self, subject: &crate::SubjectRef) -> &[usize] {
        self.by_subject.get(subject).map_or(&[], Vec::as_slice)
    }

    /// The definition of the role `key` that an object of file `from` means.
    pub fn role(&self, key: &RoleKey, from: &str) -> Option<&RoleDef<'v>> {
        let defs = self.by_key.get(key)?;
        nearest(defs, from, |&i| &self.roles[i].entry.origin.file).map(|&i| &self.roles[i])
    }
}

/// The built-in roles, each scanned role over them (reconciled or replacing), and
/// every definition of a role the scan defines in several files.
fn build_roles<'v>(builtin: &'v ClusterView, view: &'v ClusterView) -> Vec<RoleDef<'v>> {
    let builtins: BTreeMap<RoleKey, RoleDef<'v>> = builtin
        .roles
        .iter()
        .map(|entry| (key_of(entry), RoleDef::new(entry, true)))
        .collect();
    let scanned: Vec<RoleDef<'v>> = view
        .roles
        .iter()
        .map(|entry| match builtins.get(&key_of(entry)) {
            Some(base) if !protected(&entry.root) => {
                let mut def = RoleDef::reconciled(entry, base);
                def.builtin = adds_nothing(&def, base);
                def
            }
            _ => RoleDef::new(entry, false),
        })
        .collect();
    let replaced: HashSet<RoleKey> = scanned.iter().map(|r| r.key.clone()).collect();
    let mut roles: Vec<RoleDef<'v>> = builtins
        .into_values()
        .filter(|r| !replaced.contains(&r.key))
        .chain(scanned)
        .collect();
    // Stable: the definitions of one key stay in file order.
    roles.sort_by(|a, b| a.key.cmp(&b.key));
    roles
}

/// Whether a scanned role of a built-in's name, reconciled, is the built-in itself:
/// no rule or aggregation selector beyond the built-in's. A live cluster (or a dump
/// of one) holds Kubernetes' own roles; they are judged as the bootstrap policy is.
/// An aggregated role's own rules do not count: the controller overwrites them.
fn adds_nothing(def: &RoleDef<'_>, base: &RoleDef<'_>) -> bool {
    let within = |a: &[PolicyRule], b: &[PolicyRule]| a.iter().all(|r| b.contains(r));
    let aggregation_same = match (&def.aggregation, &base.aggregation) {
        (Some(a), Some(b)) => a.iter().all(|s| b.contains(s)),
        (None, None) => true,
        _ => false,
    };
    aggregation_same && (base.aggregation.is_some() || within(&def.rules, &base.rules))
}

/// The role a binding references.
fn role_key_of(entry: &BindingEntry) -> RoleKey {
    RoleKey {
        namespace: if entry.role_ref.kind == "Role" {
            entry.namespace.clone()
        } else {
            None
        },
        name: entry.role_ref.name.clone(),
    }
}

/// Every binding, whether built in, and the role it grants. A scanned binding with
/// a built-in's name, as the API server reconciles it at start-up: with the same
/// roleRef, the built-in's subjects are added back (the built-in stays beside it);
/// with another roleRef, it is recreated as the built-in, so its own subjects lose
/// it (seen on kube-apiserver v1.37.2, docs/oracle.md). Annotated autoupdate
/// "false", it replaces the built-in instead.
fn build_bindings<'v>(
    builtin: &'v ClusterView,
    view: &'v ClusterView,
) -> Vec<(&'v BindingEntry, bool, RoleKey)> {
    let name = |b: &'v BindingEntry| (b.namespace.as_deref(), b.origin.resource.name.as_str());
    let builtins: HashMap<_, &BindingEntry> =
        builtin.bindings.iter().map(|b| (name(b), b)).collect();
    let replaced: HashSet<_> = view
        .bindings
        .iter()
        .filter(|b| protected(&b.root))
        .map(name)
        .collect();
    let kept = builtin
        .bindings
        .iter()
        .filter(|b| !replaced.contains(&name(b)));
    let mut out: Vec<_> = kept.map(|b| (b, true, role_key_of(b))).collect();
    for entry in &view.bindings {
        let recreated = builtins.get(&name(entry)).is_some_and(|b| {
            !protected(&entry.root)
                && (&b.role_ref.kind, &b.role_ref.name)
                    != (&entry.role_ref.kind, &entry.role_ref.name)
        });
        if !recreated {
            // One with the built-in's roleRef and no subject of its own is the
            // built-in (a live cluster's, or a dump's).
            let is_builtin = builtins.get(&name(entry)).is_some_and(|b| {
                !protected(&entry.root) && entry.subjects.iter().all(|s| b.subjects.contains(s))
            });
            out.push((entry, is_builtin, role_key_of(entry)));
        }
    }
    out
}

/// Fills aggregated ClusterRoles with the rules of the ClusterRoles their selectors
/// match, until nothing changes (admin aggregates edit, which aggregates view).
fn aggregate(roles: &mut [RoleDef<'_>]) {
    for _ in 0..8 {
        let mut changed = false;
        for i in 0..roles.len() {
            let Some(selectors) = roles[i].aggregation.clone() else {
                continue;
            };
            if roles[i].key.namespace.is_some() {
                continue;
            }
            // The controller overwrites an aggregated role's own rules.
            let mut rules = Vec::new();
            for (j, other) in roles.iter().enumerate() {
                if j != i
                    && other.key.namespace.is_none()
                    && selectors
                        .iter()
                        .any(|s| selector::matches(s, &other.labels))
                {
                    for rule in &other.rules {
                        if !rules.contains(rule) {
                            rules.push(rule.clone());
                        }
                    }
                }
            }
            if rules != roles[i].rules {
                roles[i].rules = rules;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}
