//! ## What it does
//! Flags a powerful role bound both to people (users and groups) and to service accounts. A role is powerful when it allows any of: everything (`*` on `*`), reading Secrets, `escalate` or `bind` on roles, impersonation, or creating pods. One finding per role, at the first binding that gives it to a service account, naming who shares it.
//!
//! Only the scan's bindings count, and only subjects that are not Kubernetes itself. Whether a user is an administrator or a developer is not in the bindings, so the rule tells apart the two classes it can see: people and workloads.
//!
//! ## Why it matters
//! The guidance asks for distinct roles for users, administrators, developers, service accounts and the infrastructure team. When a workload's service account holds the role its operators hold, a stolen pod token is an operator's access, and narrowing the role for the workload takes it away from the people too (so it does not get narrowed).
//!
//! ## Example
//! ```yaml
//! kind: ClusterRoleBinding
//! metadata: {name: ops}
//! roleRef: {kind: ClusterRole, name: ops-admin}
//! subjects:
//! - {kind: Group, name: ops}
//! - {kind: ServiceAccount, name: deployer, namespace: ci}
//! ```
//!
//! ## Fix
//! Give the service account a role of its own with only what the workload does (often a namespaced Role), and keep the people's role for people.
//! ```yaml
//! apiVersion: rbac.authorization.k8s.io/v1
//! kind: Role
//! metadata: {name: deployer, namespace: shop}
//! rules:
//! - {apiGroups: [apps], resources: [deployments], verbs: [get, patch]}
//! ---
//! apiVersion: rbac.authorization.k8s.io/v1
//! kind: RoleBinding
//! metadata: {name: deployer, namespace: shop}
//! roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
//! subjects:
//! - {kind: ServiceAccount, name: deployer, namespace: ci}
//! ```

use std::collections::BTreeMap;

use kubeharden_rbac::{Request, RoleDef, RoleKey, SubjectRef};

use crate::prelude::*;
use crate::support::rbac::{allows, is_admin_equivalent, scanned_grants, Granted};

pub const RULE: RuleDef = RuleDef {
    id: "KH614",
    name: "role-shared-by-people-and-service-accounts",
    title: "Powerful role shared by people and service accounts",
    severity: Severity::Medium,
    guidance: &["RBAC-09"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1078.004",
        name: "Valid Accounts: Cloud Accounts",
    }),
    check: Check::Cluster(check),
};

/// What makes a role powerful, as (verb, resource) and how it is named.
const POWERS: [(&str, &str, &str); 7] = [
    ("get", "secrets", "read Secrets"),
    ("list", "secrets", "read Secrets"),
    ("escalate", "clusterroles", "escalate roles"),
    ("bind", "clusterroles", "bind roles"),
    ("impersonate", "users", "impersonate"),
    ("impersonate", "serviceaccounts", "impersonate"),
    ("create", "pods", "create pods"),
];

/// The people and the service accounts a role is granted to.
#[derive(Default)]
struct Holders<'g, 'm, 'v> {
    people: Vec<&'g Granted<'m, 'v>>,
    service_accounts: Vec<&'g Granted<'m, 'v>>,
}

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    let grants = scanned_grants(ctx);
    let mut by_role: BTreeMap<&RoleKey, Holders<'_, '_, '_>> = BTreeMap::new();
    for g in &grants {
        let holders = by_role.entry(&g.role.key).or_default();
        match g.subject {
            SubjectRef::ServiceAccount { .. } => holders.service_accounts.push(g),
            _ => holders.people.push(g),
        }
    }
    for (key, holders) in by_role {
        let (Some(first_sa), false) = (holders.service_accounts.first(), holders.people.is_empty())
        else {
            continue;
        };
        let powers = powers(first_sa.role);
        if powers.is_empty() {
            continue;
        }
        let message = format!(
            "{key} ({}) is bound to people ({}) and to service accounts ({}): give each its own role",
            powers.join(", "),
            names(&holders.people),
            names(&holders.service_accounts)
        );
        out.at(
            &first_sa.binding.entry.origin,
            &first_sa.binding.entry.root,
            FieldPath::parse("subjects").index(first_sa.subject_index),
            message,
        );
    }
}

/// What the role allows that makes it powerful, each named once.
fn powers(role: &RoleDef<'_>) -> Vec<&'static str> {
    if is_admin_equivalent(role) {
        return vec!["everything"];
    }
    let mut found: Vec<&'static str> = Vec::new();
    for (verb, resource, name) in POWERS {
        let allowed = allows(role, &Request::parse(verb, resource, None, None)).is_some();
        if allowed && !found.contains(&name) {
            found.push(name);
        }
    }
    found
}

/// The subjects, each once, the first few by name.
fn names(grants: &[&Granted<'_, '_>]) -> String {
    const SHOWN: usize = 4;
    let mut subjects: Vec<String> = grants.iter().map(|g| g.subject.to_string()).collect();
    subjects.sort();
    subjects.dedup();
    let more = subjects.len().saturating_sub(SHOWN);
    subjects.truncate(SHOWN);
    match more {
        0 => subjects.join(", "),
        n => format!("{} and {n} more", subjects.join(", ")),
    }
}
