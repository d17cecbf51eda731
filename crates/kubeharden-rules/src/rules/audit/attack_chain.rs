//! ## What it does
//! Correlates each subject's events within the window: a Secret read or token request, then an exec into a pod, then a privileged, host-namespace or hostPath workload. The full chain in that order raises one alert.
//!
//! ## Why it matters
//! Each step alone can be routine. In sequence they are the textbook path from a foothold to the node: take credentials, look around inside a pod, break out.
//!
//! ## Example
//! `bob` gets Secret `shop/db`, execs into `shop/web`, then creates a pod with `hostPID: true` within five minutes.
//!
//! ## Fix
//! Treat the subject as compromised: revoke its credentials, delete the pod, and review the node.
//!
//! No YAML snippet: this rule reports what happened, from the audit log; the response
//! is to investigate the identity and objects it names, and the fix, if any, is on them
//! (their rules show it).

use crate::prelude::*;
#[allow(unused_imports)]
use crate::support::audit::{is_system, object_name, observe, subject, threshold, WRITE_VERBS};

pub const RULE: RuleDef = RuleDef {
    id: "KH818",
    name: "attack-chain",
    title: "One subject read credentials, exec'd into a pod and created a privileged pod",
    severity: Severity::Critical,
    guidance: &["DET-01", "DET-17", "DET-19"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1611",
        name: "Escape to Host",
    }),
    check: Check::Audit(build),
};

use kubeharden_audit::Keyed;

/// When a subject last read credentials and last exec'd after that.
#[derive(Default)]
struct Progress {
    credentials: Option<f64>,
    exec: Option<f64>,
}

struct Chain {
    window: f64,
    /// Only subjects that have read credentials within the window.
    by_user: Keyed<Progress>,
}

fn build(config: &AuditConfig) -> Box<dyn Detector> {
    Box::new(Chain {
        window: config.window,
        by_user: Keyed::default(),
    })
}

impl Detector for Chain {
    fn held(&self) -> usize {
        self.by_user.len()
    }

    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink) {
        let user = event.username();
        let exec = crate::support::audit::exec_attempt(event);
        if user.is_empty() || is_system(user) || !(event.succeeded() || exec) {
            return;
        }
        let credential = (event.resource() == "secrets" && matches!(event.verb(), "get" | "list"))
            || (event.resource() == "serviceaccounts" && event.subresource() == "token");
        let window = self.window;
        let fresh = |t: Option<f64>| t.filter(|t| at.time - t <= window);
        if credential {
            self.by_user.touch(user, at.time, window).credentials = Some(at.time);
            return;
        }
        // Other requests only advance a chain already started: no state for them.
        let Some(p) = self.by_user.get_mut(user) else {
            return;
        };
        if exec && fresh(p.credentials).is_some() {
            p.exec = Some(at.time);
            self.by_user.touch(user, at.time, window);
        } else if fresh(p.exec).is_some() && fresh(p.credentials).is_some() {
            if let Some(facts) =
                kubeharden_audit::request::pod_facts(event).filter(|f| !f.risky.is_empty())
            {
                let message = format!(
                    "{} read credentials, exec'd into a pod, then created {} with {}",
                    subject(event),
                    object_name(event),
                    facts.risky.join(", ")
                );
                sink.raise(
                    observe(RULE.id, user.to_string(), event, message),
                    event,
                    at,
                );
                *p = Progress::default();
            }
        }
    }
}
