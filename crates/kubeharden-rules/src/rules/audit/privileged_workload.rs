//! ## What it does
//! Flags successful creation or change of pods and workloads whose pod spec is privileged, shares a host namespace, or mounts a host path. The request body must be logged, at level `Request` or above.
//!
//! ## Why it matters
//! A privileged or host-mounting pod is a container escape waiting to happen. Created by an intruder, it is the step from the API to the node.
//!
//! ## Example
//! A Deployment with `hostPID: true` and a container with `privileged: true`.
//!
//! ## Fix
//! Find who created it and why. Enforce Pod Security `baseline` or `restricted` on the namespace.
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
    id: "KH807",
    name: "privileged-workload-created",
    title: "Privileged, host-namespace or hostPath workload created",
    severity: Severity::High,
    guidance: &["DET-01", "DET-09", "DET-15"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1611",
        name: "Escape to Host",
    }),
    check: Check::Audit(build),
};

struct Privileged;

fn build(_: &AuditConfig) -> Box<dyn Detector> {
    Box::new(Privileged)
}

impl Detector for Privileged {
    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink) {
        if !event.succeeded() || is_system(event.username()) {
            return;
        }
        if let Some(facts) =
            kubeharden_audit::request::pod_facts(event).filter(|f| !f.risky.is_empty())
        {
            let message = format!(
                "{} {} {} with {}",
                subject(event),
                did(event.verb()),
                object_name(event),
                facts.risky.join(", ")
            );
            sink.raise(
                observe(
                    RULE.id,
                    format!("{} {}", event.username(), object_name(event)),
                    event,
                    message,
                ),
                event,
                at,
            );
        }
    }
}
