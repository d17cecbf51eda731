//! Kubernetes' own matching, as the API server does it, for the crates that judge
//! against it:
//!
//! - [`audit`]: an audit policy, evaluated rule by rule (which requests it logs, and
//!   at what level). `kubeharden node` judges a node's policy with it, and
//!   `kubeharden audit-log --policy` says which detectors a policy blinds.
//! - [`cidr`]: CIDR ranges (`ipnet`), for NetworkPolicy `ipBlock`s, the audit
//!   detectors' cluster, internal and deny-listed ranges, and deny-list files.

#![forbid(unsafe_code)]

pub mod audit;
pub mod cidr;
