//! ## What it does
//! Flags successful requests by `system:anonymous` (or the group `system:unauthenticated`) beyond the health, version and discovery-document endpoints, and role bindings that grant anything to `system:anonymous`, `system:unauthenticated` or `system:authenticated` (except the API server's own bootstrap bindings, made by `system:` users).
//!
//! ## Why it matters
//! Anonymous access means anyone who reaches the API server. A successful anonymous read of anything but health checks means RBAC grants the world something.
//!
//! ## Example
//! `system:anonymous` lists pods in kube-system and gets 200.
//!
//! ## Fix
//! Remove the grant to the anonymous group (`kubeharden scan` finds it as KH610) and set `--anonymous-auth=false`.
//!
//! No YAML snippet: this rule reports what happened, from the audit log; the response
//! is to investigate the identity and objects it names, and the fix, if any, is on them
//! (their rules show it).

use crate::prelude::*;
#[allow(unused_imports)]
use crate::support::audit::{is_system, object_name, observe, subject, threshold, WRITE_VERBS};

pub const RULE: RuleDef = RuleDef {
    id: "KH804",
    name: "anonymous-access",
    title: "Anonymous request succeeded, or anonymous users were granted access",
    severity: Severity::Critical,
    guidance: &["DET-07", "DET-08", "AUTHN-04"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1078.001",
        name: "Valid Accounts: Default Accounts",
    }),
    check: Check::Audit(build),
};

const PUBLIC: [&str; 7] = [
    "/healthz",
    "/livez",
    "/readyz",
    "/version",
    "/version/",
    "/.well-known/openid-configuration",
    "/openid/v1/jwks",
];

struct Anonymous;

fn build(_: &AuditConfig) -> Box<dyn Detector> {
    Box::new(Anonymous)
}

fn anonymous(event: &Event<'_>) -> bool {
    event.username() == "system:anonymous" || event.user.in_group("system:unauthenticated")
}

impl Detector for Anonymous {
    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink) {
        let path = event.request_uri().split('?').next().unwrap_or("");
        if anonymous(event)
            && event.succeeded()
            && !PUBLIC
                .iter()
                .any(|p| path == *p || path.starts_with(&format!("{p}/")))
        {
            let message = format!("anonymous {} {} succeeded", event.verb(), path);
            sink.raise(
                observe(RULE.id, format!("request {path}"), event, message),
                event,
                at,
            );
        }
        let rbac = event.api_group() == "rbac.authorization.k8s.io"
            && matches!(event.resource(), "rolebindings" | "clusterrolebindings");
        // The API server itself binds its bootstrap roles to system:authenticated.
        if rbac
            && matches!(event.verb(), "create" | "update" | "patch")
            && event.succeeded()
            && !is_system(event.username())
        {
            let Some(body) = kubeharden_audit::request::body(event) else {
                return;
            };
            let everyone = body
                .get("subjects")
                .and_then(|s| s.as_array())
                .into_iter()
                .flatten()
                .filter_map(|s| s.get("name").and_then(|n| n.as_str()))
                .find(|n| {
                    matches!(
                        *n,
                        "system:anonymous" | "system:unauthenticated" | "system:authenticated"
                    )
                });
            if let Some(group) = everyone {
                let message = format!(
                    "{} granted {} to {group}",
                    subject(event),
                    object_name(event)
                );
                sink.raise(
                    observe(
                        RULE.id,
                        format!("grant {}", object_name(event)),
                        event,
                        message,
                    ),
                    event,
                    at,
                );
            }
        }
    }
}
