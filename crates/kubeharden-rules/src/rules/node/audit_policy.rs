//! ## What it does
//! Reads the audit policy the API server names and evaluates it as the API server
//! does: the first matching rule decides each request's level. It flags these cases:
//! - rules without a valid `level`;
//! - no catch-all rule at `Metadata` or above;
//! - Secrets, ConfigMaps or TokenReviews logged at `Request` or `RequestResponse`,
//!   which writes credentials into the log;
//! - anonymous requests not logged;
//! - exec, attach, port-forward, RBAC changes or admission-configuration changes not
//!   logged.
//!
//! Each finding names the `kubeharden audit-log` detectors the gap blinds.
//!
//! ## Why it matters
//! An audit log is only as good as its policy. A policy that drops exec events hides
//! the most common hands-on-keyboard step. One that logs Secret bodies turns the log
//! into a credential store. The guidance asks for Secrets at Metadata only and for
//! everything else to be logged enough to detect intrusions.
//!
//! ## Example
//! ```yaml
//! rules:
//! - level: RequestResponse
//! ```
//! (logs Secret bodies)
//!
//! ## Fix
//! ```yaml
//! rules:
//! - level: Metadata
//!   resources:
//!   - {group: "", resources: [secrets, configmaps]}
//!   - {group: authentication.k8s.io, resources: [tokenreviews]}
//! - level: RequestResponse
//!   resources:
//!   - {group: rbac.authorization.k8s.io}
//!   - {group: "", resources: [pods]}
//! - level: Metadata
//! ```

use kubeharden_node::{AuditLevel, AuditPolicy, AuditProbe};

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH712",
    name: "audit-policy-gaps",
    title: "Audit policy misses or over-logs security events",
    severity: Severity::Medium,
    guidance: &["LOG-02", "LOG-03", "LOG-04", "LOG-05"],
    pss: None,
    mitre: Some(Mitre { id: "T1562.008", name: "Impair Defenses: Disable or Modify Cloud Logs" }),
    check: Check::Node(check),
};

const USER: &[&str] = &["system:authenticated"];

fn probe(verb: &'static str, group: &'static str, resource: &'static str) -> AuditProbe {
    AuditProbe { verb, group, resource, namespace: Some("default"), user: "alice", groups: USER, ..AuditProbe::default() }
}

/// (what, request, the least level needed, the detectors that need it)
fn needs() -> Vec<(&'static str, AuditProbe, AuditLevel, &'static str)> {
    let anonymous = AuditProbe { verb: "get", path: Some("/api"), user: "system:anonymous", groups: &["system:unauthenticated"], ..AuditProbe::default() };
    vec![
        ("anonymous requests", anonymous, AuditLevel::Metadata, "anonymous-access, brute-force"),
        ("exec into pods", probe("create", "", "pods/exec"), AuditLevel::Metadata, "exec, attack-chain"),
        ("attach to pods", probe("create", "", "pods/attach"), AuditLevel::Metadata, "exec"),
        ("port-forward to pods", probe("create", "", "pods/portforward"), AuditLevel::Metadata, "exec"),
        ("Secret reads", probe("get", "", "secrets"), AuditLevel::Metadata, "secret-access, attack-chain"),
        ("token requests", probe("create", "", "serviceaccounts/token"), AuditLevel::Metadata, "token-request, attack-chain"),
        ("pod creation (bodies)", probe("create", "", "pods"), AuditLevel::Request, "privileged-pod, container-breakout, cryptomining, attack-chain"),
        ("RBAC changes (bodies)", probe("create", "rbac.authorization.k8s.io", "clusterrolebindings"), AuditLevel::Request, "rbac-escalation"),
        ("admission webhook changes", probe("update", "admissionregistration.k8s.io", "validatingwebhookconfigurations"), AuditLevel::Metadata, "admission-tampering"),
        ("CSR approvals", probe("update", "certificates.k8s.io", "certificatesigningrequests/approval"), AuditLevel::Metadata, "csr-approval"),
        ("namespace label changes (bodies)", probe("patch", "", "namespaces"), AuditLevel::Request, "pss-label-change"),
    ]
}

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    let Some(policy) = &ctx.view.audit_policy else { return };
    let what = ("Policy", "audit-policy");
    let at = |path: FieldPath| policy.root.locate(&path).pos;
    for i in policy.invalid_rules() {
        let path = AuditPolicy::rule_path(i).key("level");
        out.at(what, &policy.file, at(path.clone()), path, format!("rule {i} has no valid level (None, Metadata, Request or RequestResponse)"));
    }
    match policy.catch_all() {
        Some((_, level)) if level >= AuditLevel::Metadata => {}
        Some((i, _)) => out.at(what, &policy.file, at(AuditPolicy::rule_path(i)), AuditPolicy::rule_path(i), "the catch-all rule logs nothing (level None)"),
        None => out.at(what, &policy.file, at(FieldPath::parse("rules")), FieldPath::parse("rules"), "no catch-all rule: requests no rule names are not logged"),
    }
    for (name, resource) in [("Secrets", "secrets"), ("ConfigMaps", "configmaps")] {
        for verb in ["get", "create"] {
            let (level, rule) = policy.level(&probe(verb, "", resource));
            if level >= AuditLevel::Request {
                let path = rule.map_or(FieldPath::parse("rules"), AuditPolicy::rule_path);
                out.at(what, &policy.file, at(path.clone()), path, format!("{name} are logged at {level:?}: their values are written into the audit log (log them at Metadata)"));
                break;
            }
        }
    }
    let (level, rule) = policy.level(&probe("create", "authentication.k8s.io", "tokenreviews"));
    if level >= AuditLevel::Request {
        let path = rule.map_or(FieldPath::parse("rules"), AuditPolicy::rule_path);
        out.at(what, &policy.file, at(path.clone()), path, format!("TokenReviews are logged at {level:?}: bearer tokens are written into the audit log"));
    }
    for (name, request, least, detectors) in needs() {
        let (level, rule) = policy.level(&request);
        if level < least {
            let path = rule.map_or(FieldPath::parse("rules"), AuditPolicy::rule_path);
            let message = format!("{name} are logged at {level:?}, below {least:?}: the audit-log detectors {detectors} cannot see them");
            out.at(what, &policy.file, at(path.clone()), path, message);
        }
    }
}
