//! RBAC grants, as the authorizer evaluates them.

pub mod anonymous;
pub mod cluster_admin;
pub mod dangling;
pub mod default_service_account;
pub mod escalation_path;
pub mod escalation_verbs;
pub mod exec;
pub mod node_proxy;
pub mod persistent_volumes;
pub mod read_secrets;
pub mod shared_role;
pub mod unbound_role;
pub mod webhook_write;
pub mod wildcard;
pub mod workload_create;
