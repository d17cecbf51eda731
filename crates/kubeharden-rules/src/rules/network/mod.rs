//! NetworkPolicy: default deny, isolation, and policies that cannot work.

pub mod allow_all;
pub mod dead_policy;
pub mod default_deny_egress;
pub mod default_deny_ingress;
pub mod metadata_egress;
pub mod pod_not_isolated;
pub mod policy_enforcement;
pub mod policy_type_typo;
