//! ## What it does
//! Flags container images that name no registry (`nginx:1.27`,
//! `bitnami/redis:7.2`), which means Docker Hub.
//!
//! ## Why it matters
//! The guidance asks for images from trusted repositories. An image without a
//! registry comes from Docker Hub, a public registry anyone can publish to, where
//! typosquatted and abandoned images are common, and which may not be the mirror
//! your organisation scans.
//!
//! ## Example
//! ```yaml
//! image: redis:7.2
//! ```
//!
//! ## Fix
//! Name the registry you trust, e.g. `registry.example.com/mirror/redis:7.2`.
//! ```yaml
//! image: registry.example.com/mirror/redis:7.2
//! ```

use crate::prelude::*;
use crate::support::images::container_images;

pub const RULE: RuleDef = RuleDef {
    id: "KH304",
    name: "image-implicit-registry",
    title: "Image names no registry (implicit Docker Hub)",
    severity: Severity::Low,
    guidance: &["POD-10"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1525",
        name: "Implant Internal Image",
    }),
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    for (c, image, r) in container_images(w) {
        if r.registry.is_none() {
            out.container(
                &c,
                c.path.key("image"),
                format!(
                    "container {:?} uses image {image:?} from no named registry (Docker Hub)",
                    c.name()
                ),
            );
        }
    }
}
