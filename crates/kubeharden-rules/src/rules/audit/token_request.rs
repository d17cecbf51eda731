//! ## What it does
//! Flags `create` on `serviceaccounts/token` and updates of `certificatesigningrequests/approval` by subjects that are not Kubernetes components.
//!
//! ## Why it matters
//! A token request mints a credential for a service account; an approved CSR mints a client certificate, possibly for `system:masters`. Both hand out identities outside RBAC's usual flow.
//!
//! ## Example
//! User `bob` requests a token for `kube-system/replicaset-controller`.
//!
//! ## Fix
//! Confirm the request; restrict `serviceaccounts/token` and CSR approval (KH605).
//!
//! No YAML snippet: this rule reports what happened, from the audit log; the response
//! is to investigate the identity and objects it names, and the fix, if any, is on them
//! (their rules show it).

use crate::prelude::*;
#[allow(unused_imports)]
use crate::support::audit::{is_system, object_name, observe, subject, threshold, WRITE_VERBS};

pub const RULE: RuleDef = RuleDef {
    id: "KH812",
    name: "token-or-csr-approval",
    title: "Service-account token requested or certificate request approved",
    severity: Severity::Medium,
    guidance: &["DET-18", "RBAC-06"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1528",
        name: "Steal Application Access Token",
    }),
    check: Check::Audit(build),
};

struct Tokens;

fn build(_: &AuditConfig) -> Box<dyn Detector> {
    Box::new(Tokens)
}

impl Detector for Tokens {
    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink) {
        if !event.succeeded() || is_system(event.username()) {
            return;
        }
        let what = match (event.resource(), event.subresource(), event.verb()) {
            ("serviceaccounts", "token", "create") => "requested a token for",
            ("certificatesigningrequests", "approval", "update" | "patch") => "approved",
            _ => return,
        };
        let message = format!("{} {what} {}", subject(event), object_name(event));
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
