//! ## What it does
//! Flags successful requests that carry an impersonated user (`Impersonate-User` / `Impersonate-Group` headers) by subjects that are not Kubernetes components.
//!
//! ## Why it matters
//! Impersonation lets a subject act as anyone its `impersonate` permission covers, up to `system:masters`. It is rare in normal operation.
//!
//! ## Example
//! `bob` lists Secrets as `system:serviceaccount:ci:deployer`.
//!
//! ## Fix
//! Confirm the impersonation was expected; keep `impersonate` for break-glass tooling.
//!
//! No YAML snippet: this rule reports what happened, from the audit log; the response
//! is to investigate the identity and objects it names, and the fix, if any, is on them
//! (their rules show it).

use crate::prelude::*;
#[allow(unused_imports)]
use crate::support::audit::{is_system, object_name, observe, subject, threshold, WRITE_VERBS};

pub const RULE: RuleDef = RuleDef {
    id: "KH811",
    name: "impersonation",
    title: "Request made while impersonating another identity",
    severity: Severity::Medium,
    guidance: &["DET-18", "RBAC-06"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1134",
        name: "Access Token Manipulation",
    }),
    check: Check::Audit(build),
};

struct Impersonation;

fn build(_: &AuditConfig) -> Box<dyn Detector> {
    Box::new(Impersonation)
}

impl Detector for Impersonation {
    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink) {
        let Some(as_user) = event.impersonated_user.as_ref() else {
            return;
        };
        if !event.succeeded() || is_system(event.username()) {
            return;
        }
        let target = Some(as_user.name())
            .filter(|n| !n.is_empty())
            .unwrap_or("?");
        let message = format!(
            "{} acted as {target}: {} {}",
            event.username(),
            event.verb(),
            object_name(event)
        );
        sink.raise(
            observe(
                RULE.id,
                format!("{} as {target}", event.username()),
                event,
                message,
            ),
            event,
            at,
        );
    }
}
