//! ## What it does
//! Counts failed authentications (HTTP 401) per source address in a sliding window (default 10 in 10 minutes), and the distinct user names they try (default 5: password spraying).
//!
//! ## Why it matters
//! The agencies reported a state actor password-spraying from a Kubernetes cluster. Repeated 401s from one address are how guessing credentials looks in the audit log, and catching them early gives time to block the address.
//!
//! ## Example
//! Sixty requests with bad bearer tokens from 203.0.113.9 within two minutes.
//!
//! ## Fix
//! Block the address, check which accounts were tried, rotate credentials that might be weak, and keep anonymous and token-file authentication off.

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

use std::collections::{HashMap, HashSet};

use kubeharden_audit::SlidingCount;

struct BruteForce {
    failures: usize,
    spray: usize,
    window: f64,
    by_address: HashMap<String, (SlidingCount, HashSet<String>)>,
}

fn build(config: &AuditConfig) -> Box<dyn Detector> {
    Box::new(BruteForce {
        failures: config.brute_force_failures,
        spray: config.spray_users,
        window: config.window,
        by_address: HashMap::new(),
    })
}

impl Detector for BruteForce {
    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink) {
        if event.code() != 401 {
            return;
        }
        let address = event.source_ip().to_string();
        let (count, users) = self.by_address.entry(address.clone()).or_default();
        let n = count.push(at.time, self.window);
        if let Some(user) = Some(event.username()).filter(|u| !u.is_empty()) {
            if users.len() < 10_000 {
                users.insert(user.to_string());
            }
        }
        if n >= self.failures {
            let message = format!("{n} failed logins from {address} within {}s", self.window);
            sink.raise(
                threshold(
                    RULE.id,
                    format!("brute-force {address}"),
                    address.clone(),
                    n,
                    event,
                    message,
                ),
                event,
                at,
            );
        }
        if users.len() >= self.spray {
            let message = format!(
                "{} different users failed to log in from {address} (password spraying)",
                users.len()
            );
            sink.raise(
                threshold(
                    RULE.id,
                    format!("spray {address}"),
                    address.clone(),
                    users.len(),
                    event,
                    message,
                ),
                event,
                at,
            );
        }
    }
}
