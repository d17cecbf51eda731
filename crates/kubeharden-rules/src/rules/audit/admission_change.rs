//! ## What it does
//! Flags writes to validating or mutating webhook configurations and validating admission policies (and their bindings), and namespace changes that touch `pod-security.kubernetes.io/` labels, by subjects that are not Kubernetes components.
//!
//! ## Why it matters
//! Turning off admission control or lowering a namespace's Pod Security level is how an intruder clears the way for privileged pods.
//!
//! ## Example
//! A user patches namespace `shop` to `pod-security.kubernetes.io/enforce: privileged`.
//!
//! ## Fix
//! Revert if unexpected; restrict who can write these objects (KH608).
//!
//! No YAML snippet: this rule reports what happened, from the audit log; the response
//! is to investigate the identity and objects it names, and the fix, if any, is on them
//! (their rules show it).

use crate::prelude::*;
#[allow(unused_imports)]
use crate::support::audit::{is_system, object_name, observe, subject, threshold, WRITE_VERBS};

pub const RULE: RuleDef = RuleDef {
    id: "KH813",
    name: "admission-or-pss-change",
    title: "Admission control or Pod Security labels changed",
    severity: Severity::High,
    guidance: &["DET-16", "POD-30"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1562.001",
        name: "Impair Defenses: Disable or Modify Tools",
    }),
    check: Check::Audit(build),
};

struct Admission;

fn build(_: &AuditConfig) -> Box<dyn Detector> {
    Box::new(Admission)
}

impl Detector for Admission {
    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink) {
        if !WRITE_VERBS.contains(&event.verb()) || !event.succeeded() || is_system(event.username())
        {
            return;
        }
        let admission = event.api_group() == "admissionregistration.k8s.io";
        let labels = event.resource() == "namespaces"
            && matches!(event.verb(), "update" | "patch")
            && event
                .request_object
                .is_some_and(|raw| raw.get().contains("pod-security.kubernetes.io/"));
        if admission || labels {
            let what = if admission {
                "changed admission control"
            } else {
                "changed Pod Security labels"
            };
            let message = format!(
                "{} {what}: {} {}",
                subject(event),
                event.verb(),
                object_name(event)
            );
            sink.raise(
                observe(RULE.id, object_name(event), event, message),
                event,
                at,
            );
        }
    }
}
