//! ## What it does
//! Counts failed authentications (HTTP 401) per source address in a sliding window (default 10 in 10 minutes), and the distinct user names they try in the same window (default 5: password spraying). Addresses and users not seen within the window are forgotten.
//!
//! ## Why it matters
//! The agencies reported a state actor password-spraying from a Kubernetes cluster. Repeated 401s from one address are how guessing credentials looks in the audit log, and catching them early gives time to block the address.
//!
//! ## Example
//! Sixty requests with bad bearer tokens from 203.0.113.9 within two minutes.
//!
//! ## Fix
//! Block the address, check which accounts were tried, rotate credentials that might be weak, and keep anonymous and token-file authentication off.
//!
//! No YAML snippet: this rule reports what happened, from the audit log; the response
//! is to investigate the identity and objects it names, and the fix, if any, is on them
//! (their rules show it).

use crate::prelude::*;
#[allow(unused_imports)]
use crate::support::audit::{is_system, object_name, observe, subject, threshold, WRITE_VERBS};

pub const RULE: RuleDef = RuleDef {
    id: "KH801",
    name: "brute-force-login",
    title: "Brute force or password spraying against the API server",
    severity: Severity::High,
    guidance: &["DET-05"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1110",
        name: "Brute Force",
    }),
    check: Check::Audit(build),
};

use kubeharden_audit::{Distinct, Keyed, Observation, SlidingCount};

struct BruteForce {
    failures: usize,
    spray: usize,
    window: f64,
    /// Per address: its failures, and the users they tried, within the window.
    by_address: Keyed<(SlidingCount, Distinct)>,
}

fn build(config: &AuditConfig) -> Box<dyn Detector> {
    Box::new(BruteForce {
        failures: config.brute_force_failures,
        spray: config.spray_users,
        window: config.window,
        by_address: Keyed::default(),
    })
}

impl Detector for BruteForce {
    fn held(&self) -> usize {
        self.by_address.len()
    }

    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink) {
        if event.code() != 401 {
            return;
        }
        let address = event.source_ip().to_string();
        let (count, users) = self.by_address.touch(&address, at.time, self.window);
        let n = count.push(at.time, self.window);
        let users = match event.username() {
            "" => {
                users.prune(at.time, self.window);
                users.len()
            }
            user => users.push(user, at.time, self.window),
        };
        if n >= self.failures {
            let message = format!("{n} failed logins from {address} within {}s", self.window);
            sink.raise(
                from_client(
                    threshold(
                        RULE.id,
                        format!("brute-force {address}"),
                        address.clone(),
                        n,
                        event,
                        message,
                    ),
                    &address,
                ),
                event,
                at,
            );
        }
        if users >= self.spray {
            let message = format!(
                "{users} different users failed to log in from {address} within {}s (password spraying)",
                self.window
            );
            sink.raise(
                from_client(
                    threshold(
                        RULE.id,
                        format!("spray {address}"),
                        address.clone(),
                        users,
                        event,
                        message,
                    ),
                    &address,
                ),
                event,
                at,
            );
        }
    }
}

/// The alert is about the address the attempts came from, not the object of the
/// last failed request (a `pods` list has no name: its header read `pods (no name)`).
fn from_client(observation: Observation, address: &str) -> Observation {
    Observation {
        object: Some(("client".to_string(), None, Some(address.to_string()))),
        ..observation
    }
}
