//! The cluster view: what the objects of a scan say about each other.
//!
//! While the engine streams objects, [`ClusterFacts::observe`] keeps the little each
//! cross-object analysis needs: pod templates with their labels, ports and risky
//! settings, and the small objects (Namespaces, NetworkPolicies, Services,
//! LimitRanges, ResourceQuotas) whole. [`ClusterView::build`] then orders them
//! deterministically and indexes pods by namespace and label, so selectors are
//! matched through posting lists, not against every pod. An object defined in
//! several files keeps every definition, and a reference by name means the nearest
//! ([`proximity`]). The same view can later be filled from a live cluster.

#![forbid(unsafe_code)]

pub mod custom;
mod facts;
mod index;
pub mod live;
pub mod netpol;
pub mod owners;
pub mod platform;
pub mod plugins;
pub mod proximity;
pub mod selector;

pub use facts::{privileged_capability, runs_privileged};
pub use facts::{
    BindingEntry, ClusterFacts, LimitRangeEntry, NamespaceEntry, NodeEntry, Origin, PodEntry,
    PodPort, PolicyEntry, QuotaEntry, RoleEntry, RuntimeClassEntry, ServiceAccountEntry,
    ServiceEntry,
};
pub use index::ClusterView;
pub use selector::{Labels, Match};

/// Namespaces Kubernetes creates and runs itself.
pub const SYSTEM_NAMESPACES: [&str; 4] = [
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "local-path-storage",
];

pub fn is_system_namespace(ns: &str) -> bool {
    SYSTEM_NAMESPACES.contains(&ns)
}
