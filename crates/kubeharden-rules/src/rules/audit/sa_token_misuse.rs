//! ## What it does
//! Flags service accounts whose requests come from outside the internal networks (`--internal-cidr`, the private ranges by default), or from more than three addresses within the window.
//!
//! ## Why it matters
//! A service-account token belongs to pods inside the cluster. Used from the internet, or from many places at once, it has been stolen.
//!
//! ## Example
//! `system:serviceaccount:ci:deployer` sends requests from 198.51.100.23.
//!
//! ## Fix
//! Revoke the token (delete a legacy token Secret, or rotate the signing key) and find how it leaked.
//!
//! No YAML snippet: this rule reports what happened, from the audit log; the response
//! is to investigate the identity and objects it names, and the fix, if any, is on them
//! (their rules show it).

use crate::prelude::*;
#[allow(unused_imports)]
use crate::support::audit::{is_system, object_name, observe, subject, threshold, WRITE_VERBS};

pub const RULE: RuleDef = RuleDef {
    id: "KH816",
    name: "service-account-token-misuse",
    title: "Service-account token used from outside the cluster or several addresses",
    severity: Severity::High,
    guidance: &["DET-13", "DET-14", "AUTHN-05"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1528",
        name: "Steal Application Access Token",
    }),
    check: Check::Audit(build),
};

use kubeharden_audit::net::{in_any, Cidr};
use kubeharden_audit::{Distinct, Keyed};

struct TokenMisuse {
    internal: Vec<Cidr>,
    window: f64,
    /// Per service account: the addresses it was used from within the window.
    recent: Keyed<Distinct>,
}

fn build(config: &AuditConfig) -> Box<dyn Detector> {
    Box::new(TokenMisuse {
        internal: config.internal_cidrs.clone(),
        window: config.window,
        recent: Keyed::default(),
    })
}

const MAX_ADDRESSES: usize = 3;

impl Detector for TokenMisuse {
    fn held(&self) -> usize {
        self.recent.len()
    }

    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink) {
        if !event.is_service_account() || event.code() == 401 {
            return;
        }
        let ip = event.source_ip();
        if !ip.is_empty() && !in_any(&self.internal, ip) {
            let message = format!("{} used from external address {ip}", subject(event));
            sink.raise(
                observe(
                    RULE.id,
                    format!("{} external", event.username()),
                    event,
                    message,
                ),
                event,
                at,
            );
        }
        let seen = self
            .recent
            .touch(event.username(), at.time, self.window)
            .push(ip, at.time, self.window);
        if seen > MAX_ADDRESSES {
            let message = format!(
                "{} used from {seen} addresses within {}s",
                subject(event),
                self.window
            );
            sink.raise(
                threshold(
                    RULE.id,
                    format!("{} addresses", event.username()),
                    subject(event),
                    seen,
                    event,
                    message,
                ),
                event,
                at,
            );
        }
    }
}
