//! ## What it does
//! Flags successful writes of bindings to `cluster-admin` and of roles with `*` verbs, resources or API groups, by subjects that are not Kubernetes components. The body must be logged (level `Request` or above).
//!
//! ## Why it matters
//! Granting cluster-admin or wildcards is the last step of an escalation and the first step of persistence.
//!
//! ## Example
//! User `bob` creates a ClusterRoleBinding of `cluster-admin` to a service account.
//!
//! ## Fix
//! Revert the change if unexpected, and review how the subject could make it (bind, escalate).
//!
//! No YAML snippet: this rule reports what happened, from the audit log; the response
//! is to investigate the identity and objects it names, and the fix, if any, is on them
//! (their rules show it).

use crate::prelude::*;
#[allow(unused_imports)]
use crate::support::audit::{
    did, is_system, object_name, observe, subject, threshold, WRITE_VERBS,
};

pub const RULE: RuleDef = RuleDef {
    id: "KH810",
    name: "rbac-escalation-change",
    title: "RBAC change grants cluster-admin or wildcards",
    severity: Severity::Critical,
    guidance: &["DET-18", "RBAC-04", "RBAC-03"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1098",
        name: "Account Manipulation",
    }),
    check: Check::Audit(build),
};

struct RbacChange;

fn build(_: &AuditConfig) -> Box<dyn Detector> {
    Box::new(RbacChange)
}

impl Detector for RbacChange {
    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink) {
        if event.api_group() != "rbac.authorization.k8s.io"
            || !matches!(event.verb(), "create" | "update" | "patch")
            || !event.succeeded()
            || is_system(event.username())
        {
            return;
        }
        let Some(body) = kubeharden_audit::request::body(event) else {
            return;
        };
        let what = match event.resource() {
            "rolebindings" | "clusterrolebindings" => body
                .get("roleRef")
                .and_then(|r| r.get("name"))
                .and_then(|n| n.as_str())
                .filter(|n| *n == "cluster-admin")
                .map(|_| "cluster-admin".to_string()),
            "roles" | "clusterroles" => {
                let star = |rule: &serde_json::Value, key: &str| {
                    rule.get(key)
                        .and_then(|v| v.as_array())
                        .is_some_and(|a| a.iter().any(|x| x == "*"))
                };
                body.get("rules")
                    .and_then(|r| r.as_array())
                    .into_iter()
                    .flatten()
                    .any(|r| star(r, "verbs") || star(r, "resources") || star(r, "apiGroups"))
                    .then(|| "wildcard permissions".to_string())
            }
            _ => None,
        };
        if let Some(what) = what {
            let message = format!(
                "{} {} {} granting {what}",
                subject(event),
                did(event.verb()),
                object_name(event)
            );
            sink.raise(
                observe(RULE.id, object_name(event), event, message),
                event,
                at,
            );
        }
    }
}
