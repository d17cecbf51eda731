//! ## What it does
//! Flags containers with `imagePullPolicy: IfNotPresent` or `Never` whose image is
//! not pinned by digest.
//!
//! ## Why it matters
//! With these policies the node runs whatever image it has cached under that tag:
//! possibly an old one, or one planted on the node. The registry is not asked, so
//! its authorization is skipped too: a pod without pull credentials can start a
//! private image that another pod pulled earlier.
//!
//! ## Example
//! ```yaml
//! image: registry.example.com/app:1.4.2
//! imagePullPolicy: IfNotPresent
//! ```
//!
//! ## Fix
//! Pin the image by digest, or set `imagePullPolicy: Always` (and consider the
//! `AlwaysPullImages` admission plugin on multi-tenant clusters).
//! ```yaml
//! image: registry.example.com/app:1.4.2@sha256:...   # or:
//! imagePullPolicy: Always
//! ```

use crate::prelude::*;
use crate::support::images::parse_image;

pub const RULE: RuleDef = RuleDef {
    id: "KH303",
    name: "image-pull-policy",
    title: "Image may run from the node cache without a registry check",
    severity: Severity::Low,
    guidance: &["POD-09"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1525",
        name: "Implant Internal Image",
    }),
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    for c in w.containers() {
        let policy = c.container.image_pull_policy.as_deref().unwrap_or("");
        let pinned = c
            .container
            .image
            .as_deref()
            .is_some_and(|i| parse_image(i).digest.is_some());
        if (policy == "IfNotPresent" || policy == "Never") && !pinned {
            out.container(&c, c.path.key("imagePullPolicy"), format!("container {:?} sets imagePullPolicy: {policy} for an image not pinned by digest", c.name()));
        }
    }
}
