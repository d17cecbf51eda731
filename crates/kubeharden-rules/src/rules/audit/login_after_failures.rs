//! ## What it does
//! Flags a successful authenticated request from a source address that had at least the brute-force threshold of failed logins (401) in the window before it.
//!
//! ## Why it matters
//! A success after a run of failures is what a guessed or stolen credential looks like: the attack worked.
//!
//! ## Example
//! Twenty 401s from 203.0.113.9, then a 200 for user `ci-bot` from the same address.
//!
//! ## Fix
//! Treat the account as compromised: disable it, rotate its credentials, and review what it did after the success.
//!
//! No YAML snippet: this rule reports what happened, from the audit log; the response
//! is to investigate the identity and objects it names, and the fix, if any, is on them
//! (their rules show it).

use crate::prelude::*;
#[allow(unused_imports)]
use crate::support::audit::{is_system, object_name, observe, subject, threshold, WRITE_VERBS};

pub const RULE: RuleDef = RuleDef {
    id: "KH802",
    name: "login-after-failures",
    title: "Successful request from an address after failed logins",
    severity: Severity::High,
    guidance: &["DET-05"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1110",
        name: "Brute Force",
    }),
    check: Check::Audit(build),
};

use kubeharden_audit::{Keyed, SlidingCount};

struct LoginAfterFailures {
    failures: usize,
    window: f64,
    by_address: Keyed<SlidingCount>,
}

fn build(config: &AuditConfig) -> Box<dyn Detector> {
    Box::new(LoginAfterFailures {
        failures: config.brute_force_failures,
        window: config.window,
        by_address: Keyed::default(),
    })
}

impl Detector for LoginAfterFailures {
    fn held(&self) -> usize {
        self.by_address.len()
    }

    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink) {
        let address = event.source_ip();
        if event.code() == 401 {
            self.by_address
                .touch(address, at.time, self.window)
                .push(at.time, self.window);
            return;
        }
        let Some(failures) = self.by_address.get_mut(address) else {
            return;
        };
        failures.prune(at.time, self.window);
        if event.succeeded()
            && failures.len() >= self.failures
            && event.username() != "system:anonymous"
        {
            let message = format!(
                "{} succeeded from {address} after {} failed logins",
                subject(event),
                failures.len()
            );
            sink.raise(
                observe(
                    RULE.id,
                    format!("{address} {}", event.username()),
                    event,
                    message,
                ),
                event,
                at,
            );
        }
    }
}
