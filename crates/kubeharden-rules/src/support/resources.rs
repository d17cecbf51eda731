//! Container resource requests and limits.

use kubeharden_load::{ContainerKind, Workload};

use crate::rule::Out;

/// Reports containers missing a cpu or memory entry under `resources.<which>`
/// (`limits` or `requests`). Ephemeral containers cannot set resources.
pub(crate) fn report_missing(w: &Workload<'_>, out: &mut Out, which: &str) {
    for c in w
        .containers()
        .filter(|c| c.kind != ContainerKind::Ephemeral)
    {
        let set = c.container.resources.as_ref().and_then(|r| {
            if which == "limits" {
                r.limits.as_ref()
            } else {
                r.requests.as_ref()
            }
        });
        let missing: Vec<&str> = ["cpu", "memory"]
            .into_iter()
            .filter(|k| !set.is_some_and(|m| m.contains_key(*k)))
            .collect();
        let base = c.path.key("resources").key(which);
        match missing.as_slice() {
            [] => {}
            [one] => out.container(
                &c,
                base.key(one),
                format!("container {:?} sets no {one} {}", c.name(), singular(which)),
            ),
            _ => out.container(
                &c,
                base,
                format!(
                    "container {:?} sets no cpu or memory {}",
                    c.name(),
                    singular(which)
                ),
            ),
        }
    }
}

fn singular(which: &str) -> &str {
    which.trim_end_matches('s')
}
