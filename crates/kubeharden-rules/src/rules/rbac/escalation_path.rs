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
//! Subjects bound to cluster-admin directly are reported by KH601. Several subjects
//! whose paths end through the same account (the one that holds the power) are one
//! finding, at the binding that gives that account its power: changing that binding
//! (or that account) cuts them all. Its message names the first three subjects, "and
//! N more", and one path in full; the JSON report's `details` lists every path.
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
//! subject cannot deploy to, or cut the first permission.
//!
//! Not mounting the account's token is no cut: a pod spec that asks for it gets it.
//! ```yaml
//! # the powerful account moved to a namespace the subject cannot create pods in
//! apiVersion: v1
//! kind: ServiceAccount
//! metadata: {name: builder, namespace: ci-admin}
//! ---
//! apiVersion: rbac.authorization.k8s.io/v1
//! kind: ClusterRoleBinding
//! metadata: {name: builder}
//! roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: builder}
//! subjects:
//! - {kind: ServiceAccount, name: builder, namespace: ci-admin}
//! ```

use std::collections::HashMap;

use kubeharden_rbac::{escalation_paths, BindingDef, EscalationPath, Node, SubjectRef};

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
    for group in by_end_point(escalation_paths(model, ctx.view)) {
        match group.as_slice() {
            [path] => report_one(path, out),
            paths => report_group(paths, out),
        }
    }
}

/// The paths that are findings (a direct cluster-admin binding is KH601's), grouped by
/// their end point: the subject whose power every path of a group ends with. Several
/// subjects that reach cluster-admin through one account are one problem, fixed there.
fn by_end_point<'m, 'v>(paths: Vec<EscalationPath<'m, 'v>>) -> Vec<Vec<EscalationPath<'m, 'v>>> {
    let mut groups: Vec<Vec<EscalationPath<'m, 'v>>> = Vec::new();
    let mut index: HashMap<SubjectRef, usize> = HashMap::new();
    for path in paths {
        let direct = path.hops.len() == 1 && path.hops[0].action == "hold cluster-admin";
        let Some(end) = path.hops.last().filter(|_| !direct) else {
            continue;
        };
        if path.hops[0].binding.is_none() {
            continue;
        }
        let slot = *index.entry(end.from.clone()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[slot].push(path);
    }
    groups
}

/// One subject's path, at the binding that gives it its first step.
fn report_one(path: &EscalationPath<'_, '_>, out: &mut ClusterOut) {
    let Some(binding) = path.hops[0].binding else {
        return;
    };
    let message = format!(
        "{} can gain cluster-admin power in {}",
        path.start,
        describe_steps(path)
    );
    let field = subject_field(binding, &path.start);
    out.at(&binding.entry.origin, &binding.entry.root, field, message);
}

/// Several subjects' paths through one end point, at the binding that gives the end
/// point its power (where one change cuts every path), else the first path's start.
fn report_group(paths: &[EscalationPath<'_, '_>], out: &mut ClusterOut) {
    let end = paths[0].hops.last().expect("a path has hops");
    let each: Vec<String> = paths
        .iter()
        .map(|p| format!("{} in {}", p.start, describe_steps(p)))
        .collect();
    let message = format!(
        "{} subjects can gain cluster-admin power through {}, which can {}: {}; for example {}",
        paths.len(),
        end.from,
        end.action,
        some_subjects(paths),
        each[0]
    );
    let (binding, subject) = match end.binding {
        Some(b) => (b, &end.from),
        None => (
            paths[0].hops[0]
                .binding
                .expect("grouped paths have a binding"),
            &paths[0].start,
        ),
    };
    let field = subject_field(binding, subject);
    out.at(&binding.entry.origin, &binding.entry.root, field, message)
        .details(each);
}

/// How many subjects a grouped finding's message names; the JSON report's `details`
/// holds every path (a group on the corpus had 21, a message of 14,842 characters).
const NAMED: usize = 3;

/// "sa:ci/a (2 step(s)), sa:ci/b (2 step(s)), user:x (3 step(s)) and 18 more".
fn some_subjects(paths: &[EscalationPath<'_, '_>]) -> String {
    let named: Vec<String> = paths
        .iter()
        .take(NAMED)
        .map(|p| format!("{} ({} step(s))", p.start, p.hops.len()))
        .collect();
    match paths.len().saturating_sub(NAMED) {
        0 => named.join(", "),
        more => format!("{} and {more} more", named.join(", ")),
    }
}

/// "2 step(s): (1) ... -> ... via ...; (2) ...".
fn describe_steps(path: &EscalationPath<'_, '_>) -> String {
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
    format!("{} step(s): {}", path.hops.len(), steps.join("; "))
}

/// `subjects[i]`: where `subject` is named in `binding` (the first entry when the
/// binding reaches it through a group).
fn subject_field(binding: &BindingDef<'_>, subject: &SubjectRef) -> FieldPath {
    let index = binding
        .entry
        .subjects
        .iter()
        .position(|s| SubjectRef::from_subject(s, binding.namespace()).as_ref() == Some(subject))
        .unwrap_or(0);
    FieldPath::parse("subjects").index(index)
}
