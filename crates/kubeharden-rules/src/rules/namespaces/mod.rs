//! Namespace separation and Pod Security admission labels.

pub mod default_namespace;
pub mod kube_prefix;
pub mod pss_enforce;
pub mod pss_version;
pub mod system_namespace;
