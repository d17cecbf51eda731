//! Audit-log detectors (`kubeharden audit-log`): windowed checks over audit events.

pub mod admission_change;
pub mod anonymous_access;
pub mod attack_chain;
pub mod breakout;
pub mod brute_force;
pub mod cronjob;
pub mod cryptomining;
pub mod denied_network;
pub mod exec;
pub mod impersonation;
pub mod kube_system_workload;
pub mod login_after_failures;
pub mod permission_probing;
pub mod pod_security_violation;
pub mod privileged_workload;
pub mod rbac_change;
pub mod sa_token_misuse;
pub mod secret_reads;
pub mod token_request;
pub mod workload_change;
