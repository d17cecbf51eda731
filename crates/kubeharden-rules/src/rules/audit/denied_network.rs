//! ## What it does
//! Flags requests whose source address is in the `--deny-list` (CIDRs, one per line, such as a published Tor exit list).
//!
//! ## Why it matters
//! The agencies advise denying traffic from anonymization services: legitimate administrators rarely use them, attackers often do.
//!
//! ## Example
//! A request from a Tor exit node address.
//!
//! ## Fix
//! Block the ranges at the network edge, and check what the subject did.
//!
//! No YAML snippet: this rule reports what happened, from the audit log; the response
//! is to investigate the identity and objects it names, and the fix, if any, is on them
//! (their rules show it).

use crate::prelude::*;
#[allow(unused_imports)]
use crate::support::audit::{is_system, object_name, observe, subject, threshold, WRITE_VERBS};

pub const RULE: RuleDef = RuleDef {
    id: "KH815",
    name: "request-from-denied-network",
    title: "Request from an anonymizing or denied network",
    severity: Severity::High,
    guidance: &["DET-14"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1090.003",
        name: "Proxy: Multi-hop Proxy",
    }),
    check: Check::Audit(build),
};

use kubeharden_audit::net::{in_any, Cidr};

struct Denied {
    ranges: Vec<Cidr>,
}

fn build(config: &AuditConfig) -> Box<dyn Detector> {
    Box::new(Denied {
        ranges: config.deny_list.clone(),
    })
}

impl Detector for Denied {
    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink) {
        if let Some(ip) = event.source_ips.iter().find(|ip| in_any(&self.ranges, ip)) {
            let message = format!(
                "{} reached the API server from denied address {ip}",
                subject(event)
            );
            sink.raise(
                observe(
                    RULE.id,
                    format!("{ip} {}", event.username()),
                    event,
                    message,
                ),
                event,
                at,
            );
        }
    }
}
