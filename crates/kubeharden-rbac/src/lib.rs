//! RBAC as the Kubernetes authorizer evaluates it.
//!
//! [`RbacModel`] joins the scan's Roles, ClusterRoles and bindings with the bootstrap
//! policy every cluster has (`data/bootstrap.yaml`), resolves aggregated ClusterRoles,
//! and answers [`Request`]s: `can`, `who_can` and `permissions`.
//!
//! Semantics, as in Kubernetes' RBAC authorizer:
//! - a ClusterRoleBinding grants its role everywhere; a RoleBinding grants only in
//!   its namespace, also when it references a ClusterRole;
//! - a rule matches a verb, API group, resource (`pods/exec` is its own resource;
//!   `*` and `*/exec` match it) and, when it lists `resourceNames`, only requests for
//!   those names; `nonResourceURLs` match exactly or by a trailing `*`;
//! - a service account is the user `system:serviceaccount:NS:NAME` in the groups
//!   `system:serviceaccounts`, `system:serviceaccounts:NS` and `system:authenticated`;
//!   a ServiceAccount subject without a namespace means the binding's namespace.

#![forbid(unsafe_code)]

mod authz;
mod bootstrap;
mod escalation;
mod model;

pub use authz::{default_group, rule_allows, BadSubject, Grant, Identity, Request, SubjectRef};
pub use escalation::{escalation_paths, is_system_subject, EscalationPath, Hop, Node};
pub use model::{BindingDef, RbacModel, RoleDef, RoleKey};
