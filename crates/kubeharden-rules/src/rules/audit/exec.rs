//! ## What it does
//! Flags successful `create` (or `get`, used by older clients) on `pods/exec`, `pods/attach` and `pods/portforward`.
//!
//! ## Why it matters
//! Exec is the hands-on-keyboard step of most intrusions and the insider path the guidance describes: it reaches the pod's secrets, token and network.
//!
//! ## Example
//! `alice` execs `sh` into `shop/web-7d9f`.
//!
//! ## Fix
//! Confirm the session was expected. Restrict exec to break-glass roles (KH604).

use crate::prelude::*;
#[allow(unused_imports)]
use crate::support::audit::{is_system, object_name, observe, subject, threshold, WRITE_VERBS};

pub const RULE: RuleDef = RuleDef {
    id: "KH805",
    name: "pod-exec",
    title: "Command executed, attached or port-forwarded into a pod",
    severity: Severity::Medium,
    guidance: &["DET-19", "RBAC-07"],
    pss: None,
    mitre: Some(Mitre { id: "T1609", name: "Container Administration Command" }),
    check: Check::Audit(build),
};

struct Exec;

fn build(_: &AuditConfig) -> Box<dyn Detector> {
    Box::new(Exec)
}

impl Detector for Exec {
    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink) {
        let sub = event.subresource();
        if event.resource() == "pods" && matches!(sub, "exec" | "attach" | "portforward") && matches!(event.verb, "create" | "get") && (event.succeeded() || event.code() == 101) {
            let message = format!("{} ran {sub} into {}", subject(event), object_name(event));
            sink.raise(observe(RULE.id, format!("{} {}", event.username(), object_name(event)), event, message), event, at);
        }
    }
}

