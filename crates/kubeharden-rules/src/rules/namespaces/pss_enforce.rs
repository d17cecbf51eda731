//! ## What it does
//! Flags Namespaces that do not enforce a Pod Security Standard at the target level
//! (`--pss-target`, default `baseline`; `restricted` is recommended). This covers a
//! missing `pod-security.kubernetes.io/enforce` label (which means `privileged`) and
//! an enforce level below the target. System namespaces are exempt.
//!
//! ## Why it matters
//! Pod Security Admission is the built-in technical control the guidance asks for
//! (it replaced PodSecurityPolicy). It only acts on namespaces that are labelled. An
//! unlabelled namespace admits privileged pods, host namespaces and host paths.
//!
//! ## Example
//! ```yaml
//! kind: Namespace
//! metadata:
//!   name: shop
//! ```
//!
//! ## Fix
//! Label the namespace to enforce the target Pod Security level (`--pss-target`,
//! `baseline` unless set), and warn at `restricted` to see what stricter enforcement
//! would refuse.
//! ```yaml
//! metadata:
//!   labels:
//!     pod-security.kubernetes.io/enforce: baseline
//!     pod-security.kubernetes.io/enforce-version: latest
//!     pod-security.kubernetes.io/warn: restricted
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH504",
    name: "namespace-pss-not-enforced",
    title: "Namespace does not enforce the target Pod Security level",
    severity: Severity::High,
    guidance: &["POD-30", "POD-11"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1610",
        name: "Deploy Container",
    }),
    check: Check::Namespace(check),
};

const ENFORCE: &str = "pod-security.kubernetes.io/enforce";

fn level_rank(level: &str) -> Option<u8> {
    match level {
        "privileged" => Some(0),
        "baseline" => Some(1),
        "restricted" => Some(2),
        _ => None,
    }
}

fn check(ctx: &ClusterCtx<'_>, namespace: &str, out: &mut ClusterOut) {
    if kubeharden_cluster::is_system_namespace(namespace) {
        return;
    }
    // Each definition (a base and its overlays) is what its own files apply.
    for ns in ctx.view.namespaces.get(namespace).into_iter().flatten() {
        check_definition(ctx, namespace, ns, out);
    }
}

fn check_definition(
    ctx: &ClusterCtx<'_>,
    namespace: &str,
    ns: &kubeharden_cluster::NamespaceEntry,
    out: &mut ClusterOut,
) {
    let target = ctx.config.pss_target.as_str();
    let labels = FieldPath::parse("metadata.labels");
    // The finding's own fix names the level this run targets, which the rule's
    // documented snippet (for the default target) may not.
    let fix = format!("Label the namespace `{ENFORCE}: {target}`, the target level");
    let snippet = format!(
        "metadata:\n  labels:\n    {ENFORCE}: {target}\n    {ENFORCE}-version: latest\n    pod-security.kubernetes.io/warn: restricted\n"
    );
    match ns.labels.get(ENFORCE) {
        None => {
            out.at(&ns.origin, &ns.root, labels.key(ENFORCE), format!("namespace {namespace} has no {ENFORCE} label: pods are admitted as privileged (target: {target})"))
                .fix(fix)
                .snippet(snippet);
        }
        Some(level) if level_rank(level) < level_rank(target) => {
            out.at(
                &ns.origin,
                &ns.root,
                labels.key(ENFORCE),
                format!("namespace {namespace} enforces {level:?}, below the target {target}"),
            )
            .fix(fix)
            .snippet(snippet);
        }
        Some(_) => {}
    }
}
