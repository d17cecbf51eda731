//! Helpers shared by rules.

pub(crate) mod audit;
pub(crate) mod exposure;
pub(crate) mod host_path;
pub(crate) mod images;
pub(crate) mod network;
pub(crate) mod node;
pub(crate) mod rbac;
pub(crate) mod releases;
pub(crate) mod resources;
pub(crate) mod secrets;
pub(crate) mod security;
