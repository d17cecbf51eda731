//! ## What it does
//! Flags requests that Pod Security admission let through in `audit` mode while they break the namespace's level: events carrying the `pod-security.kubernetes.io/audit-violations` annotation. One alert per object, naming the policy (`restricted:latest`) and the checks that failed.
//!
//! The annotation is written at every audit level, `Metadata` included, for pods and for workloads whose pod template breaks the level. Requests the API server refused are not reported (nothing was stored), nor are pods that Kubernetes' own controllers create: the Deployment or Job they come from is reported when it is written.
//!
//! ## Why it matters
//! A namespace labelled `pod-security.kubernetes.io/audit=restricted` records what would be refused under `enforce` without refusing it. Each violation is a pod running with more rights than the namespace's policy allows: a privileged container, a host path, root. They are what to fix before turning `enforce` on, and what an intruder's pod looks like.
//!
//! ## Example
//! ```text
//! alice created pods shop/debug, which would violate PodSecurity "restricted:latest": runAsNonRoot != true, seccompProfile
//! ```
//!
//! ## Fix
//! Fix the pod's security context so it meets the level (or move it to a namespace whose level allows it, with the reason written down), then set `pod-security.kubernetes.io/enforce` on the namespace.
//!
//! No YAML snippet: this rule reports what happened, from the audit log; the response
//! is to investigate the identity and objects it names, and the fix, if any, is on them
//! (their rules show it).

use crate::prelude::*;
#[allow(unused_imports)]
use crate::support::audit::{
    did, is_system, object_name, observe, subject, threshold, WRITE_VERBS,
};

pub const RULE: RuleDef = RuleDef {
    id: "KH819",
    name: "pod-security-violation",
    title: "Pod Security violation admitted in audit mode",
    severity: Severity::Medium,
    guidance: &["DET-20", "DET-01"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1610",
        name: "Deploy Container",
    }),
    check: Check::Audit(build),
};

struct PodSecurityViolations;

fn build(_: &AuditConfig) -> Box<dyn Detector> {
    Box::new(PodSecurityViolations)
}

impl Detector for PodSecurityViolations {
    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink) {
        if !event.succeeded() || is_system(event.username()) {
            return;
        }
        let Some(violations) = kubeharden_audit::psa::audit_violations(event) else {
            return;
        };
        let message = format!(
            "{} {} {}, which would violate PodSecurity \"{}\": {}",
            subject(event),
            did(event.verb()),
            object_name(event),
            violations.policy,
            violations.checks.join(", ")
        );
        sink.raise(
            observe(RULE.id, object_name(event), event, message),
            event,
            at,
        );
    }
}
