//! ## What it does
//! Flags `list` or `watch` of Secrets across all namespaces or in kube-system, and bursts of Secret `get`s by one subject (default 50 in 10 minutes). Kubernetes components and the subjects of `--secret-reader` (names, or `*` globs) are not reported.
//!
//! ## Why it matters
//! Reading Secrets in bulk is how an intruder harvests credentials, service-account tokens included. `list` returns every value.
//!
//! ## Example
//! A user lists all Secrets in the cluster (`GET /api/v1/secrets`).
//!
//! ## Fix
//! Confirm the subject's purpose. Narrow its RBAC to the Secrets it needs (KH603).
//!
//! No YAML snippet: this rule reports what happened, from the audit log; the response
//! is to investigate the identity and objects it names, and the fix, if any, is on them
//! (their rules show it).

use crate::prelude::*;
#[allow(unused_imports)]
use crate::support::audit::{is_system, object_name, observe, subject, threshold, WRITE_VERBS};

pub const RULE: RuleDef = RuleDef {
    id: "KH806",
    name: "bulk-secret-read",
    title: "Secrets read cluster-wide or in bulk",
    severity: Severity::High,
    guidance: &["DET-17", "SEC-06"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1552.007",
        name: "Unsecured Credentials: Container API",
    }),
    check: Check::Audit(build),
};

use kubeharden_audit::{Keyed, SlidingCount};

struct SecretReads {
    threshold: usize,
    window: f64,
    allowed: crate::support::audit::AllowList,
    gets: Keyed<SlidingCount>,
}

fn build(config: &AuditConfig) -> Box<dyn Detector> {
    Box::new(SecretReads {
        threshold: config.secret_reads,
        window: config.window,
        allowed: crate::support::audit::AllowList::new(&config.secret_readers),
        gets: Keyed::default(),
    })
}

impl Detector for SecretReads {
    fn held(&self) -> usize {
        self.gets.len()
    }

    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink) {
        let user = event.username();
        if event.resource() != "secrets"
            || !event.succeeded()
            || is_system(user)
            || self.allowed.allows(user)
        {
            return;
        }
        match (event.verb(), event.namespace()) {
            ("list" | "watch", None) => {
                let message = format!(
                    "{} {}ed Secrets across all namespaces",
                    subject(event),
                    event.verb()
                );
                sink.raise(
                    observe(RULE.id, format!("{user} all"), event, message),
                    event,
                    at,
                );
            }
            ("list" | "watch", Some("kube-system")) => {
                let message = format!(
                    "{} {}ed Secrets in kube-system",
                    subject(event),
                    event.verb()
                );
                sink.raise(
                    observe(RULE.id, format!("{user} kube-system"), event, message),
                    event,
                    at,
                );
            }
            ("get", _) => {
                let n = self
                    .gets
                    .touch(user, at.time, self.window)
                    .push(at.time, self.window);
                if n >= self.threshold {
                    let message = format!(
                        "{} read {n} Secrets within {}s",
                        subject(event),
                        self.window
                    );
                    sink.raise(
                        threshold(
                            RULE.id,
                            format!("{user} gets"),
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
            _ => {}
        }
    }
}
