//! Container image references: registries, tags, digests, pull policy.

pub mod implicit_registry;
pub mod mutable_tag;
pub mod no_digest;
pub mod pull_policy;
