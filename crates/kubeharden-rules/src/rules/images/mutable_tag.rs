//! ## What it does
//! Flags container images referenced by the `:latest` tag or by no tag at all (which
//! means `:latest`), without a digest.
//!
//! It stands for KH303 (a pull policy that trusts the node's cache) on the same
//! container: pinning the digest fixes both.
//!
//! ## Why it matters
//! `latest` changes under you: two nodes can run different code for the same pod,
//! a rollback cannot go back, and a compromised registry account can replace what
//! runs in the cluster on the next pull. The guidance asks for images that are
//! scanned and trusted; that is only meaningful for an image that cannot change.
//!
//! ## Example
//! ```yaml
//! containers:
//! - name: app
//!   image: nginx
//! ```
//!
//! ## Fix
//! Pin a version, ideally with its digest:
//! `image: registry.example.com/nginx:1.27.3@sha256:...`
//! ```yaml
//! image: registry.example.com/nginx:1.27.3@sha256:...
//! ```

use crate::prelude::*;
use crate::support::images::container_images;

pub const RULE: RuleDef = RuleDef {
    id: "KH301",
    name: "image-latest-tag",
    title: "Image uses the latest tag or no tag",
    severity: Severity::Medium,
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
        if r.digest.is_some() {
            continue;
        }
        match r.tag {
            Some("latest") => {
                out.container(
                    &c,
                    c.path.key("image"),
                    format!(
                        "container {:?} uses image {image:?} with the mutable tag latest",
                        c.name()
                    ),
                );
            }
            None => {
                out.container(
                    &c,
                    c.path.key("image"),
                    format!(
                        "container {:?} uses image {image:?} with no tag (latest)",
                        c.name()
                    ),
                );
            }
            Some(_) => {}
        }
    }
}

/// Stands for KH303 on the same container (see [`crate::support::images::PULL_POLICY`]).
pub const MERGE: Merge = crate::support::images::PULL_POLICY;
