//! ## What it does
//! Counts requests the authorizer refused (HTTP 403) per subject in the window (default 20 in 10 minutes).
//!
//! ## Why it matters
//! An attacker with a stolen token first learns what it may do, by trying. Legitimate software rarely hits many forbidden answers in a row.
//!
//! ## Example
//! A service account gets 403 on secrets, nodes, clusterroles and pods/exec in quick succession.
//!
//! ## Fix
//! Find where the credential is used from; if not expected, revoke it.
//!
//! No YAML snippet: this rule reports what happened, from the audit log; the response
//! is to investigate the identity and objects it names, and the fix, if any, is on them
//! (their rules show it).

use crate::prelude::*;
#[allow(unused_imports)]
use crate::support::audit::{is_system, object_name, observe, subject, threshold, WRITE_VERBS};

pub const RULE: RuleDef = RuleDef {
    id: "KH803",
    name: "permission-probing",
    title: "Burst of forbidden requests by one subject",
    severity: Severity::Medium,
    guidance: &["DET-05", "DET-06"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1069",
        name: "Permission Groups Discovery",
    }),
    check: Check::Audit(build),
};

use kubeharden_audit::{Keyed, SlidingCount};

struct Probing {
    threshold: usize,
    window: f64,
    by_user: Keyed<SlidingCount>,
}

fn build(config: &AuditConfig) -> Box<dyn Detector> {
    Box::new(Probing {
        threshold: config.probe_forbidden,
        window: config.window,
        by_user: Keyed::default(),
    })
}

impl Detector for Probing {
    fn held(&self) -> usize {
        self.by_user.len()
    }

    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink) {
        if event.code() != 403 || event.username().is_empty() || is_system(event.username()) {
            return;
        }
        let n = self
            .by_user
            .touch(event.username(), at.time, self.window)
            .push(at.time, self.window);
        if n >= self.threshold {
            let message = format!(
                "{} was refused {n} times within {}s",
                subject(event),
                self.window
            );
            sink.raise(
                threshold(
                    RULE.id,
                    event.username().to_string(),
                    subject(event),
                    n,
                    event,
                    message,
                ),
                event,
                at,
            );
        }
    }
}
