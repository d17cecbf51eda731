//! What the RBAC rules share: which grants to judge, and how to report them.

use kubeharden_rbac::{BindingDef, Request, RoleDef, SubjectRef};
use kubeharden_yaml::FieldPath;

use crate::context::{ClusterCtx, ClusterOut, Tag};

pub(crate) use kubeharden_rbac::is_system_subject as is_system;

/// One scanned binding's grant of a role to a non-system subject.
pub(crate) struct Granted<'m, 'v> {
    pub binding: &'m BindingDef<'v>,
    pub role: &'m RoleDef<'v>,
    pub subject_index: usize,
    pub subject: SubjectRef,
}

/// Every grant of the scan's bindings to subjects that are not Kubernetes itself.
pub(crate) fn scanned_grants<'m, 'v>(ctx: &'m ClusterCtx<'v>) -> Vec<Granted<'m, 'v>> {
    grants(ctx, |s| !is_system(s))
}

/// Like [`scanned_grants`], and service accounts of kube-system too: Kubernetes' own
/// accounts there are bound by built-in bindings, so a scanned binding that makes
/// one an admin is someone's install (Tiller's was), not the cluster's.
pub(crate) fn scanned_grants_with_kube_system<'m, 'v>(
    ctx: &'m ClusterCtx<'v>,
) -> Vec<Granted<'m, 'v>> {
    grants(ctx, |s| {
        !is_system(s)
            || matches!(s, SubjectRef::ServiceAccount { namespace, .. } if namespace == "kube-system")
    })
}

fn grants<'m, 'v>(
    ctx: &'m ClusterCtx<'v>,
    judged: impl Fn(&SubjectRef) -> bool,
) -> Vec<Granted<'m, 'v>> {
    let model = ctx.rbac();
    let mut out = Vec::new();
    for binding in &model.bindings {
        let Some(role) = binding.role.map(|i| &model.roles[i]) else {
            continue;
        };
        // A built-in binding of a built-in role as Kubernetes ships it is the
        // cluster's own. Of a built-in role someone changed (system:basic-user made to
        // read Secrets), it hands the change to everyone it binds: judged.
        if binding.builtin && role.builtin {
            continue;
        }
        for (subject_index, subject) in binding.entry.subjects.iter().enumerate() {
            // A subject of an unknown kind matches no one.
            let Some(subject) = SubjectRef::from_subject(subject, binding.namespace()) else {
                continue;
            };
            if judged(&subject) {
                out.push(Granted {
                    binding,
                    role,
                    subject_index,
                    subject,
                });
            }
        }
    }
    out
}

/// The index of the first rule of `role` that allows `req`.
pub(crate) fn allows(role: &RoleDef<'_>, req: &Request) -> Option<usize> {
    role.rules
        .iter()
        .position(|r| kubeharden_rbac::rule_allows(r, req))
}

/// A request within the binding's reach: in its namespace for a RoleBinding, across
/// the cluster for a ClusterRoleBinding (`Request::parse` drops the namespace of a
/// cluster-scoped resource, which a RoleBinding then does not cover).
pub(crate) fn request(g: &Granted<'_, '_>, verb: &str, resource: &str) -> Request {
    Request::parse(verb, resource, g.binding.namespace(), None)
}

/// Where a role or binding is, for a message: `file:line`, the location alone for an
/// object read from a cluster (it has no line), or `built in`.
pub(crate) fn place(file: &str, line: u32) -> String {
    match (file, line) {
        ("<built-in>", _) => "built in".to_string(),
        (_, 0) => file.to_string(),
        _ => format!("{file}:{line}"),
    }
}

/// Reports a grant at the binding's subject, naming subject, permission, binding and role.
///
/// The finding names only the rows the grant touches, and its severity scales with
/// the grant's reach: see [`grade`].
pub(crate) fn report<'o>(
    out: &'o mut ClusterOut,
    g: &Granted<'_, '_>,
    permission: &str,
) -> Tag<'o> {
    let scope = g
        .binding
        .namespace()
        .map_or("cluster-wide".to_string(), |ns| {
            format!("in namespace {ns}")
        });
    let role_at = place(&g.role.entry.origin.file, g.role.entry.root.pos.line);
    let message = format!(
        "{} can {permission} {scope}, via {} and {} ({role_at})",
        g.subject,
        g.binding.describe(),
        g.role.key
    );
    let tag = out.at(
        &g.binding.entry.origin,
        &g.binding.entry.root,
        FieldPath::parse("subjects").index(g.subject_index),
        message,
    );
    grade(tag, g)
}

/// What a grant's evidence shows beyond its rule:
/// - POD-32 is about the service accounts pods run as, so a grant to a user or a
///   group does not touch it;
/// - RBAC-05 is about cluster-wide bindings, so a RoleBinding does not touch it;
/// - a RoleBinding reaches one namespace, so it is one level milder than the same
///   grant cluster-wide, except in kube-system, whose accounts run the cluster.
fn grade<'o>(mut tag: Tag<'o>, g: &Granted<'_, '_>) -> Tag<'o> {
    let namespace = g.binding.namespace();
    let service_account = matches!(g.subject, SubjectRef::ServiceAccount { .. });
    tag = match (service_account, namespace.is_some()) {
        (true, false) => tag,
        (true, true) => tag.without_rows(&["RBAC-05"]),
        (false, false) => tag.without_rows(&["POD-32"]),
        (false, true) => tag.without_rows(&["POD-32", "RBAC-05"]),
    };
    match namespace {
        Some(ns) if ns != "kube-system" => tag.milder(),
        _ => tag,
    }
}

/// Reports every grant whose role allows any of `checks` (verb, resource), naming the
/// first that matches.
pub(crate) fn report_grants(
    ctx: &ClusterCtx<'_>,
    out: &mut ClusterOut,
    checks: &[(&str, &str)],
    skip: impl Fn(&Granted<'_, '_>) -> bool,
) {
    for g in scanned_grants(ctx) {
        if skip(&g) {
            continue;
        }
        let allowed: Vec<String> = checks
            .iter()
            .filter(|(verb, resource)| {
                let req = request(&g, verb, resource);
                g.binding.covers(&req) && allows(g.role, &req).is_some()
            })
            .map(|(verb, resource)| format!("{verb} {resource}"))
            .collect();
        if !allowed.is_empty() {
            report(out, &g, &allowed.join(", "));
        }
    }
}

/// Whether a role holds a rule of `*` verbs on `*` resources in `*` groups.
pub(crate) fn is_admin_equivalent(role: &RoleDef<'_>) -> bool {
    let star =
        |list: &Option<Vec<String>>| list.as_ref().is_some_and(|l| l.iter().any(|x| x == "*"));
    role.rules
        .iter()
        .any(|r| r.verbs.iter().any(|v| v == "*") && star(&r.resources) && star(&r.api_groups))
}
