//! Container resource requests and limits.

use kubeharden_findings::Requirement;
use kubeharden_load::{ContainerKind, Workload};

use crate::context::Out;

/// Reports each cpu or memory entry missing under `resources.<which>` (`limits` or
/// `requests`). Each finding stands only if no LimitRange of the namespace supplies a
/// default for it. Ephemeral containers cannot set resources.
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
        for resource in ["cpu", "memory"] {
            if set.is_some_and(|m| m.contains_key(resource)) {
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
            );
        }
    }
}
