//! What guards the door: the admission webhooks and ValidatingAdmissionPolicies a
//! cluster (or a dump of one) runs over pods and workloads.

pub mod fails_open;
