//! Roles and bindings of the scan and the bootstrap policy, resolved.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::rbac::v1::PolicyRule;
use kubeharden_cluster::selector;
use kubeharden_cluster::{BindingEntry, ClusterView, RoleEntry};

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
    /// Its rules, with those of aggregated ClusterRoles added.
    pub rules: Vec<PolicyRule>,
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
    pub roles: Vec<RoleDef<'v>>,
    pub bindings: Vec<BindingDef<'v>>,
    by_key: HashMap<RoleKey, usize>,
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
    /// The scan's RBAC objects over the bootstrap policy (a scanned object replaces the
    /// built-in one of the same name).
    pub fn build(view: &'v ClusterView) -> RbacModel<'v> {
        let builtin = bootstrap();
        let mut roles: BTreeMap<RoleKey, RoleDef<'v>> = BTreeMap::new();
        for (entries, is_builtin) in [(&builtin.roles, true), (&view.roles, false)] {
            for entry in entries {
                let key = key_of(entry);
                roles.insert(
                    key.clone(),
                    RoleDef {
                        key,
                        entry,
                        builtin: is_builtin,
                        rules: entry.rules.clone(),
                    },
                );
            }
        }
        let mut roles: Vec<RoleDef<'v>> = roles.into_values().collect();
        aggregate(&mut roles);
        let by_key: HashMap<RoleKey, usize> = roles
            .iter()
            .enumerate()
            .map(|(i, r)| (r.key.clone(), i))
            .collect();

        let scanned_names: std::collections::HashSet<(Option<&str>, &str)> = view
            .bindings
            .iter()
            .map(|b| (b.namespace.as_deref(), b.origin.resource.name.as_str()))
            .collect();
        let mut bindings = Vec::new();
        let builtin_bindings = builtin.bindings.iter().filter(|b| {
            !scanned_names.contains(&(b.namespace.as_deref(), b.origin.resource.name.as_str()))
        });
        for (entry, is_builtin) in builtin_bindings
            .map(|b| (b, true))
            .chain(view.bindings.iter().map(|b| (b, false)))
        {
            let role_key = RoleKey {
                namespace: if entry.role_ref.kind == "Role" {
                    entry.namespace.clone()
                } else {
                    None
                },
                name: entry.role_ref.name.clone(),
            };
            let role = by_key.get(&role_key).copied();
            bindings.push(BindingDef {
                entry,
                builtin: is_builtin,
                role_key,
                role,
            });
        }
        let mut by_subject: HashMap<crate::SubjectRef, Vec<usize>> = HashMap::new();
        for (i, binding) in bindings.iter().enumerate() {
            for s in &binding.entry.subjects {
                let subject = crate::SubjectRef::from_subject(s, binding.namespace());
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

    pub fn role(&self, key: &RoleKey) -> Option<&RoleDef<'v>> {
        self.by_key.get(key).map(|&i| &self.roles[i])
    }
}

/// Fills aggregated ClusterRoles with the rules of the ClusterRoles their selectors
/// match, until nothing changes (admin aggregates edit, which aggregates view).
fn aggregate(roles: &mut [RoleDef<'_>]) {
    for _ in 0..8 {
        let mut changed = false;
        for i in 0..roles.len() {
            let Some(selectors) = roles[i].entry.aggregation.clone() else {
                continue;
            };
            if roles[i].key.namespace.is_some() {
                continue;
            }
            let mut rules = roles[i].entry.rules.clone();
            for (j, other) in roles.iter().enumerate() {
                if j != i
                    && other.key.namespace.is_none()
                    && selectors
                        .iter()
                        .any(|s| selector::matches(s, &other.entry.labels))
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
