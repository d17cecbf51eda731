//! Container resource requests and limits.

use kubeharden_findings::{Finding, Requirement};
use kubeharden_load::{ContainerKind, Workload};

use crate::context::Out;

/// Reports each cpu or memory entry missing under `resources.<which>` (`limits` or
/// `requests`; a request is not missing where the limit is set, as it defaults to it).
/// Each finding stands only if no LimitRange of the namespace supplies a default for it. Ephemeral containers cannot set resources.
pub(crate) fn report_missing(w: &Workload<'_>, out: &mut Out, which: &str) {
    let limit = which == "limits";
    let namespace = w
        .object
        .resource
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_string());
    for c in w
        .containers()
        .filter(|c| c.kind != ContainerKind::Ephemeral)
    {
        let set = c.container.resources.as_ref().and_then(|r| {
            if limit {
                r.limits.as_ref()
            } else {
                r.requests.as_ref()
            }
        });
        // A request left unset takes the container's limit: the API server defaults
        // it so, and the pod is scheduled by it.
        let limits = c
            .container
            .resources
            .as_ref()
            .and_then(|r| r.limits.as_ref());
        for resource in ["cpu", "memory"] {
            if set.is_some_and(|m| m.contains_key(resource)) {
                continue;
            }
            if !limit && limits.is_some_and(|m| m.contains_key(resource)) {
                continue;
            }
            let requires = Requirement::NoLimitRangeDefault {
                namespace: namespace.clone(),
                resource,
                limit,
            };
            let what = if limit { "limit" } else { "request" };
            let message = format!(
                "container {:?} sets no {resource} {what}, and no LimitRange default covers it",
                c.name()
            );
            out.container_unless(
                &c,
                c.path.key("resources").key(which).key(resource),
                message,
                requires,
            )
            .identified_by(c.path.key("resources"));
        }
    }
}

/// The container field a resources finding is about, and what it misses:
/// `(spec.containers[0], "limits", "cpu")`.
fn missing_setting(f: &Finding) -> Option<(&str, &str, &str)> {
    let (container, setting) = f.path.rsplit_once(".resources.")?;
    let (which, resource) = setting.split_once('.')?;
    Some((container, which, resource))
}

/// Whether two resources findings are about the same container.
pub(crate) fn same_container(kept: &Finding, other: &Finding) -> bool {
    let container = |f| missing_setting(f).map(|(c, _, _)| c);
    container(kept).is_some() && container(kept) == container(other)
}

/// One finding for a container's missing requests and limits: it lists them all,
/// and points at the field that holds them all and at its first place in the file.
pub(crate) fn combine(kept: &mut Finding, others: &[Finding]) {
    let all: Vec<&Finding> = std::iter::once(&*kept).chain(others).collect();
    let mut missing: Vec<(&str, &str)> = all
        .iter()
        .filter_map(|f| missing_setting(f).map(|(_, which, resource)| (which, resource)))
        .collect();
    // Limits first (the graver), cpu before memory.
    missing.sort_unstable();
    missing.dedup();
    let names: Vec<String> = missing
        .iter()
        .map(|(which, resource)| format!("{resource} {}", which.trim_end_matches('s')))
        .collect();
    let path = all.iter().skip(1).fold(kept.path.clone(), |path, f| {
        crate::merge::common_parent(&path, &f.path)
    });
    // The fingerprint's path is the same field's, its list items named.
    let keyed_path = kept.keyed_path.clone().and_then(|first| {
        all.iter().skip(1).try_fold(first, |path, f| {
            Some(crate::merge::common_parent(&path, f.keyed_path.as_deref()?))
        })
    });
    let location = all.iter().map(|f| f.location.clone()).min();
    let Some((last, rest)) = names.split_last() else {
        return;
    };
    let listed = match rest {
        [] => last.clone(),
        _ => format!("{} or {last}", rest.join(", ")),
    };
    kept.message = format!(
        "container {:?} sets no {listed}, and no LimitRange default covers {}",
        kept.container.as_deref().unwrap_or_default(),
        if names.len() == 1 { "it" } else { "them" }
    );
    kept.path = path;
    kept.keyed_path = keyed_path;
    if let Some(location) = location {
        kept.location = location;
    }
}
