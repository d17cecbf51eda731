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
//! Each finding names the `kubeharden audit-log` detectors (KH8xx) the gap blinds.
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
//! Log who read Secrets and ConfigMaps and what changed RBAC and pods, with a catch-all at Metadata, in the audit policy file:
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

use kubeharden_node::{AuditLevel, AuditPolicy, AuditProbe, FileKind};

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH712",
    name: "audit-policy-gaps",
    title: "Audit policy misses or over-logs security events",
    severity: Severity::Medium,
    guidance: &["LOG-02", "LOG-03", "LOG-04", "LOG-05"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1562.008",
        name: "Impair Defenses: Disable or Modify Cloud Logs",
    }),
    check: Check::Node(check),
};

/// A request by an ordinary authenticated user in namespace `default`.
fn probe(verb: &'static str, group: &'static str, resource: &'static str) -> AuditProbe {
    AuditProbe {
        verb,
        group,
        resource,
        namespace: Some("default"),
        user: "alice",
        groups: &["system:authenticated"],
        ..AuditProbe::default()
    }
}

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    let Some(policy) = &ctx.view.audit_policy else {
        // Named but unusable (an error says why): neither a pass nor a guess.
        for (_, file) in ctx
            .view
            .unusable
            .iter()
            .filter(|(k, _)| *k == FileKind::AuditPolicy)
        {
            out.cannot_judge_file(file, "the audit policy");
        }
        return;
    };
    let what = ("Policy", "audit-policy");
    for i in policy.invalid_rules() {
        let path = AuditPolicy::rule_path(i).key("level");
        out.at_in(
            what,
            &policy.file,
            &policy.root,
            path,
            format!("rule {i} has no valid level (None, Metadata, Request or RequestResponse)"),
        )
        .rows(&["LOG-02"]);
    }
    match policy.catch_all() {
        Some((_, level)) if level >= AuditLevel::Metadata => {}
        Some((i, _)) => {
            out.at_in(
                what,
                &policy.file,
                &policy.root,
                AuditPolicy::rule_path(i),
                "the catch-all rule logs nothing (level None)",
            )
            .rows(&["LOG-03"]);
        }
        None => {
            out.at_in(
                what,
                &policy.file,
                &policy.root,
                FieldPath::parse("rules"),
                "no catch-all rule: requests no rule names are not logged",
            )
            .rows(&["LOG-03"]);
        }
    }
    for (name, resource) in [("Secrets", "secrets"), ("ConfigMaps", "configmaps")] {
        for verb in ["get", "create"] {
            let (level, rule) = policy.level(&probe(verb, "", resource));
            if level >= AuditLevel::Request {
                let path = rule.map_or(FieldPath::parse("rules"), AuditPolicy::rule_path);
                let message = format!(
                    "{name} are logged at {level:?}: their values are written into the audit \
                     log (log them at Metadata)"
                );
                out.at_in(what, &policy.file, &policy.root, path, message)
                    .rows(&["LOG-04"]);
                break;
            }
        }
    }
    let (level, rule) = policy.level(&probe("create", "authentication.k8s.io", "tokenreviews"));
    if level >= AuditLevel::Request {
        let path = rule.map_or(FieldPath::parse("rules"), AuditPolicy::rule_path);
        let message = format!(
            "TokenReviews are logged at {level:?}: bearer tokens are written into the audit log"
        );
        out.at_in(what, &policy.file, &policy.root, path, message)
            .rows(&["LOG-04"]);
    }
    // One finding per kind of request, naming every detector it blinds.
    let mut gaps: Vec<Gap> = Vec::new();
    for (rule_id, what, probe, least) in kubeharden_audit::policy::detector_needs() {
        let (level, rule) = policy.level(&probe);
        if level >= least {
            continue;
        }
        match gaps.iter_mut().find(|g| g.what == what) {
            Some(gap) if !gap.detectors.contains(&rule_id) => gap.detectors.push(rule_id),
            Some(_) => {}
            None => gaps.push(Gap {
                what,
                level,
                least,
                rule,
                detectors: vec![rule_id],
            }),
        }
    }
    for Gap {
        what,
        level,
        least,
        rule,
        detectors,
    } in gaps
    {
        let path = rule.map_or(FieldPath::parse("rules"), AuditPolicy::rule_path);
        let message = format!(
            "{what} are logged at {level:?}, below {least:?}: audit-log detectors {} cannot see \
             them",
            detectors.join(", ")
        );
        // Anonymous requests have a row of their own; every other gap is detail.
        let rows: &'static [&'static str] = if what == "anonymous requests" {
            &["LOG-05"]
        } else {
            &["LOG-03"]
        };
        out.at_in(what_kind(), &policy.file, &policy.root, path, message)
            .rows(rows);
    }
}

/// A kind of request logged below what some detectors need.
struct Gap {
    what: &'static str,
    level: AuditLevel,
    least: AuditLevel,
    /// The policy rule that decides its level (none: the default).
    rule: Option<usize>,
    /// The detectors it blinds.
    detectors: Vec<&'static str>,
}

fn what_kind() -> (&'static str, &'static str) {
    ("Policy", "audit-policy")
}
