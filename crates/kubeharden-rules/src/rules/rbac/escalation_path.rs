//! ## What it does
//! Finds, for every non-system subject of the scan's bindings, the shortest chain of
//! steps to cluster-admin-equivalent power, and reports it with each step's evidence
//! (binding and role, with file and line). Steps:
//! - become a service account by creating a pod (or pod controller) in its namespace,
//!   requesting a token for it, impersonating it, reading its legacy token Secret, or
//!   exec'ing into a pod that mounts its token (also through `nodes/proxy`);
//! - reach cluster-admin by holding a `*`/`*`/`*` ClusterRole cluster-wide,
//!   impersonating `system:masters`, binding or escalating ClusterRoles while able to
//!   create ClusterRoleBindings, or approving client certificates.
//!
//! Subjects bound to cluster-admin directly are reported by KH601.
//!
//! ## Why it matters
//! Single-object checks miss how permissions chain. "Can create Deployments in ci"
//! looks harmless until a service account in `ci` turns out to be cluster-admin. The
//! guidance asks for least privilege for every user and service account; a path to
//! cluster-admin means the subject effectively has it.
//!
//! ## Example
//! A RoleBinding lets `sa:ci/deployer` create pods in `ci`, and a ClusterRoleBinding
//! makes `sa:ci/builder` cluster-admin: the deployer can start a pod as the builder.
//!
//! ## Fix
//! Break the chain where it is cheapest: move the powerful account to a namespace the
//! subject cannot deploy to, stop mounting its token, or cut the first permission.

use kubeharden_rbac::{escalation_paths, Node, SubjectRef};

use crate::prelude::*;
use crate::support::rbac::place;

pub const RULE: RuleDef = RuleDef {
    id: "KH620",
    name: "rbac-escalation-path",
    title: "Subject can escalate to cluster-admin",
    severity: Severity::Critical,
    guidance: &["RBAC-03", "RBAC-06", "POD-32", "RBAC-10"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1078",
        name: "Valid Accounts",
    }),
    check: Check::Cluster(check),
};

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    let model = ctx.rbac();
    for path in escalation_paths(model, ctx.view) {
        let direct = path.hops.len() == 1 && path.hops[0].action == "hold cluster-admin";
        let Some(first) = path.hops.first().filter(|_| !direct) else {
            continue;
        };
        let Some(binding) = first.binding else {
            continue;
        };
        let steps: Vec<String> = path
            .hops
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let target = match &h.to {
                    Node::ClusterAdmin => "cluster-admin".to_string(),
                    Node::Subject(s) => s.to_string(),
                };
                let via = match (h.binding, h.role) {
                    (Some(b), Some(r)) => format!(
                        " via {} ({}) and {}",
                        b.describe(),
                        place(&b.entry.origin.file, b.entry.root.pos.line),
                        r.key
                    ),
                    _ => String::new(),
                };
                format!("({}) {} can {} -> {target}{via}", i + 1, h.from, h.action)
            })
            .collect();
        let index = binding
            .entry
            .subjects
            .iter()
            .position(|s| {
                SubjectRef::from_subject(s, binding.namespace()).as_ref() == Some(&path.start)
            })
            .unwrap_or(0);
        let message = format!(
            "{} can gain cluster-admin power in {} step(s): {}",
            path.start,
            path.hops.len(),
            steps.join("; ")
        );
        out.at(
            &binding.entry.origin,
            &binding.entry.root,
            FieldPath::parse("subjects").index(index),
            message,
        );
    }
}
