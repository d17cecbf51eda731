//! ## What it does
//! Flags container images pinned by a version tag but not by a digest
//! (`@sha256:...`). Images on `latest` or without a tag are reported by KH301.
//!
//! It stands for KH303 (a pull policy that trusts the node's cache) on the same
//! container: pinning the digest fixes both.
//!
//! ## Why it matters
//! Tags can be moved: whoever can push to the repository can make `app:1.4.2` mean
//! different code tomorrow. Only a digest names exactly the image that was scanned
//! and approved, which is what the guidance's supply-chain advice relies on.
//!
//! ## Example
//! ```yaml
//! image: registry.example.com/app:1.4.2
//! ```
//!
//! ## Fix
//! Pin the image by its digest, keeping the tag for people to read.
//! ```yaml
//! image: registry.example.com/app:1.4.2@sha256:4b1c...
//! ```

use crate::prelude::*;
use crate::support::images::container_images;

pub const RULE: RuleDef = RuleDef {
    id: "KH302",
    name: "image-not-pinned-by-digest",
    title: "Image is not pinned by digest",
    severity: Severity::Low,
    guidance: &["POD-09", "POD-10"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1525",
        name: "Implant Internal Image",
    }),
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    for (c, image, r) in container_images(w) {
        if r.digest.is_none() && r.tag.is_some_and(|t| t != "latest") {
            out.container(
                &c,
                c.path.key("image"),
                format!(
                    "container {:?} uses image {image:?} without a digest",
                    c.name()
                ),
            );
        }
    }
}

/// Stands for KH303 on the same container (see [`crate::support::images::PULL_POLICY`]).
pub const MERGE: Merge = crate::support::images::PULL_POLICY;
