//! ## What it does
//! Flags `create` (or `get`, used by older clients) on `pods/exec`, `pods/attach` and `pods/portforward` that succeeded or that the authorizer allowed: a real API server answers 400 when the pod has no node or the container is gone, and the attempt still shows the intent. It is seen at `ResponseStarted`, the stage these connections are first logged at. Users named by `--exec-allowed` (names, or `*` globs such as `oncall-*`) are not reported.
//!
//! ## Why it matters
//! Exec is the hands-on-keyboard step of most intrusions and the insider path the guidance describes: it reaches the pod's secrets, token and network.
//!
//! ## Example
//! `alice` execs `sh` into `shop/web-7d9f`.
//!
//! ## Fix
//! Confirm the session was expected. Restrict exec to break-glass roles (KH604).
//!
//! No YAML snippet: this rule reports what happened, from the audit log; the response
//! is to investigate the identity and objects it names, and the fix, if any, is on them
//! (their rules show it).

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
    mitre: Some(Mitre {
        id: "T1609",
        name: "Container Administration Command",
    }),
    check: Check::Audit(build),
};

struct Exec {
    allowed: crate::support::audit::AllowList,
}

fn build(config: &AuditConfig) -> Box<dyn Detector> {
    Box::new(Exec {
        allowed: crate::support::audit::AllowList::new(&config.exec_allowed),
    })
}

impl Detector for Exec {
    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink) {
        let sub = event.subresource();
        if crate::support::audit::exec_attempt(event) && !self.allowed.allows(event.username()) {
            let outcome = if event.succeeded() || event.code() == 101 {
                String::new()
            } else {
                format!(" (allowed; the server answered {})", event.code())
            };
            let message = format!(
                "{} ran {sub} into {}{outcome}",
                subject(event),
                object_name(event)
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
